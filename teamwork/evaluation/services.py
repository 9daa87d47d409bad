"""Evaluation: measures and data points, assessment periods and answers, results, the network
comparison and the team health dashboard.

Who may do what: every member reads their team's evaluation; leads (`MANAGE_EVALUATION`) define
measures and open and close assessment periods; staff (`ENTER_MEASURES`) enter data points, and
so may the member a measure names as the one who enters its data; voting members answer the
assessment. Anonymity: a response is read back only by its author (`my_answers`); everything else
here returns aggregates, and none for fewer than `rules.MIN_GROUP` responses.

May import the teams services, the models, `rules` and `process`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from teamwork.auth.models import User
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.evaluation import rules
from teamwork.evaluation.models import (
    AssessmentAnswer,
    AssessmentPeriod,
    AssessmentResponse,
    DataPoint,
    Measure,
)
from teamwork.evaluation.process import ProcessReport, Window, process_report
from teamwork.evaluation.rules import (
    AnswerError,
    Direction,
    Frequency,
    Level,
    MeasureKind,
    Summary,
    Trend,
)
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, require_writable, team_access, today

WINDOW_CHOICES = (3, 6, 12, 24)  # months the dashboard's process figures can cover
DEFAULT_WINDOW = 12


# --- Measures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureSummary:
    measure: Measure
    points: list[DataPoint]
    latest: DataPoint | None
    trend: Trend
    on_target: bool | None

    @property
    def latest_text(self) -> str:
        """The latest value with its unit, as people write it ("87.5 %"); "" if none."""
        if self.latest is None:
            return ""
        return f"{rules.format_number(self.latest.value)} {self.measure.unit}"


def summarize_measure(measure: Measure) -> MeasureSummary:
    points = list(measure.points)
    latest = points[-1] if points else None
    return MeasureSummary(
        measure=measure,
        points=points,
        latest=latest,
        trend=rules.trend([p.value for p in points], measure.direction),
        on_target=rules.on_target(
            latest.value if latest else None, measure.target, measure.direction
        ),
    )


def list_measures(access: TeamAccess) -> list[MeasureSummary]:
    measures = db.session.scalars(
        sa.select(Measure)
        .where(Measure.team_id == access.team.id)
        .options(selectinload(Measure.points), selectinload(Measure.enterer))
        .order_by(Measure.kind, sa.func.lower(Measure.name))
    ).all()
    return [summarize_measure(m) for m in measures]


def team_measure(
    actor: User, team_id: int, measure_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Measure]:
    """The measure, if it belongs to a team the actor may act on (else NotFound/Forbidden)."""
    access = team_access(actor, team_id, action)
    measure = db.session.get(Measure, measure_id)
    if measure is None or measure.team_id != team_id:
        raise NotFound()
    return access, measure


def enterer_choices(access: TeamAccess) -> list[Membership]:
    """Members who can be named to enter a measure's data (current members of the team)."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.team_id == access.team.id,
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .order_by(sa.func.lower(User.name))
        )
    )


@dataclass(frozen=True)
class MeasureFields:
    name: str
    description: str
    kind: MeasureKind
    unit: str
    target: float | None
    direction: Direction
    frequency: Frequency
    enterer_id: int | None


E = TypeVar("E", bound=StrEnum)


def _choice(enum_cls: type[E], value: object, field: str, message: str) -> E:
    try:
        return enum_cls(str(value))
    except ValueError:
        raise InvalidInput(message, field=field) from None


