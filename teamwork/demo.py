"""The demo jurisdiction: a fictional statewide network, a county team and its core team.

Modelled on the brief's examples (Jackson County's team and core team, Colorado's statewide
board): members from a dozen agencies and one account per role, so a newcomer can try each.
Seeding only ever runs on an empty database.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.auth.services import hash_password
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.meetings.demo import ZONE as DEMO_ZONE
from teamwork.moderation.models import ModeratorTerm
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role, TeamLevel

NETWORK = "Cascadia Sex Offender Management Network"
COUNTY = "Northfield County Sex Offender Management Team"
CORE = "Northfield Core Case Team"
OTHER_COUNTY = "Harbor County Collaborative Team"

D = Discipline
# email, name, agency, discipline
PEOPLE: list[tuple[str, str, str, Discipline]] = [
    (
        "lead@example.org",
        "Dana Whitfield",
        "Northfield County Probation Department",
        D.PROBATION_PAROLE,
    ),
    ("moderator@example.org", "Marcus Oyelaran", "Riverbend Treatment Associates", D.TREATMENT),
    ("recorder@example.org", "Priya Raman", "Northfield County Administrator's Office", D.OTHER),
    (
        "member1@example.org",
        "Jordan Ellis",
        "Northfield County Probation Department",
        D.PROBATION_PAROLE,
    ),
    ("member2@example.org", "Sam Okafor", "Riverbend Treatment Associates", D.TREATMENT),
    ("member3@example.org", "Alex Moreno", "Northfield Victim Advocacy Center", D.VICTIM_ADVOCACY),
    ("member4@example.org", "Casey Lindqvist", "Northfield Police Department", D.LAW_ENFORCEMENT),
    (
        "member5@example.org",
        "Robin Achebe",
        "District Attorney's Office, 7th District",
        D.PROSECUTION,
    ),
    ("member6@example.org", "Taylor Nguyen", "Northfield Public Defender's Office", D.DEFENSE),
    ("member7@example.org", "Morgan Kowalski", "Cascadia Polygraph Services", D.POLYGRAPH),
    (
        "member8@example.org",
        "Jamie Herrera",
        "Northfield Child Protective Services",
        D.CHILD_PROTECTIVE_SERVICES,
    ),
    ("observer@example.org", "Hon. Leslie Park", "Northfield District Court", D.JUDICIARY),
    ("outsider@example.org", "Chris Delaney", "Harbor County Community Corrections", D.CORRECTIONS),
]

# team -> [(email, role)]
ROSTERS: dict[str, list[tuple[str, Role]]] = {
    NETWORK: [("lead@example.org", Role.LEAD), ("member5@example.org", Role.MEMBER)],
    COUNTY: [
        ("lead@example.org", Role.LEAD),
        ("moderator@example.org", Role.MEMBER),
        ("recorder@example.org", Role.RECORDER),
        *[(f"member{n}@example.org", Role.MEMBER) for n in range(1, 9)],
        # Judges keep informed without being formal, voting members (as in Jackson County).
        ("observer@example.org", Role.OBSERVER),
    ],
    CORE: [
        ("lead@example.org", Role.LEAD),
        ("recorder@example.org", Role.RECORDER),
        ("member1@example.org", Role.MEMBER),
        ("member2@example.org", Role.MEMBER),
        ("member7@example.org", Role.MEMBER),
    ],
    OTHER_COUNTY: [("outsider@example.org", Role.LEAD)],
}

TEAMS: list[tuple[str, TeamLevel, str | None, str]] = [
    (
        NETWORK,
        TeamLevel.STATEWIDE_POLICY,
        None,
        "Statewide policy network of the county sex offender management teams.",
    ),
    (
        COUNTY,
        TeamLevel.LOCAL_POLICY,
        NETWORK,
        "County policy team: supervision, treatment, victim advocacy, law enforcement, "
        "prosecution, defense, polygraph and child protection at one table. Meets monthly.",
    ),
    (
        CORE,
        TeamLevel.CASE_MANAGEMENT,
        COUNTY,
        "Day-to-day case management: probation, treatment and polygraph review cases monthly.",
    ),
    (
        OTHER_COUNTY,
        TeamLevel.LOCAL_POLICY,
        NETWORK,
        "Harbor County's policy team (the demo's outsider belongs only here).",
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    summary: str


def database_is_empty() -> bool:
    has_users = db.session.scalar(sa.select(User.id).limit(1)) is not None
    has_teams = db.session.scalar(sa.select(Team.id).limit(1)) is not None
    return not (has_users or has_teams)


def seed_demo(password: str) -> list[DemoAccount] | None:
    """Create the demo jurisdiction; None (and nothing written) when the database has data."""
    if not database_is_empty():
        return None
    password_hash = hash_password(password)  # hashed once: argon2 is slow on purpose
    users = {
        email: User(
            email=email,
            name=name,
            password_hash=password_hash,
            is_admin=email == "lead@example.org",
        )
        for email, name, _agency, _discipline in PEOPLE
    }
    db.session.add_all(users.values())
    details = {email: (agency, discipline) for email, _name, agency, discipline in PEOPLE}

    teams: dict[str, Team] = {}
    for name, level, parent, description in TEAMS:
        teams[name] = Team(
            name=name,
            level=level,
            description=description,
            parent=teams[parent] if parent else None,
            timezone=DEMO_ZONE,  # the demo's meetings are in Pacific time (meetings/demo.py)
        )
    db.session.add_all(teams.values())

    memberships: dict[tuple[str, str], Membership] = {}
    for team_name, roster in ROSTERS.items():
        for email, role in roster:
            agency, discipline = details[email]
            membership = Membership(
                team=teams[team_name],
                user=users[email],
                agency=agency,
                discipline=discipline,
                role=role,
            )
            memberships[(team_name, email)] = membership
    db.session.add_all(memberships.values())
    db.session.add(
        ModeratorTerm(
            team=teams[COUNTY],
            membership=memberships[(COUNTY, "moderator@example.org")],
            starts_on=utcnow().date(),
        )
    )
    _seed_proposals(teams, users)
    db.session.commit()
    _seed_charter(teams[COUNTY], users)
    from teamwork.agreements.demo import seed_agreement
    from teamwork.norms.demo import seed_norms_and_incentives

    seed_norms_and_incentives(teams[COUNTY], users)
    seed_agreement(teams[COUNTY], users)
    _seed_later_capabilities(teams[COUNTY], users)
    _settle_notifications()
    return demo_accounts()


def _settle_notifications(unread: int = 5) -> None:
    """The seed acted out months of a team's life in a second, through the services, and they
    notified as they went: each person keeps their newest few unread (the bell shows what it
    is for), the rest are read, and nothing is emailed (the demo's addresses are not real)."""
    from teamwork.notifications.models import Notification
    from teamwork.outbox.models import OutboxMessage

    notes = db.session.scalars(sa.select(Notification).order_by(Notification.id.desc()))
    kept: dict[int, int] = {}
    now = utcnow()
    for note in notes:
        kept[note.user_id] = kept.get(note.user_id, 0) + 1
        note.digest_pending = False
        if kept[note.user_id] > unread:
            note.read_at = now
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
    db.session.commit()


def _seed_later_capabilities(team: Team, users: dict[str, User]) -> None:
    """Moderator terms, meetings (with minutes approved through real rounds), the workplan
    and the evaluation, each through its own capability's services, in the order they
    depend on one another (the workplan's changes since the last meeting, the evaluation's
    figures from meetings and activities)."""
    from teamwork.consensus.demo import seed as seed_round_with_deadline
    from teamwork.discussion.demo import seed as seed_discussion
    from teamwork.evaluation.demo import seed as seed_evaluation
    from teamwork.meetings.demo import seed as seed_meetings
    from teamwork.moderation.demo import seed as seed_moderation
    from teamwork.workplans.demo import seed as seed_workplan

    today = utcnow().date()
    seed_moderation(team, users, today)
    seed_meetings(team, users)
    seed_workplan(team, users, today)
    seed_discussion(team, users)
    seed_evaluation(team, users, today)
    # A round open until a few days from now, voted on between meetings.
    seed_round_with_deadline(team, users)


DEMO_PROPOSALS = [
    (
        "Share polygraph results with the core team within five business days",
        "Polygraph examiners send the results of every maintenance and sexual history "
        "examination to the supervising officer and the treatment provider within five "
        "business days, using the team's shared report form.",
    ),
    (
        "Notify the victim advocate before any change to a supervision plan",
        "Before a supervision plan changes (curfew, residence, contact restrictions), the "
        "supervising officer tells the victim advocate, so victims can be informed and "
        "safety planning updated.",
    ),
]


def _seed_proposals(teams: dict[str, Team], users: dict[str, User]) -> None:
    """Proposals in discussion, ready for the moderator to open a first round."""
    from teamwork.consensus.models import Proposal, ProposalVersion

    for title, text in DEMO_PROPOSALS:
        proposal = Proposal(team=teams[COUNTY], title=title, created_by=users["lead@example.org"])
        db.session.add(proposal)
        db.session.add(
            ProposalVersion(
                proposal=proposal,
                number=1,
                title=title,
                text=text,
                author=users["lead@example.org"],
            )
        )


def demo_accounts() -> list[DemoAccount]:
    roles: dict[str, list[str]] = {}
    for team_name, roster in ROSTERS.items():
        for email, role in roster:
            roles.setdefault(email, []).append(f"{role.label.lower()} of {team_name}")
    roles["moderator@example.org"].append(f"moderator of {COUNTY}")
    return [
        DemoAccount(email=email, name=name, summary="; ".join(roles[email]))
        for email, name, _agency, _discipline in PEOPLE
    ]


MISSION = (
    "To end further sexual victimization in Northfield County by managing sex offenders in the "
    "community through one coordinated response: supervision, treatment, law enforcement, "
    "prosecution, defense, polygraph examination, child protection and victim advocacy working "
    "from shared information toward common goals."
)
VISION = (
    "A county where every agency that touches a sex offense case shares what it knows, plans "
    "jointly and holds offenders accountable, so that victims are safe and informed and "
    "offenders do not reoffend."
)
GOALS = [
    (
        "long_term_goal",
        "Adopt countywide standards for the supervision and treatment of sex offenders within "
        "two years, and review them every year.",
    ),
    (
        "short_term_goal",
        "Sign an information-sharing agreement among all member agencies within six months.",
    ),
]


def _seed_charter(team: Team, users: dict[str, User]) -> None:
    """An adopted mission and vision (each through a real round of thumbs) and draft goals."""
    from teamwork.charter import services as charter
    from teamwork.charter.models import StatementKind
    from teamwork.consensus import services as consensus
    from teamwork.consensus import voting

    lead, moderator = users["lead@example.org"], users["moderator@example.org"]
    voters = [users[email] for email, role in ROSTERS[COUNTY] if role is not Role.OBSERVER]
    for kind, text in ((StatementKind.MISSION, MISSION), (StatementKind.VISION, VISION)):
        version = charter.draft_statement(lead, team.id, kind=kind, text=text)
        proposal = charter.propose_adoption(lead, team.id, version.id)
        round_ = consensus.open_round(moderator, proposal.id)
        for voter in voters:
            voting.cast_vote(
                voter, round_.id, choice="up", reason="", request_id=f"demo-{kind}-{voter.id}"
            )
        consensus.close_round(moderator, round_.id)
    for kind, text in GOALS:
        charter.draft_statement(lead, team.id, kind=StatementKind(kind), text=text)
