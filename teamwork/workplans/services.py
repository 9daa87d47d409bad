"""The workplan's operations: reading a team's workplan by goal, creating and changing
activities (every change kept in the history), progress notes, "my deliverables" across teams,
activities from meeting action items, and what changed since the team's last meeting.

Who may do what: every current member reads the team's workplan; leads (Action.MANAGE_WORKPLAN)
create and change any activity; an activity's owner changes its status, progress notes, dates,
description and deliverable, but not its title, goal, owner, collaborators or dependencies.
Owners and collaborators must be current members of the team (observers included: they do not
vote, but they may take on work).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from teamwork.auth.models import User
from teamwork.charter.models import Statement, StatementKind, VersionStatus
from teamwork.cleaning import clean_text
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.meetings.signals import action_item_activities
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, team_access, today
from teamwork.workplans import rules
from teamwork.workplans.models import (
    Activity,
    ActivityChange,
    ActivityCollaborator,
    ActivityDependency,
    ActivityNote,
    ChangeKind,
)
from teamwork.workplans.rules import ActivityStatus, Progress, RuleViolation, Timing
from teamwork.workplans.signals import activity_assigned

GOAL_KINDS = (StatementKind.LONG_TERM_GOAL, StatementKind.SHORT_TERM_GOAL)
# Fields an activity's owner may change; everything else is for leads.
OWNER_FIELDS = frozenset(
    {"description", "deliverable", "start_on", "due_on", "status", "blocked_reason"}
)
LEAD_FIELDS = frozenset({"title", "goal_id", "owner_id", "collaborator_ids", "depends_on_ids"})
ALL_FIELDS = OWNER_FIELDS | LEAD_FIELDS


# --- Access ----------------------------------------------------------------------------------


def is_lead(access: TeamAccess) -> bool:
    return access.can(Action.MANAGE_WORKPLAN)


def is_owner(access: TeamAccess, activity: Activity) -> bool:
    return activity.owner_id == access.membership.id


def can_edit(access: TeamAccess, activity: Activity) -> bool:
    return is_lead(access) or is_owner(access, activity)


def _activity(access: TeamAccess, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.team_id != access.team.id:
        raise NotFound()
    return activity


def get_activity(access: TeamAccess, activity_id: int) -> Activity:
    return _activity(access, activity_id)


def _editing_access(actor: User, team_id: int, activity_id: int) -> tuple[TeamAccess, Activity]:
    access = team_access(actor, team_id, writing=True)
    activity = _activity(access, activity_id)
    if not can_edit(access, activity):
        raise Forbidden("Only the activity's owner or a lead of the team can change it.")
    return access, activity


# --- Goals and members -----------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    statement: Statement
    text: str
    adopted: bool

    @property
    def label(self) -> str:
        short = self.text if len(self.text) <= 120 else self.text[:117].rstrip() + "…"
        return short + ("" if self.adopted else " (draft)")


def goal_of(statement: Statement) -> Goal:
    versions = list(statement.versions)
    adopted = next((v for v in reversed(versions) if v.status is VersionStatus.ADOPTED), None)
    shown = adopted or (versions[-1] if versions else None)
    return Goal(statement, shown.text if shown else "", adopted is not None)


def team_goals(team_id: int) -> list[Goal]:
    """The team's long- and short-term goals, adopted or still in draft."""
    statements = db.session.scalars(
        sa.select(Statement)
        .options(selectinload(Statement.versions))
        .where(Statement.team_id == team_id, Statement.kind.in_(GOAL_KINDS))
        .order_by(Statement.kind, Statement.id)
    )
    return [goal_of(s) for s in statements]


def _member(team_id: int, membership_id: Any, field: str) -> Membership:
    membership = None
    if isinstance(membership_id, int) or (
        isinstance(membership_id, str) and membership_id.isdigit()
    ):
        membership = db.session.get(Membership, int(membership_id))
    if membership is None or membership.team_id != team_id or not membership.is_current:
        who = "The owner" if field == "owner_id" else "Every collaborator"
        raise InvalidInput(f"{who} must be a current member of the team.", field=field)
    return membership