def _clean_measure(
    team_id: int,
    *,
    name: str,
    description: str,
    kind: str,
    unit: str,
    target: str | float | None,
    direction: str,
    frequency: str,
    enterer_id: int | None,
) -> MeasureFields:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give the measure a name.", field="name")
    if len(name) > rules.NAME_MAX:
        raise InvalidInput(f"Keep the name under {rules.NAME_MAX} characters.", field="name")
    description = (description or "").strip()
    if len(description) > rules.DESCRIPTION_MAX:
        raise InvalidInput(
            f"Keep the description under {rules.DESCRIPTION_MAX} characters.", field="description"
        )
    unit = " ".join((unit or "").split())
    if not unit:
        raise InvalidInput("Give the unit, for example %, days or cases.", field="unit")
    if len(unit) > rules.UNIT_MAX:
        raise InvalidInput(
            f"Keep the unit short: at most {rules.UNIT_MAX} characters (e.g. %, days).",
            field="unit",
        )
    clean_target: float | None = None
    try:
        if isinstance(target, str):
            clean_target = rules.parse_number(target, what="The target") if target.strip() else None
        elif target is not None:
            clean_target = rules.check_number(target, what="The target")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="target") from None
    fields = MeasureFields(
        name=name,
        description=description,
        kind=_choice(MeasureKind, kind, "kind", "Choose process or outcome."),
        unit=unit,
        target=clean_target,
        direction=_choice(
            Direction, direction, "direction", "Choose whether higher or lower is better."
        ),
        frequency=_choice(Frequency, frequency, "frequency", "Choose how often data is entered."),
        enterer_id=enterer_id or None,
    )
    if fields.enterer_id is not None:
        member = db.session.get(Membership, fields.enterer_id)
        if member is None or member.team_id != team_id or not member.is_current:
            raise InvalidInput("Choose a current member of the team.", field="enterer_id")
    return fields


def create_measure(
    actor: User,
    team_id: int,
    *,
    name: str,
    kind: str,
    unit: str,
    direction: str,
    frequency: str,
    target: str | float | None = None,
    description: str = "",
    enterer_id: int | None = None,
) -> Measure:
    team_access(actor, team_id, Action.MANAGE_EVALUATION)
    fields = _clean_measure(
        team_id,
        name=name,
        description=description,
        kind=kind,
        unit=unit,
        target=target,
        direction=direction,
        frequency=frequency,
        enterer_id=enterer_id,
    )
    measure = Measure(team_id=team_id, created_by_id=actor.id, **fields.__dict__)
    db.session.add(measure)
    db.session.commit()
    return measure


def update_measure(
    actor: User,
    team_id: int,
    measure_id: int,
    *,
    name: str,
    kind: str,
    unit: str,
    direction: str,
    frequency: str,
    target: str | float | None = None,
    description: str = "",
    enterer_id: int | None = None,
) -> Measure:
    _, measure = team_measure(actor, team_id, measure_id, Action.MANAGE_EVALUATION)
    fields = _clean_measure(
        team_id,
        name=name,
        description=description,
        kind=kind,
        unit=unit,
        target=target,
        direction=direction,
        frequency=frequency,
        enterer_id=enterer_id,
    )
    for key, value in fields.__dict__.items():
        setattr(measure, key, value)
    db.session.commit()
    return measure


def delete_measure(actor: User, team_id: int, measure_id: int) -> str:
    """Delete a measure and its data points; returns its name (for the confirmation)."""
    _, measure = team_measure(actor, team_id, measure_id, Action.MANAGE_EVALUATION)
    name = measure.name
    db.session.delete(measure)
    db.session.commit()
    return name


def can_enter(access: TeamAccess, measure: Measure) -> bool:
    """Staff enter any measure's data; the member a measure names enters that measure's."""
    return access.can(Action.ENTER_MEASURES) or measure.enterer_id == access.membership.id


def entry_access(actor: User, team_id: int, measure_id: int) -> tuple[TeamAccess, Measure]:
    access, measure = team_measure(actor, team_id, measure_id)
    require_writable(access)
    if not can_enter(access, measure):
        raise Forbidden("Only the team's staff, or the member named for this measure, enter data.")
    return access, measure


