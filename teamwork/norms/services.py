"""The operations on operating norms and stakeholder incentives, and the composition page's view.

Leads edit the norms; every save is a new version, and the team's norms are its latest version.
Leads record any agency's incentives and a voting member their own agency's, with a date to
review them, so leads can check that each agency's needs are being met (the brief:
collaborations rely on "mutual beneficial and well-defined relationships"). The team's
composition is compared with the brief's recommended disciplines by the pure `norms.rules`.

The norms answer two questions of lower or higher layers: consensus asks, through its
`designee_votes_allowed` signal, whether a designee may vote; the charter asks
`members_may_draft`. Review reminders are in `norms.reminders`.

Imports: `norms.models`, `norms.rules`, auth, teams, `consensus.signals`, the database layer
and `teamwork.errors`. Nothing from charter, agreements or meetings (they sit above the norms).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from teamwork.auth.models import User
from teamwork.cleaning import clean_line, clean_text
from teamwork.consensus.signals import designee_votes_allowed
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.norms import rules
from teamwork.norms.models import (
    EXPECTATION_MAX,
    EXPECTATIONS_MAX,
    LINE_MAX,
    LINK_MAX,
    NORMS_FIELDS,
    PLACE_MAX,
    TEXT_MAX,
    Incentive,
    IncentiveChange,
    MeetingCadence,
    OperatingNorms,
)
from teamwork.norms.rules import ReviewStatus, review_status
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, Discipline, Role
from teamwork.teams.services import TeamAccess, current_members, team_access, team_roster, today

# Further ahead than this is almost certainly a typing mistake (and would never remind anyone).
REVIEW_HORIZON_DAYS = 3 * 365


# --- Cleaning input ----------------------------------------------------------------------


def _line(value: str | None, field: str, limit: int = LINE_MAX) -> str:
    return clean_line(value, field, limit)


def _text(value: str | None, field: str, limit: int = TEXT_MAX) -> str:
    return clean_text(value, field, limit)


def _link(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    # Only web addresses: the page renders this as a link, so no javascript: or data: URLs.
    if (
        parts.scheme not in {"http", "https"}
        or not parts.netloc
        or any(c.isspace() for c in value)
        or len(value) > LINK_MAX
    ):
        raise InvalidInput(
            "Enter the full web address of the video call, starting with https:// "
            "(for example https://video.example.org/our-team).",
            field="video_link",
        )
    return value


_BULLETS = ("- ", "* ", "• ", "– ")


def split_lines(text: str | None) -> list[str]:
    """One item per non-blank line, without list bullets that people paste along."""
    items = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        while line.startswith(_BULLETS):
            line = line[2:].strip()
        if line:
            items.append(line)
    return items


def _expectations(items: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for item in items:
        item = " ".join(str(item).split())
        if len(item) > EXPECTATION_MAX:
            raise InvalidInput(
                f"Keep each expectation to {EXPECTATION_MAX} characters (one per line).",
                field="expectations",
            )
        if item and item not in cleaned:
            cleaned.append(item)
    if len(cleaned) > EXPECTATIONS_MAX:
        raise InvalidInput(f"List at most {EXPECTATIONS_MAX} expectations.", field="expectations")
    return cleaned


# --- Operating norms ---------------------------------------------------------------------


@dataclass(frozen=True)
class NormsInput:
    """The norms as a lead entered them (untrusted; save_norms cleans and checks them)."""

    cadence: str
    cadence_note: str = ""
    meeting_day: str = ""
    meeting_time: time | None = None
    meeting_place: str = ""
    video_link: str = ""
    designees_may_attend: bool = False
    designees_may_vote: bool = False
    members_may_draft: bool = False
    expectations: Sequence[str] = ()
    discussion: str = ""


def _clean_norms(data: NormsInput) -> dict[str, Any]:
    try:
        cadence = MeetingCadence(data.cadence)
    except ValueError:
        raise InvalidInput("Choose how often the team meets.", field="cadence") from None
    note = _line(data.cadence_note, "cadence_note")
    if cadence is MeetingCadence.OTHER and not note:
        raise InvalidInput(
            "Describe how often the team meets (for example: every six weeks).",
            field="cadence_note",
        )
    if data.meeting_time is not None and not isinstance(data.meeting_time, time):
        raise InvalidInput("Enter the time as hours and minutes.", field="meeting_time")
    attend, vote = bool(data.designees_may_attend), bool(data.designees_may_vote)
    if vote and not attend:
        raise InvalidInput(
            "Designees can vote only if they may attend: allow both, or neither.",
            field="designees_may_vote",
        )
    return {
        "cadence": cadence,
        "cadence_note": note,
        "meeting_day": _line(data.meeting_day, "meeting_day"),
        "meeting_time": data.meeting_time,
        "meeting_place": _line(data.meeting_place, "meeting_place", PLACE_MAX),
        "video_link": _link(data.video_link),
        "designees_may_attend": attend,
        "designees_may_vote": vote,
        "members_may_draft": bool(data.members_may_draft),
        "expectations": _expectations(data.expectations),
        "discussion": _text(data.discussion, "discussion"),
    }


def _latest_norms(team_id: int) -> OperatingNorms | None:
    return db.session.scalar(
        sa.select(OperatingNorms)
        .options(joinedload(OperatingNorms.author))
        .where(OperatingNorms.team_id == team_id)
        .order_by(OperatingNorms.number.desc())
        .limit(1)
    )


def current_norms(access: TeamAccess) -> OperatingNorms | None:
    """The norms in force: the team's latest version (None until a lead writes them)."""
    return _latest_norms(access.team.id)