def _goal_statement(team_id: int, goal_id: Any) -> Statement | None:
    if goal_id in (None, ""):
        return None
    statement = db.session.get(Statement, int(goal_id)) if str(goal_id).isdigit() else None
    if statement is None or statement.team_id != team_id or statement.kind not in GOAL_KINDS:
        raise InvalidInput("Choose one of the team's goals, or none.", field="goal_id")
    return statement


# --- Reading the workplan ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    activity: Activity
    timing: Timing
    days_overdue: int

    @property
    def done_on_time(self) -> bool | None:
        return rules.done_on_time(self.activity.due_on, self.activity.completed_on)


def row(activity: Activity, day: date) -> ActivityRow:
    return ActivityRow(
        activity,
        rules.timing(activity.status, activity.due_on, day),
        rules.days_overdue(activity.status, activity.due_on, day),
    )


@dataclass(frozen=True)
class GoalGroup:
    goal: Goal | None  # None: "Other activities"
    rows: list[ActivityRow]
    progress: Progress

    @property
    def title(self) -> str:
        return self.goal.label if self.goal else "Other activities"


@dataclass(frozen=True)
class Filters:
    owner_id: int | None = None
    status: ActivityStatus | None = None
    # "overdue", "soon" (due within a week), "month" (within 30 days), "none" (no due date)
    due: str = ""

    @property
    def active(self) -> bool:
        return bool(self.owner_id or self.status or self.due)


DUE_FILTERS = {
    "overdue": "Overdue",
    "soon": "Due within a week",
    "month": "Due within 30 days",
    "none": "No due date",
}


def _matches(item: ActivityRow, filters: Filters, day: date) -> bool:
    a = item.activity
    if filters.owner_id and a.owner_id != filters.owner_id:
        return False
    if filters.status and a.status is not filters.status:
        return False
    if filters.due == "overdue":
        return item.timing is Timing.OVERDUE
    if filters.due == "soon":
        return item.timing in {Timing.OVERDUE, Timing.DUE_SOON}
    if filters.due == "month":
        return a.status.is_open and a.due_on is not None and (a.due_on - day).days <= 30
    if filters.due == "none":
        return a.due_on is None
    return True


def _sort_key(activity: Activity) -> tuple[Any, ...]:
    return (not activity.status.is_open, activity.due_on or date.max, activity.title.lower())


def team_activities(team_id: int) -> list[Activity]:
    return list(
        db.session.scalars(
            sa.select(Activity)
            .options(
                joinedload(Activity.owner).joinedload(Membership.user),
                selectinload(Activity.collaborators)
                .joinedload(ActivityCollaborator.membership)
                .joinedload(Membership.user),
                selectinload(Activity.dependencies).joinedload(ActivityDependency.depends_on),
            )
            .where(Activity.team_id == team_id)
        ).unique()
    )


def workplan(
    access: TeamAccess, filters: Filters | None = None, day: date | None = None
) -> list[GoalGroup]:
    """The team's activities grouped by goal (goals in charter order, then "Other activities"),
    each group with its progress. Progress counts every activity of the goal, whatever the
    filters show."""
    day = day or today()
    filters = filters or Filters()
    goals = team_goals(access.team.id)
    by_goal: dict[int | None, list[Activity]] = {g.statement.id: [] for g in goals}
    by_goal[None] = []
    for activity in team_activities(access.team.id):
        by_goal.setdefault(activity.goal_id, []).append(activity)
    groups = []
    for goal in [*goals, None]:
        activities = sorted(by_goal[goal.statement.id if goal else None], key=_sort_key)
        rows = [row(a, day) for a in activities]
        shown = [r for r in rows if _matches(r, filters, day)]
        if not activities and goal is None:
            continue
        groups.append(
            GoalGroup(goal, shown, rules.progress(((a.status, a.due_on) for a in activities), day))
        )
    return groups


def overall_progress(groups: Iterable[GoalGroup]) -> Progress:
    groups = list(groups)
    return Progress(
        *(
            sum(getattr(g.progress, name) for g in groups)
            for name in (
                "total",
                "done",
                "in_progress",
                "blocked",
                "not_started",
                "dropped",
                "overdue",
            )
        )
    )


@dataclass(frozen=True)
class TeamDeliverables:
    team: Team
    rows: list[ActivityRow]


