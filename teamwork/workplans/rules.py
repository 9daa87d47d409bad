"""The workplan's rules, free of Flask and SQLAlchemy: statuses and their transitions, when an
activity is overdue or due soon, progress per goal, dependency cycles, field-level diffs for the
history, and the validation of one CSV row.

Pure module (standard library only; a test enforces it). Time is always a parameter (`today`),
so tests control the clock and the same functions serve pages, reminders and the evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from teamwork.meetings.rules import due_soon_notice, overdue_notice

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
DELIVERABLE_MAX = 500
REASON_MAX = 500
NOTE_MAX = 5000
# "Due soon": due within this many days (today included).
DUE_SOON_DAYS = 7


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Still to be delivered: only open activities can be overdue or get reminders."""
        return self not in {ActivityStatus.DONE, ActivityStatus.DROPPED}


STATUS_LABELS = {
    ActivityStatus.NOT_STARTED: "Not started",
    ActivityStatus.IN_PROGRESS: "In progress",
    ActivityStatus.BLOCKED: "Blocked",
    ActivityStatus.DONE: "Done",
    ActivityStatus.DROPPED: "Dropped",
}

S = ActivityStatus
# Where an activity may go from each status. Done can be reopened (the completion date is then
# cleared); a dropped activity can be taken up again.
TRANSITIONS: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    S.NOT_STARTED: frozenset({S.IN_PROGRESS, S.BLOCKED, S.DONE, S.DROPPED}),
    S.IN_PROGRESS: frozenset({S.NOT_STARTED, S.BLOCKED, S.DONE, S.DROPPED}),
    S.BLOCKED: frozenset({S.NOT_STARTED, S.IN_PROGRESS, S.DONE, S.DROPPED}),
    S.DONE: frozenset({S.IN_PROGRESS}),
    S.DROPPED: frozenset({S.NOT_STARTED, S.IN_PROGRESS}),
}


class RuleViolation(ValueError):
    """A rule was not met; `field` names the input at fault, `message` is for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class StatusChange:
    """What a status change does to the row: the new status, reason and completion date."""

    status: ActivityStatus
    blocked_reason: str
    completed_on: date | None


def change_status(
    current: ActivityStatus,
    new: ActivityStatus,
    *,
    reason: str,
    completed_on: date | None,
    today: date,
) -> StatusChange:
    """Apply a status change, or raise RuleViolation.

    Blocked needs a reason (the team cannot help unblock what it does not know about). Done
    records the day it was done (`completed_on`), which the "done on time" measure compares
    with the due date; leaving done clears it. Staying in the same status is allowed so a
    blocked activity's reason can be updated.
    """
    reason = (reason or "").strip()
    if new is not current and new not in TRANSITIONS[current]:
        raise RuleViolation(
            f"An activity that is {current.label.lower()} cannot become {new.label.lower()}.",
            field="status",
        )
    if new is S.BLOCKED:
        if not reason:
            raise RuleViolation("Say what is blocking the activity.", field="blocked_reason")
        if len(reason) > REASON_MAX:
            raise RuleViolation(f"Use at most {REASON_MAX} characters.", field="blocked_reason")
    else:
        reason = ""
    if new is S.DONE:
        done_on = completed_on if current is S.DONE and completed_on else today
    else:
        done_on = None
    return StatusChange(new, reason, done_on)


def check_dates(start_on: date | None, due_on: date | None) -> None:
    if start_on and due_on and due_on < start_on:
        raise RuleViolation("The due date cannot be before the start date.", field="due_on")


# --- Timing ----------------------------------------------------------------------------------


class Timing(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    NO_DUE_DATE = "no_due_date"
    CLOSED = "closed"  # done or dropped

    @property
    def label(self) -> str:
        return {
            "overdue": "Overdue",
            "due_soon": "Due soon",
            "on_track": "On track",
            "no_due_date": "No due date",
            "closed": "Closed",
        }[self.value]


def timing(
    status: ActivityStatus, due_on: date | None, today: date, soon_days: int = DUE_SOON_DAYS
) -> Timing:
    """Overdue: open and the due date has passed (due today is not overdue yet). Due soon:
    open and due within `soon_days` days, today included."""
    if not status.is_open:
        return Timing.CLOSED
    if due_on is None:
        return Timing.NO_DUE_DATE
    if due_on < today:
        return Timing.OVERDUE
    if due_on <= today + timedelta(days=soon_days):
        return Timing.DUE_SOON
    return Timing.ON_TRACK


def days_overdue(status: ActivityStatus, due_on: date | None, today: date) -> int:
    if timing(status, due_on, today) is not Timing.OVERDUE or due_on is None:
        return 0
    return (today - due_on).days


def done_on_time(due_on: date | None, completed_on: date | None) -> bool | None:
    """Whether a done activity was done by its due date (None: not done, or no due date)."""
    if due_on is None or completed_on is None:
        return None
    return completed_on <= due_on


def needs_reminder(
    status: ActivityStatus,
    due_on: date | None,
    reminded_for: date | None,
    day: date,
    days_before: int,
) -> bool:
    """An owner is reminded once per due date, from `days_before` days before it until it
    passes (so a missed run or a late-created activity is still reminded). Moving the due
    date earns a new reminder. The rule action items follow (`meetings.rules.due_soon_notice`)."""
    return status.is_open and due_soon_notice(due_on, reminded_for, day, days_before)


def needs_overdue_notice(
    status: ActivityStatus, due_on: date | None, noticed_for: date | None, day: date
) -> bool:
    """An open activity's owner is told once per due date that it passed, by the rule action
    items follow (`meetings.rules.overdue_notice`)."""
    return status.is_open and overdue_notice(due_on, noticed_for, day)


# --- Progress per goal -------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    in_progress: int
    blocked: int
    not_started: int
    dropped: int
    overdue: int

    @property
    def counted(self) -> int:
        """Dropped activities do not count against a goal's progress."""
        return self.total - self.dropped

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 0

    @property
    def summary(self) -> str:
        if not self.counted:
            return "No activities to deliver"
        text = f"{self.done} of {self.counted} done ({self.percent}%)"
        extras = []
        if self.blocked:
            extras.append(f"{self.blocked} blocked")
        if self.overdue:
            extras.append(f"{self.overdue} overdue")
        return text + (", " + ", ".join(extras) if extras else "")