@dataclass(frozen=True)
class NormsChange:
    version: OperatingNorms
    changed: list[str]  # labels of the fields that differ from the previous version


def norms_history(access: TeamAccess) -> list[NormsChange]:
    """Every version, newest first, each with what it changed."""
    versions = list(
        db.session.scalars(
            sa.select(OperatingNorms)
            .options(joinedload(OperatingNorms.author))
            .where(OperatingNorms.team_id == access.team.id)
            .order_by(OperatingNorms.number)
        )
    )
    history: list[NormsChange] = []
    previous: dict[str, Any] | None = None
    for version in versions:
        content = version.content()
        changed = [
            label
            for name, label in NORMS_FIELDS.items()
            if previous is not None and previous[name] != content[name]
        ]
        history.append(NormsChange(version, changed))
        previous = content
    return list(reversed(history))


def save_norms(
    actor: User, team_id: int, data: NormsInput, *, expected_number: int | None = None
) -> OperatingNorms:
    """Save the norms as a new version (leads only).

    `expected_number` is the version the editor started from (0 for none); when someone saved
    another version meanwhile, nothing is saved and Conflict says so, so no edit is lost
    silently. None skips that check (the demo seed, scripts).
    """
    team_access(actor, team_id, Action.EDIT_CHARTER)
    content = _clean_norms(data)
    current = _latest_norms(team_id)
    number = current.number if current is not None else 0
    if expected_number is not None and expected_number != number:
        author = current.author if current is not None else None
        raise Conflict(
            f"{author.name if author else 'Someone'} saved version {number} of the norms while "
            "you were editing, so yours was not saved. Compare it with the norms page, then "
            "save again to replace it."
        )
    if current is not None and current.content() == content:
        raise InvalidInput("Nothing changed: these are already the team's norms.")
    version = OperatingNorms(team_id=team_id, number=number + 1, author_id=actor.id, **content)
    db.session.add(version)
    try:
        db.session.commit()
    except IntegrityError:
        # Another lead saved the same version number at the same moment.
        db.session.rollback()
        raise Conflict(
            "Someone else saved the norms at the same moment. Check the norms page, then "
            "save again."
        ) from None
    return version


# --- Stakeholder incentives --------------------------------------------------------------


def _members_by_agency(team_id: int) -> dict[str, list[Membership]]:
    members = current_members(team_id)
    grouped: dict[str, list[Membership]] = {}
    for membership in members:
        grouped.setdefault(membership.agency, []).append(membership)
    return grouped


def team_agencies(team_id: int) -> list[str]:
    """The distinct agencies of the team's current members, alphabetically."""
    return sorted(_members_by_agency(team_id))


def can_edit_incentive(access: TeamAccess, agency: str) -> bool:
    """Leads edit every agency's incentives; a voting member (or recorder) their own agency's.
    Observers follow the team's work without being formal members, so they edit none."""
    if access.can(Action.EDIT_CHARTER):
        return True
    return access.membership.role is not Role.OBSERVER and access.membership.agency == agency


