"""Seed the benchmark's database: one team, N voting members and a moderator, one proposal.

Run by `bench.run` as `python -m bench.seed N` in the benchmark's own instance folder (the
environment names it); prints one JSON line: the proposal id, the round-opening account and the
members' addresses. Everyone shares one password, hashed once with the (lowered) argon2 settings
the server runs with, so signing in does not rehash it.
"""

from __future__ import annotations

import json
import os
import sys

EMAIL = "member{:04d}@bench.example"
MODERATOR = "moderator@bench.example"


def seed(members: int, password: str) -> dict[str, object]:
    from teamwork import create_app
    from teamwork.auth.models import User
    from teamwork.auth.services import hash_password
    from teamwork.consensus.services import create_proposal
    from teamwork.extensions import db
    from teamwork.teams.models import Membership, Team
    from teamwork.teams.rules import Discipline, Role, TeamLevel

    app = create_app()
    with app.app_context():
        password_hash = hash_password(password)
        team = Team(
            name="Benchmark County Team",
            level=TeamLevel.LOCAL_POLICY,
            description="Seeded by `make bench`.",
        )
        db.session.add(team)
        # A lead may open rounds (docs/realtime.md); the lead does not vote in the benchmark.
        moderator = User(email=MODERATOR, name="Bench Moderator", password_hash=password_hash)
        db.session.add(moderator)
        db.session.add(
            Membership(
                team=team,
                user=moderator,
                agency="Benchmark Probation Department",
                discipline=Discipline.PROBATION_PAROLE,
                role=Role.LEAD,
            )
        )
        emails = [EMAIL.format(n) for n in range(1, members + 1)]
        for n, email in enumerate(emails, start=1):
            user = User(email=email, name=f"Bench Member {n:04d}", password_hash=password_hash)
            db.session.add(user)
            db.session.add(
                Membership(
                    team=team,
                    user=user,
                    agency=f"Benchmark Agency {n % 12}",
                    discipline=Discipline.OTHER,
                    role=Role.MEMBER,
                )
            )
        db.session.commit()
        proposal = create_proposal(
            moderator,
            team.id,
            title="Benchmark proposal",
            text="Members vote on this proposal as fast as the benchmark can make them.",
        )
        return {"proposal_id": proposal.id, "moderator": MODERATOR, "members": emails}


def main() -> None:
    members = int(sys.argv[1])
    password = os.environ["BENCH_PASSWORD"]
    print(json.dumps(seed(members, password)), flush=True)


if __name__ == "__main__":
    main()