def my_deliverables(actor: User, day: date | None = None) -> list[TeamDeliverables]:
    """The actor's own activities, by team, from the teams they still belong to (nothing from a
    team they have left, even activities that still name them)."""
    day = day or today()
    if not actor.is_active:
        return []
    activities = db.session.scalars(
        sa.select(Activity)
        .join(Membership, Membership.id == Activity.owner_id)
        .options(joinedload(Activity.team))
        .where(Membership.user_id == actor.id, Membership.removed_at.is_(None))
    ).all()
    teams: dict[int, list[Activity]] = {}
    for activity in activities:
        teams.setdefault(activity.team_id, []).append(activity)
    result = [
        TeamDeliverables(group[0].team, [row(a, day) for a in sorted(group, key=_sort_key)])
        for group in teams.values()
    ]
    return sorted(result, key=lambda t: t.team.name.lower())


@dataclass(frozen=True)
class MyActionItem:
    """An action item given to the actor in a meeting, as "My deliverables" shows it."""

    action: Any  # meetings.models.ActionItem
    team: Team
    overdue_days: int  # 0 when not due yet, or no due date


def my_action_items(actor: User, day: date | None = None) -> list[MyActionItem]:
    """The action items the actor owns and has not marked done, in every team they still
    belong to, soonest due first. One that became a workplan activity is left out: the
    activity stands for it in the list (and is done when the activity is)."""
    from teamwork.meetings.minutes.services import open_action_items

    day = day or today()
    actions = open_action_items(actor)
    if not actions:
        return []
    became = set(
        db.session.scalars(
            sa.select(Activity.source_action_item_id).where(
                Activity.source_action_item_id.in_([a.id for a in actions])
            )
        )
    )
    return [
        MyActionItem(
            action=a,
            team=a.meeting.team,
            overdue_days=(day - a.due_on).days if a.due_on and a.due_on < day else 0,
        )
        for a in actions
        if a.id not in became
    ]


@dataclass(frozen=True)
class DueItem:
    """A line of the dashboard's "Due soon and overdue": an open workplan activity or a meeting
    action item not marked done, owned by the actor."""

    team: Team
    title: str
    due_on: date
    days_left: int  # negative: overdue by that many days
    activity: Activity | None = None
    action: Any = None  # meetings.models.ActionItem, when it is one

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def my_due_soon(
    actor: User, day: date | None = None, *, soon_days: int = rules.DUE_SOON_DAYS
) -> list[DueItem]:
    """The actor's open activities and open action items due within `soon_days` days (today
    included) or overdue, in the active teams they still belong to, soonest due first (so the
    most overdue lead). An action item that became an activity is listed once, as the activity
    (`my_action_items`); an item without a due date is never due, so it is not here."""
    day = day or today()
    horizon = day + timedelta(days=soon_days)
    items = [
        DueItem(group.team, r.activity.title, due, (due - day).days, activity=r.activity)
        for group in my_deliverables(actor, day)
        if not group.team.is_archived
        for r in group.rows
        if r.activity.status.is_open and (due := r.activity.due_on) is not None and due <= horizon
    ]
    items += [
        DueItem(mine.team, mine.action.description, due, (due - day).days, action=mine.action)
        for mine in my_action_items(actor, day)
        if not mine.team.is_archived and (due := mine.action.due_on) is not None and due <= horizon
    ]
    return sorted(items, key=lambda i: (i.due_on, i.team.name.lower(), i.title.lower()))


def history(access: TeamAccess, activity_id: int) -> list[ActivityChange]:
    activity = _activity(access, activity_id)
    return list(reversed(activity.changes))


# --- Changing activities -------------------------------------------------------------------------


def _snapshot(activity: Activity) -> dict[str, Any]:
    """The activity as people read it: what the history compares."""
    goal = activity.goal
    return {
        "title": activity.title,
        "description": activity.description,
        "deliverable": activity.deliverable,
        "goal": goal_of(goal).label if goal is not None else None,
        "owner": activity.owner.user.name if activity.owner else None,
        "collaborators": sorted(m.user.name for m in activity.collaborator_memberships),
        "start_on": activity.start_on.isoformat() if activity.start_on else None,
        "due_on": activity.due_on.isoformat() if activity.due_on else None,
        "status": activity.status.label,
        "blocked_reason": activity.blocked_reason,
        "completed_on": activity.completed_on.isoformat() if activity.completed_on else None,
        "depends_on": sorted(a.title for a in activity.depends_on),
    }