def add_data_point(
    actor: User,
    team_id: int,
    measure_id: int,
    *,
    recorded_on: date | None,
    value: str | float | None,
    note: str = "",
    on_day: date | None = None,
) -> DataPoint:
    """Record a measure's value for a date (one per date). `on_day` is "today" (for tests)."""
    _, measure = entry_access(actor, team_id, measure_id)
    if recorded_on is None:
        raise InvalidInput("Give the date the value is for.", field="recorded_on")
    try:
        rules.check_point_date(recorded_on, on_day or today())
    except ValueError as exc:
        raise InvalidInput(str(exc), field="recorded_on") from None
    try:
        if isinstance(value, str) or value is None:
            number = rules.parse_number(value)
        else:
            number = rules.check_number(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="value") from None
    note = " ".join((note or "").split())
    if len(note) > rules.NOTE_MAX:
        raise InvalidInput(f"Keep the note under {rules.NOTE_MAX} characters.", field="note")
    taken = db.session.scalar(
        sa.select(DataPoint.id).where(
            DataPoint.measure_id == measure.id, DataPoint.recorded_on == recorded_on
        )
    )
    duplicate = InvalidInput(
        f"There is already a value for {recorded_on:%d %b %Y}. Delete it first to replace it.",
        field="recorded_on",
    )
    if taken is not None:
        raise duplicate
    point = DataPoint(
        measure_id=measure.id,
        recorded_on=recorded_on,
        value=number,
        note=note,
        entered_by_id=actor.id,
    )
    db.session.add(point)
    try:
        db.session.commit()
    except IntegrityError:  # the same date entered at the same moment by someone else
        db.session.rollback()
        raise duplicate from None
    return point


def delete_data_point(
    actor: User, team_id: int, measure_id: int, point_id: int
) -> DataPoint | None:
    """Delete a value; None when it was already deleted (a second click is not an error). A
    value of another measure is NotFound."""
    _, measure = entry_access(actor, team_id, measure_id)
    point = db.session.get(DataPoint, point_id)
    if point is None:
        return None
    if point.measure_id != measure.id:
        raise NotFound()
    db.session.delete(point)
    db.session.commit()
    return point


# --- Assessment periods ----------------------------------------------------------------------


def team_period(
    actor: User, team_id: int, period_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, AssessmentPeriod]:
    access = team_access(actor, team_id, action)
    period = db.session.get(AssessmentPeriod, period_id)
    if period is None or period.team_id != team_id:
        raise NotFound()
    return access, period


@dataclass(frozen=True)
class PeriodView:
    period: AssessmentPeriod
    responses: int
    answered_by_me: bool


def _response_counts(period_ids: list[int]) -> dict[int, int]:
    if not period_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(AssessmentResponse.period_id, sa.func.count(AssessmentResponse.id))
            .where(AssessmentResponse.period_id.in_(period_ids))
            .group_by(AssessmentResponse.period_id)
        ).all()
    )


def list_periods(access: TeamAccess) -> list[PeriodView]:
    """The team's periods, newest first, with how many answered and whether the actor did."""
    periods = db.session.scalars(
        sa.select(AssessmentPeriod)
        .where(AssessmentPeriod.team_id == access.team.id)
        .order_by(AssessmentPeriod.opened_at.desc(), AssessmentPeriod.id.desc())
    ).all()
    counts = _response_counts([p.id for p in periods])
    mine = set(
        db.session.scalars(
            sa.select(AssessmentResponse.period_id).where(
                AssessmentResponse.membership_id == access.membership.id
            )
        )
    )
    return [PeriodView(p, counts.get(p.id, 0), p.id in mine) for p in periods]


