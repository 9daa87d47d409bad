"""The demo's memorandum of understanding: written by the county team's lead and signed, through
the services, by a voting member of every agency but two, so the page shows who is missing.

Fictional, modelled on the collaborative-approach brief ("signed agreements which highlight
joint decision making, articulate agreement of the team's mission, and outline specific roles
and contributed resources"). May import the agreement services and the teams and auth models.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from teamwork.agreements import services
from teamwork.agreements.models import Agreement
from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role
from teamwork.teams.services import today

TITLE = "Memorandum of understanding"
UNSIGNED = 2  # agencies left to sign, so the demo shows "n of m" and who is missing

D = Discipline
# discipline -> (the agency's role on the team, what it contributes)
CONTRIBUTIONS: dict[Discipline, tuple[str, str]] = {
    D.PROBATION_PAROLE: (
        "supervises sex offenders in the community, holds the supervision plan and convenes "
        "the core case team",
        "two specialised supervision officers, the team's meeting room and the shared case "
        "records system",
    ),
    D.TREATMENT: (
        "provides sex offender-specific treatment and reports each client's progress, "
        "compliance and risk to the core case team",
        "a clinician at every core case team meeting and quarterly treatment progress reports",
    ),
    D.VICTIM_ADVOCACY: (
        "brings the victim's perspective to every decision, keeps victims informed and plans "
        "for their safety",
        "an advocate on each core case team and training for members on victim-centred practice",
    ),
    D.LAW_ENFORCEMENT: (
        "runs sex offender registration, investigates new offences and shares intelligence with "
        "supervision",
        "a registration detective and community notification meetings",
    ),
    D.PROSECUTION: (
        "makes charging and plea decisions that keep sexual offences charged as such, and "
        "advises the team on the law",
        "a deputy prosecutor as the team's legal adviser",
    ),
    D.DEFENSE: (
        "counsels offenders on what supervision and treatment require of them, while keeping "
        "its duty to its clients",
        "an attorney at policy meetings and plain-language guidance for clients",
    ),
    D.POLYGRAPH: (
        "conducts sexual history and maintenance polygraph examinations that encourage disclosure",
        "examination results within five business days, on the team's shared report form",
    ),
    D.CHILD_PROTECTIVE_SERVICES: (
        "protects children in households where an offender lives or visits",
        "a caseworker for cases involving children and joint home visits",
    ),
    D.JUDICIARY: (
        "takes part as an observer, keeping the court informed while preserving its "
        "decisional independence",
        "judicial education on the team's standards",
    ),
    D.CORRECTIONS: (
        "plans each offender's transition from custody to the community",
        "release planning staff and advance notice of releases",
    ),
}
DEFAULT_CONTRIBUTION = (
    "takes part in the team's work and decisions",
    "the time of its representative and the information it holds that bears on the team's work",
)

# discipline -> the signer's title
TITLES: dict[Discipline, str] = {
    D.PROBATION_PAROLE: "Chief Probation Officer",
    D.TREATMENT: "Clinical Director",
    D.VICTIM_ADVOCACY: "Executive Director",
    D.LAW_ENFORCEMENT: "Chief of Police",
    D.PROSECUTION: "District Attorney",
    D.DEFENSE: "Chief Public Defender",
    D.POLYGRAPH: "Principal Examiner",
    D.CHILD_PROTECTIVE_SERVICES: "Director",
}


def memorandum_text(team: Team, memberships: list[Membership]) -> str:
    """The memorandum, with a role and contributed resources for each agency on the team."""
    agencies: dict[str, Discipline] = {}
    for membership in memberships:
        agencies.setdefault(membership.agency, membership.discipline)
    roles = "\n".join(
        f"- {agency}: {role}. It contributes {resources}."
        for agency, discipline in agencies.items()
        for role, resources in [CONTRIBUTIONS.get(discipline, DEFAULT_CONTRIBUTION)]
    )
    paragraphs = [
        f"Memorandum of understanding among the agencies of the {team.name}",
        "1. Mission",
        "The agencies signing this memorandum share one mission: to end further sexual "
        "victimization by managing sex offenders in the community through one coordinated "
        "response, working from shared information toward common goals. Each agency keeps its "
        "own mandate and authority; together we accomplish what none of us could alone.",
        "2. Joint decision making",
        "The team decides matters of policy and practice by consensus of its voting members: "
        "each shows thumbs up (I support it), sideways (I can live with it) or down (I cannot "
        "support it, and I say why). A thumbs down is a concern to resolve, not a vote to "
        "overrule: the proposal is amended and put to the team again until every agency can "
        "support it or live with it. Each agency names a representative with the authority to "
        "commit it, and decisions reached this way guide every signing agency's practice.",
        "3. Roles and contributed resources",
        roles,
        "4. Sharing information",
        "Within the limits of the law, each agency shares with the team what it learns about the "
        "offenders the team manages, promptly and in confidence. Information shared at the team "
        "is used to manage offenders and protect victims, and for nothing else.",
        "5. Term, renewal and withdrawal",
        "This memorandum takes effect when signed and is reviewed every year; a renewed or "
        "amended text is a new version, signed again by every agency. An agency may withdraw by "
        "written notice to the team's lead sixty days in advance.",
    ]
    return "\n\n".join(paragraphs)


def seed_agreement(team: Team, users_by_email: dict[str, User]) -> Agreement:
    """Write the memorandum as the team's lead and have every agency but the last two (in the
    order members joined) sign version 1, each through one of its voting members.
    `users_by_email` is the demo's accounts; the lead is "lead@example.org" when present."""
    members = list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.team_id == team.id, Membership.removed_at.is_(None))
            .order_by(Membership.id)
        )
    )
    lead = users_by_email.get("lead@example.org") or next(
        m.user for m in members if m.role is Role.LEAD
    )
    agreement = services.create_agreement(
        lead,
        team.id,
        title=TITLE,
        text=memorandum_text(team, members),
        renewal_date=today() + timedelta(days=365),
    )
    # One signer per agency: the first voting member of it (the lead for the lead's agency).
    signers: dict[str, Membership] = {}
    for membership in sorted(members, key=lambda m: (m.role is not Role.LEAD, m.id)):
        if membership.role is not Role.OBSERVER:
            signers.setdefault(membership.agency, membership)
    agencies = list(dict.fromkeys(m.agency for m in members if m.agency in signers))
    version = agreement.latest
    for agency in agencies[: max(len(agencies) - UNSIGNED, 0)]:
        signer = signers[agency]
        services.sign_version(
            signer.user,
            team.id,
            agreement.id,
            text_sha256=version.sha256,
            full_name=signer.user.name,
            title=TITLES.get(signer.discipline, "Director"),
            confirmed=True,
        )
    return agreement