def _text(value: Any, field: str, limit: int, *, required: bool = False, what: str = "") -> str:
    return clean_text(value, field, limit, required=f"Write {what}." if required else "")


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("Give a date like 2026-03-31.", field=field) from None


def _dependency_edges(team_id: int) -> dict[int, set[int]]:
    edges: dict[int, set[int]] = {}
    rows = db.session.execute(
        sa.select(ActivityDependency.activity_id, ActivityDependency.depends_on_id)
        .join(Activity, Activity.id == ActivityDependency.activity_id)
        .where(Activity.team_id == team_id)
    )
    for activity_id, depends_on_id in rows:
        edges.setdefault(activity_id, set()).add(depends_on_id)
    return edges


def _validate(
    team_id: int, activity: Activity | None, fields: Mapping[str, Any], day: date
) -> dict[str, Any]:
    """Check every given field before anything changes; returns the values to assign."""
    unknown = set(fields) - ALL_FIELDS
    if unknown:
        raise ValueError(f"unknown activity fields: {sorted(unknown)}")
    values: dict[str, Any] = {}
    if "title" in fields:
        values["title"] = _text(
            fields["title"], "title", rules.TITLE_MAX, required=True, what="a title"
        )
    if "description" in fields:
        values["description"] = _text(fields["description"], "description", rules.DESCRIPTION_MAX)
    if "deliverable" in fields:
        values["deliverable"] = _text(fields["deliverable"], "deliverable", rules.DELIVERABLE_MAX)
    if "goal_id" in fields:
        values["goal"] = _goal_statement(team_id, fields["goal_id"])
    if "owner_id" in fields:
        if fields["owner_id"] in (None, ""):
            raise InvalidInput("Choose who owns the activity.", field="owner_id")
        values["owner"] = _member(team_id, fields["owner_id"], "owner_id")
    owner = values.get("owner") or (activity.owner if activity else None)
    if "collaborator_ids" in fields:
        collaborators = {
            m.id: m
            for m in (_member(team_id, i, "collaborator_ids") for i in fields["collaborator_ids"])
        }
        collaborators.pop(owner.id if owner else None, None)  # the owner is not also a collaborator
        values["collaborators"] = list(collaborators.values())
    start_on = _date(fields["start_on"], "start_on") if "start_on" in fields else None
    due_on = _date(fields["due_on"], "due_on") if "due_on" in fields else None
    if "start_on" in fields:
        values["start_on"] = start_on
    else:
        start_on = activity.start_on if activity else None
    if "due_on" in fields:
        values["due_on"] = due_on
    else:
        due_on = activity.due_on if activity else None
    try:
        rules.check_dates(start_on, due_on)
        if "status" in fields or "blocked_reason" in fields:
            current = activity.status if activity else ActivityStatus.NOT_STARTED
            new = fields.get("status") or current
            try:
                new = ActivityStatus(new)
            except ValueError:
                raise RuleViolation("Choose a status from the list.", field="status") from None
            values["status_change"] = rules.change_status(
                current,
                new,
                reason=fields.get("blocked_reason", activity.blocked_reason if activity else ""),
                completed_on=activity.completed_on if activity else None,
                today=day,
            )
    except RuleViolation as exc:
        raise InvalidInput(exc.message, field=exc.field) from None
    if "depends_on_ids" in fields:
        edges = _dependency_edges(team_id)
        targets = []
        for raw in fields["depends_on_ids"]:
            target = db.session.get(Activity, int(raw)) if str(raw).isdigit() else None
            if target is None or target.team_id != team_id:
                raise InvalidInput(
                    "Choose activities of this team's workplan.", field="depends_on_ids"
                )
            if activity is not None and rules.creates_cycle(edges, activity.id, target.id):
                raise InvalidInput(
                    f"“{target.title}” already depends on this activity (directly or through "
                    "others): that would be a loop.",
                    field="depends_on_ids",
                )
            targets.append(target)
        values["depends_on"] = targets
    return values


