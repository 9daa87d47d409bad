"""The rules of moderator terms: term dates, the rotation order, notices and who holds powers.

Pure module: standard library only (a test enforces it). Every function takes "today" as a
parameter, so the tests control the clock and the same rules serve pages, the daily job and
the demo.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

TERM_MONTHS_MIN = 1
TERM_MONTHS_MAX = 24
NOTICE_DAYS_MAX = 120
DEFAULT_TERM_MONTHS = 6
DEFAULT_NOTICE_DAYS = 30


class Method(StrEnum):
    """How the team's norms choose the next moderator."""

    ELECTION = "election"
    ROTATION = "rotation"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.ELECTION: "Election: members nominate, then the team decides by consensus",
    Method.ROTATION: "Rotation: members take turns in an order the lead sets",
}


class TermSource(StrEnum):
    """How a term came about (shown in the history)."""

    DESIGNATED = "designated"
    ROTATION = "rotation"
    ELECTION = "election"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    TermSource.DESIGNATED: "Designated by a lead",
    TermSource.ROTATION: "Rotation",
    TermSource.ELECTION: "Elected by consensus",
}


class StandInKind(StrEnum):
    """Who stands in for an absent moderator."""

    BACKUP = "backup"
    LEAD = "lead"

    @property
    def label(self) -> str:
        return "Backup moderator" if self is StandInKind.BACKUP else "Lead"


# --- Dates -------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def term_end(starts_on: date, months: int) -> date:
    """The day a term of `months` starting on `starts_on` ends: its successor starts that day."""
    return add_months(starts_on, months)


def next_term_start(
    current_start: date | None, current_end: date | None, months: int, today: date
) -> date:
    """When the next term starts: when the current one ends; for an open-ended (designated)
    term, once it has lasted the norms' term length, and never before tomorrow; with no term
    in office, today."""
    if current_start is None:
        return today
    if current_end is not None:
        return current_end
    return max(add_months(current_start, months), today + timedelta(days=1))


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Whether two half-open periods [start, end) share a day (None: no end). An empty period
    (a term cancelled before it began) overlaps nothing."""
    if (a_end is not None and a_end <= a_start) or (b_end is not None and b_end <= b_start):
        return False
    a_before_b_ends = b_end is None or a_start < b_end
    b_before_a_ends = a_end is None or b_start < a_end
    return a_before_b_ends and b_before_a_ends


def notice_due(starts_on: date, notice_days: int, day: date, notified_on: date | None) -> bool:
    """Whether the people concerned by a term starting on `starts_on` are to be told on `day`:
    from `notice_days` before it starts until its first day, once."""
    if notified_on is not None:
        return False
    return starts_on - timedelta(days=notice_days) <= day <= starts_on


def preparation_due(current_end: date | None, notice_days: int, day: date) -> bool:
    """Whether the daily job prepares the successor of a term ending on `current_end`."""
    if current_end is None:
        return False
    return current_end - timedelta(days=notice_days) <= day < current_end


@dataclass(frozen=True)
class Span:
    """A term as the rules see it: who holds it, from when, until when (None: open-ended)."""

    holder_id: int
    starts_on: date
    ends_on: date | None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


def holder_on(terms: Sequence[Span], day: date) -> int | None:
    """Who holds the moderator's powers on `day`: the holder of the term covering it (the
    latest-starting one, should a designation have cut in). Powers move on a term's end date
    with no one editing roles."""
    covering = [t for t in terms if t.covers(day)]
    if not covering:
        return None
    return max(covering, key=lambda t: t.starts_on).holder_id


# --- Rotation ----------------------------------------------------------------------------


def same_agency(a: str, b: str) -> bool:
    """Agencies compare by name, ignoring case and spacing ("Police  Dept" = "police dept")."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass(frozen=True)
class Candidate:
    membership_id: int
    agency: str


@dataclass(frozen=True)
class RotationPick:
    membership_id: int
    # True when agency cycling could not be kept: everyone else in the order is from the
    # current holder's agency (the page says so).
    repeats_agency: bool


def next_in_rotation(
    order: Sequence[Candidate], current: Candidate | None, *, cycle_agencies: bool
) -> RotationPick | None:
    """The next moderator in the rotation: the person after the current holder in `order`
    (from the top when the holder is not in it). With `cycle_agencies`, people of the current
    holder's agency are skipped so no agency holds the role twice in a row; if everyone left
    is from that agency, the next person is taken anyway (`repeats_agency`)."""
    if not order:
        return None
    ids = [c.membership_id for c in order]
    if current is not None and current.membership_id in ids:
        at = ids.index(current.membership_id)
        candidates = [*order[at + 1 :], *order[:at]] or [order[at]]
    else:
        candidates = list(order)
    if not cycle_agencies or current is None:
        return RotationPick(candidates[0].membership_id, repeats_agency=False)
    for candidate in candidates:
        if not same_agency(candidate.agency, current.agency):
            return RotationPick(candidate.membership_id, repeats_agency=False)
    return RotationPick(candidates[0].membership_id, repeats_agency=True)


def election_title(name: str, starts_on: date, months: int) -> str:
    """The title of the proposal that puts a nominee to the team."""
    unit = "month" if months == 1 else "months"
    return f"Elect {name} as moderator from {starts_on:%d %b %Y} for {months} {unit}"