@dataclass(frozen=True)
class AgencyIncentive:
    agency: str
    incentive: Incentive | None
    status: ReviewStatus
    days_left: int | None  # days until the review; negative when overdue
    can_edit: bool
    on_team: bool
    members: list[Membership] = field(default_factory=list)


def _agency_view(
    access: TeamAccess,
    agency: str,
    incentive: Incentive | None,
    members: list[Membership],
    day: date,
) -> AgencyIncentive:
    review = incentive.review_date if incentive is not None else None
    on_team = bool(members)
    return AgencyIncentive(
        agency=agency,
        incentive=incentive,
        status=review_status(review, day),
        days_left=(review - day).days if review is not None else None,
        can_edit=on_team and can_edit_incentive(access, agency),
        on_team=on_team,
        members=members,
    )


@dataclass(frozen=True)
class IncentivesOverview:
    agencies: list[AgencyIncentive]  # every agency on the team, alphabetically
    attention: list[AgencyIncentive]  # reviews overdue or due soon, soonest first
    former: list[AgencyIncentive]  # recorded for agencies no longer on the team


def team_incentives(access: TeamAccess, day: date | None = None) -> IncentivesOverview:
    day = day or today()
    members = _members_by_agency(access.team.id)
    records = {
        incentive.agency: incentive
        for incentive in db.session.scalars(
            sa.select(Incentive)
            .options(joinedload(Incentive.updated_by))
            .where(Incentive.team_id == access.team.id)
        )
    }
    agencies = [
        _agency_view(access, agency, records.get(agency), group, day)
        for agency, group in sorted(members.items())
    ]
    attention = sorted(
        (a for a in agencies if a.status.needs_attention),
        key=lambda a: (a.days_left, a.agency),
    )
    former = [
        _agency_view(access, agency, incentive, [], day)
        for agency, incentive in sorted(records.items())
        if agency not in members
    ]
    return IncentivesOverview(agencies, attention, former)


@dataclass(frozen=True)
class AgencyIncentiveDetail:
    view: AgencyIncentive
    changes: list[IncentiveChange]  # newest first
    number: int  # the latest change's number (0 when nothing is recorded)


def agency_incentive(
    access: TeamAccess, agency: str, day: date | None = None
) -> AgencyIncentiveDetail:
    """One agency's incentives with their history; NotFound for an agency the team never had."""
    agency = " ".join((agency or "").split())
    members = _members_by_agency(access.team.id).get(agency, [])
    incentive = _incentive(access.team.id, agency)
    if not members and incentive is None:
        raise NotFound("That agency is not on this team.")
    changes = list(incentive.changes) if incentive is not None else []
    return AgencyIncentiveDetail(
        view=_agency_view(access, agency, incentive, members, day or today()),
        changes=list(reversed(changes)),
        number=changes[-1].number if changes else 0,
    )


def _incentive(team_id: int, agency: str) -> Incentive | None:
    return db.session.scalar(
        sa.select(Incentive)
        .options(selectinload(Incentive.changes).joinedload(IncentiveChange.changed_by))
        .where(Incentive.team_id == team_id, Incentive.agency == agency)
    )


def incentive_editor(actor: User, team_id: int, agency: str) -> str:
    """Check that the actor may edit the agency's incentives (NotFound: not a member, or the
    agency is not on the team; Forbidden: not theirs to edit); the agency, cleaned."""
    access = team_access(actor, team_id, writing=True)
    agency = " ".join((agency or "").split())
    if agency not in _members_by_agency(team_id):
        raise NotFound("That agency is not on this team.")
    if not can_edit_incentive(access, agency):
        if access.membership.role is Role.OBSERVER:
            raise Forbidden("Observers do not edit incentives: ask a lead to record them.")
        raise Forbidden("You can edit your own agency's incentives only.")
    return agency