def _assign(activity: Activity, values: Mapping[str, Any]) -> None:
    for name in ("title", "description", "deliverable", "goal", "owner", "start_on", "due_on"):
        if name in values:
            setattr(activity, name, values[name])
    if "status_change" in values:
        change: rules.StatusChange = values["status_change"]
        activity.status = change.status
        activity.blocked_reason = change.blocked_reason
        activity.completed_on = change.completed_on
    if "collaborators" in values:
        wanted = {m.id: m for m in values["collaborators"]}
        for link in list(activity.collaborators):
            if link.membership_id not in wanted:
                activity.collaborators.remove(link)
        have = {link.membership_id for link in activity.collaborators}
        for membership_id, membership in wanted.items():
            if membership_id not in have:
                activity.collaborators.append(ActivityCollaborator(membership=membership))
    elif "owner" in values:
        # A new owner who was a collaborator stops being one.
        for link in list(activity.collaborators):
            if link.membership_id == values["owner"].id:
                activity.collaborators.remove(link)
    if "depends_on" in values:
        wanted_ids = {a.id for a in values["depends_on"]}
        for dep in list(activity.dependencies):
            if dep.depends_on_id not in wanted_ids:
                activity.dependencies.remove(dep)
        have = {dep.depends_on_id for dep in activity.dependencies}
        for target in values["depends_on"]:
            if target.id not in have:
                activity.dependencies.append(ActivityDependency(depends_on=target))


def _record(
    activity: Activity,
    actor: User | None,
    kind: ChangeKind,
    changes: dict[str, Any],
    at: datetime | None = None,
) -> ActivityChange:
    entry = ActivityChange(
        activity=activity, team_id=activity.team_id, kind=kind, changes=changes, actor=actor
    )
    if at is not None:
        entry.created_at = at
    db.session.add(entry)
    return entry


def build_activity(
    access: TeamAccess,
    actor: User,
    fields: Mapping[str, Any],
    day: date,
    *,
    kind: ChangeKind = ChangeKind.CREATED,
) -> Activity:
    """A new activity from validated fields (title and owner required), with its "created"
    history entry; the caller commits. Used by creation, action items and CSV import."""
    for required, what in (("title", "a title"), ("owner_id", "an owner")):
        if required not in fields or fields[required] in (None, ""):
            raise InvalidInput(f"Give the activity {what}.", field=required)
    values = _validate(access.team.id, None, fields, day)
    # Column defaults apply only at insert; the history snapshot needs them now.
    activity = Activity(
        team=access.team,
        team_id=access.team.id,
        created_by_id=actor.id,
        status=ActivityStatus.NOT_STARTED,
        description="",
        deliverable="",
        blocked_reason="",
    )
    _assign(activity, values)
    db.session.add(activity)
    filled = {k: v for k, v in _snapshot(activity).items() if v not in (None, "", [])}
    _record(activity, actor, kind, rules.diff({}, filled))
    return activity


class PastDue(InvalidInput):
    """A new open activity due before today: it would start out overdue. Usually a typo in
    the year; the form asks to confirm it."""

    code = "past_due"


def past_due_days(status: ActivityStatus, due_on: date | None, day: date) -> int:
    """How many days before `day` an open activity was due (0: not past, or not open)."""
    if due_on is None or not status.is_open or due_on >= day:
        return 0
    return (day - due_on).days


def create_activity(
    actor: User,
    team_id: int,
    *,
    day: date | None = None,
    past_due_confirmed: bool = True,
    **fields: Any,
) -> Activity:
    """A lead adds an activity. Fields: title, owner_id (a membership id), description,
    deliverable, goal_id, collaborator_ids, start_on, due_on, depends_on_ids, status,
    blocked_reason. With `past_due_confirmed=False` (the form), an open activity due before
    today is refused (`PastDue`) until the lead confirms the date."""
    access = team_access(actor, team_id, Action.MANAGE_WORKPLAN)
    day = day or today()
    try:
        activity = build_activity(access, actor, fields, day)
        late = past_due_days(activity.status, activity.due_on, day)
        if late and not past_due_confirmed:
            raise PastDue(
                f"This due date was {late} day{'s' if late != 1 else ''} ago: the activity "
                "would start out overdue. Check the date, or confirm it below.",
                field="due_on",
            )
    except InvalidInput:
        db.session.rollback()
        raise
    db.session.flush()
    activity_assigned.send(activity, actor=actor)
    db.session.commit()
    return activity


