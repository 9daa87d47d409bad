"""Pure rules of meetings: time zones, recurrence from the norms' cadence, agenda order,
time budgets, links and attendance counts.

Standard library only (a test enforces it): no Flask, no SQLAlchemy. Time is always a
parameter, so tests control the clock.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from teamwork.auth.rules import COMMON_TIMEZONES, is_timezone

# Any IANA zone (the same list a person and a team choose from, `teamwork.auth.rules`), stored
# as its name, so daylight saving time is applied date by date.
TIMEZONES = COMMON_TIMEZONES  # (name, label) of the common ones, for labels people recognise

REPEAT_MAX = 12
DURATION_MIN, DURATION_MAX = 15, 8 * 60
ALLOTMENT_MIN, ALLOTMENT_MAX = 1, 240
LINKS_MAX = 10
CADENCES = ("weekly", "monthly", "quarterly")


class RuleError(ValueError):
    """Input the rules cannot accept; the message is safe to show."""


def zone(name: str) -> ZoneInfo:
    if not is_timezone(name):
        raise RuleError("Choose a time zone from the list.")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - the names above all exist
        raise RuleError("Choose a time zone from the list.") from None


def to_utc(day: date, at: time, timezone: str) -> datetime:
    """The UTC instant of a local wall-clock time in `timezone` (on DST changes, the first)."""
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone(timezone))
    return local.astimezone(UTC)


def to_local(instant: datetime, timezone: str) -> datetime:
    """An aware UTC instant shown in the meeting's zone (UTC if the name is unknown)."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return instant.astimezone(tz)


def _add_months(day: date, months: int) -> date:
    """The same weekday-of-the-month `months` later: the second Tuesday stays the second
    Tuesday; a fifth weekday becomes the last one of the month."""
    ordinal = (day.day - 1) // 7  # 0 = first, ..., 4 = fifth
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    first_weekday, days_in_month = calendar.monthrange(year, month)
    first = (day.weekday() - first_weekday) % 7 + 1  # first such weekday of the month
    candidate = first + 7 * ordinal
    while candidate > days_in_month:
        candidate -= 7
    return date(year, month, candidate)


def recurrence_dates(first: date, cadence: str, count: int) -> list[date]:
    """`count` meeting dates starting on `first`, following the norms' cadence."""
    if not 1 <= count <= REPEAT_MAX:
        raise RuleError(f"Repeat between 1 and {REPEAT_MAX} times.")
    if count == 1:
        return [first]
    if cadence == "weekly":
        return [first + timedelta(weeks=n) for n in range(count)]
    if cadence == "monthly":
        return [_add_months(first, n) for n in range(count)]
    if cadence == "quarterly":
        return [_add_months(first, 3 * n) for n in range(count)]
    raise RuleError(
        "The team's operating norms give no regular cadence (weekly, monthly or quarterly): "
        "schedule meetings one at a time."
    )


def occurrences(first: date, at: time, timezone: str, cadence: str, count: int) -> list[datetime]:
    """UTC start times of a series; each date is converted on its own, so 9:30 stays 9:30
    local across a daylight saving change."""
    return [to_utc(day, at, timezone) for day in recurrence_dates(first, cadence, count)]


def moved(order: Sequence[int], item_id: int, direction: str) -> list[int]:
    """The ids in their new order after moving `item_id` one place up or down."""
    if direction not in {"up", "down"}:
        raise RuleError("Choose to move the item up or down.")
    ids = list(order)
    if item_id not in ids:
        raise RuleError("That item is not on this agenda.")
    index = ids.index(item_id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return ids


@dataclass(frozen=True)
class TimeBudget:
    allotted: int  # minutes on the agenda
    available: int  # the meeting's duration
    over: int  # minutes beyond the duration (0 when it fits)


def time_budget(allotments: Iterable[int], duration: int) -> TimeBudget:
    total = sum(allotments)
    return TimeBudget(allotted=total, available=duration, over=max(0, total - duration))


def is_web_url(url: str) -> bool:
    """Only http and https links with a host: no javascript:, data: or file: addresses."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and " " not in url


def parse_links(text: str) -> list[dict[str, str]]:
    """Attachments typed one per line as `Title | https://...` (or just the address)."""
    links: list[dict[str, str]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        title, _bar, url = line.rpartition("|")
        title, url = title.strip(), url.strip()
        if not is_web_url(url):
            raise RuleError(f"Line {number}: give an address starting with http:// or https://.")
        if len(url) > 500 or len(title) > 200:
            raise RuleError(f"Line {number} is too long.")
        links.append({"title": title or url, "url": url})
    if len(links) > LINKS_MAX:
        raise RuleError(f"Attach at most {LINKS_MAX} links.")
    return links


def format_links(links: Iterable[dict[str, str]]) -> str:
    return "\n".join(f"{link['title']} | {link['url']}" for link in links)


def next_after(after: datetime, candidates: Iterable[tuple[int, datetime]]) -> int | None:
    """The id of the earliest candidate starting after `after` (ids break ties)."""
    later = sorted((start, ident) for ident, start in candidates if start > after)
    return later[0][1] if later else None


@dataclass(frozen=True)
class AgencyAttendance:
    agency: str
    present: int = 0
    remote: int = 0
    designee: int = 0
    absent: int = 0
    unrecorded: int = 0

    @property
    def attending(self) -> int:
        return self.present + self.remote + self.designee


def attendance_by_agency(rows: Iterable[tuple[str, str | None]]) -> list[AgencyAttendance]:
    """Counts per agency from (agency, status or None when not recorded), agencies sorted."""
    counts: dict[str, dict[str, int]] = {}
    for agency, status in rows:
        bucket = counts.setdefault(agency, {})
        key = status or "unrecorded"
        bucket[key] = bucket.get(key, 0) + 1
    return [AgencyAttendance(agency, **counts[agency]) for agency in sorted(counts)]


def minutes_label(seconds: int) -> str:
    """Seconds as "12 min 5 s" (or "0 min")."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


# --- Due dates (action items; the workplan's activities use the same rule) ----------------

# How long after its due date something may still be reported overdue: a worker down for some
# days still catches up, and one started on years of history does not send a notice for every
# date long past.
OVERDUE_NOTICE_DAYS = 7


def due_soon_notice(
    due_on: date | None, noticed_for: date | None, day: date, days_before: int
) -> bool:
    """Its owner is told once per due date that it is near, from `days_before` days before it
    until it passes (a missed run still tells them). A new due date earns a new notice."""
    if due_on is None or noticed_for == due_on:
        return False
    return day <= due_on <= day + timedelta(days=days_before)


def overdue_notice(due_on: date | None, noticed_for: date | None, day: date) -> bool:
    """Its owner is told once per due date that it passed: the first run after it (within
    OVERDUE_NOTICE_DAYS). A new due date earns a new notice."""
    if due_on is None or noticed_for == due_on:
        return False
    return due_on < day <= due_on + timedelta(days=OVERDUE_NOTICE_DAYS)