def open_period(
    actor: User,
    team_id: int,
    *,
    title: str,
    closes_on: date | None = None,
    now: datetime | None = None,
) -> AssessmentPeriod:
    """Open an assessment period (one open at a time)."""
    team_access(actor, team_id, Action.MANAGE_EVALUATION)
    now = now or utcnow()
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("Name the period, for example “Spring 2026”.", field="title")
    if len(title) > rules.PERIOD_TITLE_MAX:
        raise InvalidInput(
            f"Keep the name under {rules.PERIOD_TITLE_MAX} characters.", field="title"
        )
    if closes_on is not None and closes_on < now.date():
        raise InvalidInput("The closing date has already passed.", field="closes_on")
    already = db.session.scalar(
        sa.select(AssessmentPeriod.title).where(
            AssessmentPeriod.team_id == team_id, AssessmentPeriod.closed_at.is_(None)
        )
    )
    if already is not None:
        raise Conflict(f"“{already}” is still open: close it before opening another.")
    period = AssessmentPeriod(
        team_id=team_id, title=title, closes_on=closes_on, opened_at=now, opened_by_id=actor.id
    )
    db.session.add(period)
    db.session.commit()
    return period


def close_period(
    actor: User, team_id: int, period_id: int, *, now: datetime | None = None
) -> AssessmentPeriod:
    _, period = team_period(actor, team_id, period_id, Action.MANAGE_EVALUATION)
    if not period.is_open:
        raise Conflict("This assessment is already closed.")
    period.closed_at = now or utcnow()
    period.closed_by_id = actor.id
    db.session.commit()
    return period


def _my_response(membership_id: int, period_id: int) -> AssessmentResponse | None:
    return db.session.scalar(
        sa.select(AssessmentResponse)
        .where(
            AssessmentResponse.period_id == period_id,
            AssessmentResponse.membership_id == membership_id,
        )
        .options(selectinload(AssessmentResponse.answers))
    )


def my_answers(access: TeamAccess, period: AssessmentPeriod) -> dict[str, Level] | None:
    """The actor's own answers in the period (None if they have not answered). The only way
    a response is ever read back with its author known."""
    response = _my_response(access.membership.id, period.id)
    return response.as_dict() if response else None


def submit_answers(
    actor: User,
    team_id: int,
    period_id: int,
    answers: Mapping[str, object],
    *,
    now: datetime | None = None,
) -> AssessmentResponse:
    """Record or revise the actor's answers while the period is open."""
    access, period = team_period(actor, team_id, period_id)
    require_writable(access)
    if not access.can(Action.VOTE):
        raise Forbidden("Observers follow the assessment but do not answer it.")
    if not period.is_open:
        raise Conflict("This assessment has closed: answers can no longer be given or changed.")
    try:
        cleaned = rules.clean_answers(answers)
    except AnswerError as exc:
        raise InvalidInput(str(exc), field=exc.key) from None
    now = now or utcnow()
    response = _my_response(access.membership.id, period.id)
    if response is None:
        response = AssessmentResponse(
            period_id=period.id, membership_id=access.membership.id, submitted_at=now
        )
        db.session.add(response)
    existing = {a.item_key: a for a in response.answers}
    for key, level in cleaned.items():
        if key in existing:
            existing[key].level = int(level)
        else:
            response.answers.append(AssessmentAnswer(item_key=key, level=int(level)))
    response.updated_at = now
    try:
        db.session.commit()
    except IntegrityError:  # a double submit raced its twin: the other one was recorded
        db.session.rollback()
        raise Conflict(
            "Your answers were just saved from another window. Reload to revise."
        ) from None
    return response


def _answer_sets(period_ids: list[int]) -> dict[int, list[dict[str, int]]]:
    """Each period's answer sets, one per response, with nothing that says whose."""
    sets: dict[int, dict[int, dict[str, int]]] = {pid: {} for pid in period_ids}
    if not period_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            AssessmentResponse.period_id,
            AssessmentAnswer.response_id,
            AssessmentAnswer.item_key,
            AssessmentAnswer.level,
        )
        .join(AssessmentResponse, AssessmentResponse.id == AssessmentAnswer.response_id)
        .where(AssessmentResponse.period_id.in_(period_ids))
    ).all()
    for period_id, response_id, key, level in rows:
        sets[period_id].setdefault(response_id, {})[key] = level
    return {pid: list(by_response.values()) for pid, by_response in sets.items()}