def apply_changes(
    access: TeamAccess,
    actor: User,
    activity: Activity,
    fields: Mapping[str, Any],
    day: date,
    *,
    kind: ChangeKind = ChangeKind.UPDATED,
) -> dict[str, Any]:
    """Validate and apply changes to an activity, recording the field-level history; returns
    the changes (empty when nothing changed). The caller commits."""
    values = _validate(access.team.id, activity, fields, day)
    before = _snapshot(activity)
    _assign(activity, values)
    db.session.flush()
    changes = rules.diff(before, _snapshot(activity))
    if changes:
        _record(activity, actor, kind, changes)
        if "owner" in changes:
            activity_assigned.send(activity, actor=actor)
    return changes


def update_activity(
    actor: User, team_id: int, activity_id: int, *, day: date | None = None, **fields: Any
) -> Activity:
    """Change an activity. Leads change anything; the owner only OWNER_FIELDS (changing a
    lead-only field to a different value is Forbidden). Bad input changes nothing."""
    access, activity = _editing_access(actor, team_id, activity_id)
    if not is_lead(access):
        current = {
            "title": activity.title,
            "goal_id": activity.goal_id,
            "owner_id": activity.owner_id,
            "collaborator_ids": sorted(c.membership_id for c in activity.collaborators),
            "depends_on_ids": sorted(d.depends_on_id for d in activity.dependencies),
        }
        for name in LEAD_FIELDS & set(fields):
            given = fields[name]
            if isinstance(given, list | tuple | set):
                given = sorted(int(v) for v in given if str(v).isdigit())
            elif str(given).isdigit():
                given = int(given)
            elif given == "":
                given = None
            if given != current[name]:
                raise Forbidden(
                    "Only a lead can change an activity's title, goal, owner, collaborators "
                    "or dependencies."
                )
        fields = {k: v for k, v in fields.items() if k in OWNER_FIELDS}
    try:
        apply_changes(access, actor, activity, fields, day or today())
    except InvalidInput:
        db.session.rollback()
        raise
    db.session.commit()
    return activity


def set_status(
    actor: User,
    team_id: int,
    activity_id: int,
    *,
    status: ActivityStatus | str,
    blocked_reason: str = "",
    day: date | None = None,
) -> Activity:
    return update_activity(
        actor, team_id, activity_id, day=day, status=status, blocked_reason=blocked_reason
    )


def add_note(actor: User, team_id: int, activity_id: int, *, text: str) -> ActivityNote:
    """A progress note from the owner or a lead; it goes into the history too."""
    _access, activity = _editing_access(actor, team_id, activity_id)
    text = _text(text, "text", rules.NOTE_MAX, required=True, what="the progress note")
    note = ActivityNote(activity=activity, text=text, author=actor)
    db.session.add(note)
    _record(activity, actor, ChangeKind.NOTE, {"note": [None, text]})
    db.session.commit()
    return note


# --- From meeting action items --------------------------------------------------------------------


def create_activity_from_action_item(actor: User, team_id: int, action_item_id: int) -> Activity:
    """Turn an action item captured in a meeting's minutes into a workplan activity: its text
    becomes the title (shortened) and description, its owner and due date carry over, and the
    activity links back to it. Each action item becomes at most one activity."""
    from teamwork.meetings.models import ActionItem, Meeting

    access = team_access(actor, team_id, Action.MANAGE_WORKPLAN)
    item = db.session.get(ActionItem, action_item_id)
    meeting = db.session.get(Meeting, item.meeting_id) if item is not None else None
    if item is None or meeting is None or meeting.team_id != team_id:
        raise NotFound()
    existing = db.session.scalar(
        sa.select(Activity).where(Activity.source_action_item_id == item.id)
    )
    if existing is not None:
        raise Conflict(f"This action item is already in the workplan: “{existing.title}”.")
    text = " ".join(item.description.split())
    title = text if len(text) <= rules.TITLE_MAX else text[: rules.TITLE_MAX - 1].rstrip() + "…"
    fields: dict[str, Any] = {
        "title": title,
        "description": item.description.strip(),
        "owner_id": item.owner_id,
        "due_on": item.due_on,
    }
    try:
        activity = build_activity(access, actor, fields, today())
    except InvalidInput as exc:
        db.session.rollback()
        if exc.field == "owner_id":
            raise InvalidInput(
                "The action item's owner is no longer a member of the team; add the activity "
                "by hand with a new owner."
            ) from None
        raise
    activity.source_action_item_id = item.id
    db.session.commit()
    return activity