def progress(items: Iterable[tuple[ActivityStatus, date | None]], today: date) -> Progress:
    """Progress of a group of activities given as (status, due date)."""
    items = list(items)
    statuses = [status for status, _due in items]
    return Progress(
        total=len(items),
        done=statuses.count(S.DONE),
        in_progress=statuses.count(S.IN_PROGRESS),
        blocked=statuses.count(S.BLOCKED),
        not_started=statuses.count(S.NOT_STARTED),
        dropped=statuses.count(S.DROPPED),
        overdue=sum(timing(s, due, today) is Timing.OVERDUE for s, due in items),
    )


# --- Dependencies ------------------------------------------------------------------------------


def creates_cycle(edges: Mapping[int, Iterable[int]], activity: int, depends_on: int) -> bool:
    """Whether adding "activity depends on depends_on" closes a loop, given the existing
    edges {activity: [activities it depends on]}."""
    if activity == depends_on:
        return True
    seen: set[int] = set()
    stack = [depends_on]
    while stack:
        node = stack.pop()
        if node == activity:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return False


# --- History -----------------------------------------------------------------------------------


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes {field: [old, new]} between two snapshots of an activity."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "deliverable": "Deliverable",
    "goal": "Goal",
    "owner": "Owner",
    "collaborators": "Collaborators",
    "start_on": "Start",
    "due_on": "Due",
    "status": "Status",
    "blocked_reason": "Blocked because",
    "completed_on": "Completed on",
    "depends_on": "Depends on",
    "note": "Progress note",
}
# Long text is summarised in the history rather than repeated in full.
LONG_FIELDS = {"description", "note"}


def describe_value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def describe_changes(changes: Mapping[str, list[Any]]) -> list[str]:
    """One line per changed field, for the history and the agenda summary."""
    lines = []
    for key, (old, new) in changes.items():
        label = FIELD_LABELS.get(key, key.replace("_", " ").capitalize())
        if key in LONG_FIELDS:
            lines.append(f"{label} {'added' if key == 'note' else 'changed'}")
        elif _empty(old):
            lines.append(f"{label}: {describe_value(new)}")
        elif _empty(new):
            lines.append(f"{label} removed (was {describe_value(old)})")
        else:
            lines.append(f"{label}: {describe_value(old)} → {describe_value(new)}")
    return lines


def net_changes(changes: Iterable[Mapping[str, list[Any]]]) -> tuple[dict[str, list[Any]], int]:
    """Several successive changes as one: each field from its first old value to its last new
    value (fields that came back to where they were drop out), and how many notes were added."""
    net: dict[str, list[Any]] = {}
    notes = 0
    for change in changes:
        for key, (old, new) in change.items():
            if key == "note":
                notes += 1
            elif key in net:
                net[key][1] = new
            else:
                net[key] = [old, new]
    return {k: v for k, v in net.items() if v[0] != v[1]}, notes


