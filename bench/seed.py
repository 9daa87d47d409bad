"""Seed the benchmark's database: one team, N voting members and a moderator, one proposal.

Run by `bench.run` as `python -m bench.seed N` (and by `bench.scale` as
`python -m bench.seed --meetings M N`: M teams sharing N members) in the benchmark's own
instance folder (the environment names it); prints one JSON line: the proposal id, the
round-opening account and the members' addresses. Everyone shares one password, hashed once
with the (lowered) argon2 settings the server runs with, so signing in does not rehash it.
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


def seed_meetings(meetings: int, members: int, password: str) -> dict[str, object]:
    """`make bench-scale`: `meetings` teams, `members` voting members spread evenly over them,
    a lead per team who opens its rounds, and one proposal per team. Rows go in with bulk
    inserts: a thousand members seed in seconds."""
    import sqlalchemy as sa

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
        teams = [
            Team(name=f"Bench Team {m:03d}", level=TeamLevel.CASE_MANAGEMENT, description="")
            for m in range(1, meetings + 1)
        ]
        db.session.add_all(teams)
        db.session.flush()
        leads = [f"lead{m:03d}@bench.example" for m in range(1, meetings + 1)]
        emails = [EMAIL.format(n) for n in range(1, members + 1)]
        db.session.execute(
            sa.insert(User),
            [
                {"email": email, "name": email.split("@")[0], "password_hash": password_hash}
                for email in leads + emails
            ],
        )
        ids = {email: id_ for email, id_ in db.session.execute(sa.select(User.email, User.id))}
        rows = [
            {"team_id": team.id, "user_id": ids[lead], "role": Role.LEAD}
            for team, lead in zip(teams, leads, strict=True)
        ]
        groups: list[list[str]] = [[] for _ in teams]
        for n, email in enumerate(emails):
            groups[n % meetings].append(email)
            rows.append({"team_id": teams[n % meetings].id, "user_id": ids[email]})
        db.session.execute(
            sa.insert(Membership),
            [
                {
                    "role": Role.MEMBER,
                    "agency": "Bench Agency",
                    "discipline": Discipline.OTHER,
                    **row,
                }
                for row in rows
            ],
        )
        db.session.commit()
        out = []
        for team, lead, group in zip(teams, leads, groups, strict=True):
            actor = db.session.get(User, ids[lead])
            proposal = create_proposal(actor, team.id, title="Bench proposal", text="Vote.")
            out.append({"proposal_id": proposal.id, "lead": lead, "members": group})
        return {"meetings": out}


def main() -> None:
    password = os.environ["BENCH_PASSWORD"]
    if sys.argv[1] == "--meetings":
        result = seed_meetings(int(sys.argv[2]), int(sys.argv[3]), password)
    else:
        result = seed(int(sys.argv[1]), password)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