def activity_for_action_item(team_id: int, action_item_id: int) -> Activity | None:
    """The activity an action item became, if any (for the minutes page)."""
    return db.session.scalar(
        sa.select(Activity).where(
            Activity.team_id == team_id, Activity.source_action_item_id == action_item_id
        )
    )


# --- Changed since the last meeting ---------------------------------------------------------------


@dataclass(frozen=True)
class ActivityChanges:
    activity: Activity
    changes: list[ActivityChange]

    @property
    def lines(self) -> list[str]:
        """What changed overall, field by field (an activity added since then says so)."""
        created = any(c.kind is ChangeKind.CREATED for c in self.changes)
        net, notes = rules.net_changes(
            c.changes for c in self.changes if c.kind is not ChangeKind.CREATED
        )
        lines = ["Added to the workplan"] if created else []
        lines += rules.describe_changes(net)
        if notes:
            lines.append(f"{notes} progress note{'s' if notes != 1 else ''} added")
        return lines


@dataclass(frozen=True)
class SinceMeeting:
    meeting: Any  # teamwork.meetings.models.Meeting | None
    since: datetime | None
    activities: list[ActivityChanges]


def last_ended_meeting(team_id: int) -> tuple[Any, datetime | None]:
    from teamwork.meetings.models import Meeting, MeetingStatus

    ended = sa.func.coalesce(Meeting.ended_at, Meeting.started_at, Meeting.starts_at)
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.team_id == team_id, Meeting.status == MeetingStatus.ENDED)
        .order_by(ended.desc(), Meeting.id.desc())
        .limit(1)
    )
    if meeting is None:
        return None, None
    return meeting, meeting.ended_at or meeting.started_at or meeting.starts_at


def changes_since_last_meeting(access: TeamAccess) -> SinceMeeting:
    """Every change to the workplan since the team's last ended meeting (all changes when no
    meeting has ended yet), by activity, most recently changed first."""
    meeting, since = last_ended_meeting(access.team.id)
    query = (
        sa.select(ActivityChange)
        .options(joinedload(ActivityChange.activity), joinedload(ActivityChange.actor))
        .where(ActivityChange.team_id == access.team.id)
        .order_by(ActivityChange.created_at, ActivityChange.id)
    )
    if since is not None:
        query = query.where(ActivityChange.created_at > since)
    grouped: dict[int, list[ActivityChange]] = {}
    for change in db.session.scalars(query):
        grouped.setdefault(change.activity_id, []).append(change)
    items = [ActivityChanges(changes[0].activity, changes) for changes in grouped.values()]
    items.sort(key=lambda item: item.changes[-1].created_at, reverse=True)
    return SinceMeeting(meeting, since, items)


def changes_markdown(summary: SinceMeeting, day: date | None = None) -> str:
    """The summary as Markdown, to paste into the next meeting's agenda."""
    if summary.meeting is not None and summary.since is not None:
        heading = f"Workplan changes since {summary.meeting.title} ({summary.since:%d %b %Y})"
    else:
        heading = "Workplan changes (no meeting has ended yet)"
    lines = [f"### {_one_line(heading)}", ""]
    if not summary.activities:
        lines.append("No changes to the workplan.")
    for item in summary.activities:
        a = item.activity
        owner = a.owner.user.name if a.owner else "no owner"
        state = a.status.label
        if a.status is ActivityStatus.BLOCKED and a.blocked_reason:
            state += f": {_one_line(a.blocked_reason)}"
        lines.append(f"- **{_one_line(a.title)}** ({_one_line(owner)}; now {state})")
        for line in item.lines:
            lines.append(f"  - {_one_line(line)}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


@action_item_activities.connect
def _activities_of_action_items(team_id: int, *, action_item_ids: list[int]) -> dict[int, Any]:
    """Answers the minutes page (`meetings.signals`): the activity each action item became,
    in one query for all of them."""
    if not action_item_ids:
        return {}
    activities = db.session.scalars(
        sa.select(Activity).where(
            Activity.team_id == team_id, Activity.source_action_item_id.in_(action_item_ids)
        )
    )
    return {activity.source_action_item_id: activity for activity in activities}