def save_incentive(
    actor: User,
    team_id: int,
    *,
    agency: str,
    brings: str,
    hopes_to_gain: str,
    review_date: date | None,
    expected_number: int | None = None,
) -> Incentive:
    """Record what an agency brings and hopes to gain, and when to review it.

    Leads record any agency's; members their own agency's. `expected_number` works as in
    save_norms: the change the editor started from (0 for none), None to skip the check.
    """
    agency = incentive_editor(actor, team_id, agency)
    brings = _text(brings, "brings")
    if not brings:
        raise InvalidInput(f"Say what {agency} brings to the team.", field="brings")
    hopes_to_gain = _text(hopes_to_gain, "hopes_to_gain")
    if not hopes_to_gain:
        raise InvalidInput(f"Say what {agency} hopes to gain from the team.", field="hopes_to_gain")
    day = today()
    if not isinstance(review_date, date):
        raise InvalidInput("Choose the date of the next review.", field="review_date")
    if review_date < day:
        raise InvalidInput(
            f"{review_date:%d %B %Y} is in the past. Choose today or a later date for the "
            "next review.",
            field="review_date",
        )
    if review_date > day + timedelta(days=REVIEW_HORIZON_DAYS):
        raise InvalidInput("Choose a review date within the next three years.", field="review_date")

    incentive = _incentive(team_id, agency)
    changes = list(incentive.changes) if incentive is not None else []
    number = changes[-1].number if changes else 0
    if expected_number is not None and expected_number != number:
        last = changes[-1] if changes else None
        author = last.changed_by.name if last is not None and last.changed_by else "Someone"
        raise Conflict(
            f"{author} changed {agency}'s incentives while you were editing, so yours were not "
            "saved. Compare with the history below, then save again to replace them."
        )
    if incentive is None:
        incentive = Incentive(team_id=team_id, agency=agency)
        db.session.add(incentive)
    elif (incentive.brings, incentive.hopes_to_gain, incentive.review_date) == (
        brings,
        hopes_to_gain,
        review_date,
    ):
        raise InvalidInput("Nothing changed: this is what is already recorded.")
    if incentive.review_date != review_date:
        incentive.last_reminded_on = None  # a new date starts a new round of reminders
    now = utcnow()
    incentive.brings = brings
    incentive.hopes_to_gain = hopes_to_gain
    incentive.review_date = review_date
    incentive.updated_by_id = actor.id
    incentive.updated_at = now
    db.session.add(
        IncentiveChange(
            incentive=incentive,
            number=number + 1,
            brings=brings,
            hopes_to_gain=hopes_to_gain,
            review_date=review_date,
            changed_by_id=actor.id,
            changed_at=now,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            f"Someone else saved {agency}'s incentives at the same moment. Check them, then "
            "save again."
        ) from None
    return incentive


# --- Composition -------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A discipline on the composition page, with the members who fill it."""

    discipline: Discipline
    members: list[Membership]
    via: list[Discipline]  # the disciplines filling it, when not the discipline itself

    @property
    def observers_only(self) -> bool:
        return bool(self.members) and all(m.role is Role.OBSERVER for m in self.members)


@dataclass(frozen=True)
class TeamComposition:
    juvenile: bool
    present: list[Seat]
    missing: list[Discipline]
    others: list[Seat]


def team_composition(access: TeamAccess, *, juvenile: bool) -> TeamComposition:
    """The team's disciplines against the brief's recommendation (composition.composition)."""
    roster = team_roster(access)
    by_discipline: dict[str, list[Membership]] = {}
    for membership in roster.members:
        by_discipline.setdefault(membership.discipline.value, []).append(membership)
    result = rules.composition(set(by_discipline), juvenile)

    def seat(discipline: str, filling: Sequence[str]) -> Seat:
        return Seat(
            discipline=Discipline(discipline),
            members=[m for d in filling for m in by_discipline[d]],
            via=[Discipline(d) for d in filling if d != discipline],
        )

    return TeamComposition(
        juvenile=juvenile,
        present=[seat(d, rules.covered_by(d, by_discipline)) for d in result.present_recommended],
        missing=[Discipline(d) for d in result.missing],
        others=[seat(d, [d]) for d in result.others],
    )


# --- Asked by other capabilities ---------------------------------------------------------


@designee_votes_allowed.connect
def _designees_may_vote(team_id: int, **_extra: Any) -> bool:
    """The consensus loop asks this before recording a designee's vote."""
    norms = _latest_norms(team_id)
    return bool(norms and norms.designees_may_vote)


def members_may_draft(team_id: int) -> bool:
    """Whether the team's norms let any voting member start charter drafts."""
    norms = _latest_norms(team_id)
    return bool(norms and norms.members_may_draft)