def _closed_periods(team_id: int) -> list[AssessmentPeriod]:
    return list(
        db.session.scalars(
            sa.select(AssessmentPeriod)
            .where(AssessmentPeriod.team_id == team_id, AssessmentPeriod.closed_at.is_not(None))
            .order_by(AssessmentPeriod.closed_at, AssessmentPeriod.id)
        )
    )


@dataclass(frozen=True)
class PeriodResult:
    period: AssessmentPeriod
    summary: Summary  # with each dimension's change since `previous`
    previous: AssessmentPeriod | None


def results_over_time(team_id: int) -> list[PeriodResult]:
    """Aggregated results of every closed period, oldest first, each compared with the one
    before it (small groups suppressed)."""
    periods = _closed_periods(team_id)
    sets = _answer_sets([p.id for p in periods])
    results: list[PeriodResult] = []
    previous: PeriodResult | None = None
    for period in periods:
        summary = rules.summarize(sets[period.id])
        summary = rules.with_change(summary, previous.summary if previous else None)
        result = PeriodResult(period, summary, previous.period if previous else None)
        results.append(result)
        previous = result
    return results


@dataclass(frozen=True)
class PeriodPage:
    access: TeamAccess
    period: AssessmentPeriod
    responses: int
    result: PeriodResult | None  # None while the period is open
    history: list[PeriodResult]


def period_results(actor: User, team_id: int, period_id: int) -> PeriodPage:
    """A period's results. While it is open only the number of responses is given: watching
    the figures move as each person answers would reveal their answers."""
    access, period = team_period(actor, team_id, period_id)
    count = _response_counts([period.id]).get(period.id, 0)
    history = results_over_time(team_id)
    result = next((r for r in history if r.period.id == period.id), None)
    return PeriodPage(access, period, count, result, history)


# --- The network comparison --------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkRow:
    team: Team
    result: PeriodResult | None  # its latest closed period; None if it has none


@dataclass(frozen=True)
class NetworkComparison:
    team: Team
    rows: list[NetworkRow]


def network_comparison(actor: User, team_id: int) -> NetworkComparison:
    """The latest collaboration results of each team directly under this one, aggregated only,
    for the members of this (parent) team; teams with too few responses show their count only."""
    access = team_access(actor, team_id)
    children = sorted(access.team.children, key=lambda t: t.name.lower())
    rows = []
    for child in children:
        history = results_over_time(child.id)
        rows.append(NetworkRow(child, history[-1] if history else None))
    return NetworkComparison(access.team, rows)


# --- The dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    access: TeamAccess
    measures: list[MeasureSummary]
    process: ProcessReport
    months: int
    open_period: PeriodView | None
    latest: PeriodResult | None
    history: list[PeriodResult]


def clean_months(months: object) -> int:
    try:
        value = int(str(months))
    except ValueError:
        return DEFAULT_WINDOW
    return value if value in WINDOW_CHOICES else DEFAULT_WINDOW


def team_dashboard(
    actor: User, team_id: int, *, months: int = DEFAULT_WINDOW, now: datetime | None = None
) -> Dashboard:
    """Everything a team's health dashboard shows, for members of the team."""
    access = team_access(actor, team_id)
    now = now or utcnow()
    months = clean_months(months)
    periods = list_periods(access)
    history = results_over_time(team_id)
    return Dashboard(
        access=access,
        measures=list_measures(access),
        process=process_report(team_id, Window.last_months(months, now.date()), now=now),
        months=months,
        open_period=next((p for p in periods if p.period.is_open), None),
        latest=history[-1] if history else None,
        history=history,
    )


# --- Names for the audit trail (teams.audit_trail asks through its registry) ----------------


def measure_names(team_id: int, ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Measure.id, Measure.name).where(Measure.id.in_(ids), Measure.team_id == team_id)
    )
    return {measure_id: f"“{name}”" for measure_id, name in rows}