# --- CSV rows ------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "title",
    "description",
    "deliverable",
    "goal",
    "owner_email",
    "collaborators",
    "start_on",
    "due_on",
    "status",
    "blocked_reason",
]
# Spreadsheets run cells that start like a formula; exported text gets a leading apostrophe
# (which import strips again, so the file still round-trips).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def protect_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def unprotect_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


@dataclass
class RowData:
    """One CSV row, checked and typed; the ids refer to rows of the importing team."""

    id: int | None
    title: str
    description: str
    deliverable: str
    goal_id: int | None
    owner_email: str
    collaborator_emails: list[str]
    start_on: date | None
    due_on: date | None
    status: ActivityStatus
    blocked_reason: str


@dataclass
class RowErrors:
    number: int  # the row as a spreadsheet numbers it (the header is row 1)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

    def add(self, column: str, message: str) -> None:
        self.errors.append((column, message))


def _parse_date(value: str) -> date:
    return date.fromisoformat(value)


def parse_row(
    row: Mapping[str, str | None],
    number: int,
    *,
    member_emails: set[str],
    goal_ids: set[int],
    activity_ids: set[int],
) -> tuple[RowData | None, RowErrors]:
    """Check one row against the team: current members' emails, the team's goal ids and the
    team's activity ids. Returns the typed row (None when any column is wrong) and its errors."""
    errors = RowErrors(number)
    cell = {c: unprotect_cell((row.get(c) or "").strip()) for c in CSV_COLUMNS}

    activity_id: int | None = None
    if cell["id"]:
        if not cell["id"].isdigit() or int(cell["id"]) not in activity_ids:
            errors.add("id", f"No activity {cell['id']} in this team's workplan.")
        else:
            activity_id = int(cell["id"])
    title = cell["title"]
    if not title:
        errors.add("title", "A title is needed.")
    elif len(title) > TITLE_MAX:
        errors.add("title", f"Use at most {TITLE_MAX} characters.")
    if len(cell["description"]) > DESCRIPTION_MAX:
        errors.add("description", f"Use at most {DESCRIPTION_MAX} characters.")
    if len(cell["deliverable"]) > DELIVERABLE_MAX:
        errors.add("deliverable", f"Use at most {DELIVERABLE_MAX} characters.")
    goal_id: int | None = None
    if cell["goal"]:
        if not cell["goal"].isdigit() or int(cell["goal"]) not in goal_ids:
            errors.add("goal", f"No goal {cell['goal']} in this team's charter.")
        else:
            goal_id = int(cell["goal"])
    owner = cell["owner_email"].lower()
    if not owner:
        errors.add("owner_email", "An owner is needed.")
    elif owner not in member_emails:
        errors.add("owner_email", f"{owner} is not a current member of the team.")
    collaborators = [e.strip().lower() for e in cell["collaborators"].split(";") if e.strip()]
    for email in collaborators:
        if not _EMAIL.match(email) or email not in member_emails:
            errors.add("collaborators", f"{email} is not a current member of the team.")
    dates: dict[str, date | None] = {"start_on": None, "due_on": None}
    for column in dates:
        if cell[column]:
            try:
                dates[column] = _parse_date(cell[column])
            except ValueError:
                errors.add(column, f"“{cell[column]}” is not a date like 2026-03-31.")
    try:
        check_dates(dates["start_on"], dates["due_on"])
    except RuleViolation as exc:
        errors.add("due_on", exc.message)
    status = S.NOT_STARTED
    if cell["status"]:
        try:
            status = ActivityStatus(cell["status"].lower().replace(" ", "_"))
        except ValueError:
            allowed = ", ".join(s.value for s in ActivityStatus)
            errors.add("status", f"“{cell['status']}” is not a status (use {allowed}).")
    reason = cell["blocked_reason"]
    if status is S.BLOCKED and not reason:
        errors.add("blocked_reason", "A blocked activity needs a reason.")
    elif len(reason) > REASON_MAX:
        errors.add("blocked_reason", f"Use at most {REASON_MAX} characters.")
    if errors.errors:
        return None, errors
    data = RowData(
        id=activity_id,
        title=title,
        description=cell["description"],
        deliverable=cell["deliverable"],
        goal_id=goal_id,
        owner_email=owner,
        collaborator_emails=sorted(set(collaborators) - {owner}),
        start_on=dates["start_on"],
        due_on=dates["due_on"],
        status=status,
        blocked_reason=reason if status is S.BLOCKED else "",
    )
    return data, errors
