"""The norms' pure rules: which of the brief's recommended disciplines a team has at its table
(and which it lacks), and when an incentive review is due and its leads are reminded of it.

Pure module: standard library only, like every `rules.py` (tests/test_architecture.py checks
it). It speaks in discipline *values* as plain strings ("probation_parole", ...), the values of
`teamwork.teams.rules.Discipline`, so it needs nothing from the rest of the application; callers
turn them back into `Discipline` for labels.

The recommendation is the brief's "ideal sex offender management team": representatives from
probation and parole, victim advocacy, treatment, the judiciary, prosecution, law enforcement,
the defense bar, polygraph examiners and legislators; juvenile-focused teams should also include
schools and social services. Legislators are not a discipline in Teamwork, so they are a note
(`NOT_A_DISCIPLINE`), never "missing".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

# A reminder goes out when a review is this close, and again once it is overdue.
REVIEW_NOTICE_DAYS = 14

# In the brief's order.
RECOMMENDED: tuple[str, ...] = (
    "probation_parole",
    "victim_advocacy",
    "treatment",
    "judiciary",
    "prosecution",
    "law_enforcement",
    "defense",
    "polygraph",
)
JUVENILE_RECOMMENDED: tuple[str, ...] = ("schools", "social_services")

# Recommended by the brief but with no discipline of their own in Teamwork.
NOT_A_DISCIPLINE: tuple[str, ...] = ("legislators",)

# Other disciplines that fill a recommended seat. Child protective services is a social services
# agency (the brief's Jackson County team has "a representative from the state's Child
# Protective Service agency"), so it covers the juvenile recommendation for social services.
COVERED_BY: dict[str, frozenset[str]] = {
    "social_services": frozenset({"social_services", "child_protective_services"}),
}


class Composition(NamedTuple):
    """Unpacks as `(present_recommended, missing, others)`."""

    present_recommended: tuple[str, ...]  # recommended disciplines the team has, brief order
    missing: tuple[str, ...]  # recommended disciplines nobody on the team represents
    others: tuple[str, ...]  # the team's disciplines that fill no recommended seat, sorted


def recommended(juvenile: bool) -> tuple[str, ...]:
    return RECOMMENDED + JUVENILE_RECOMMENDED if juvenile else RECOMMENDED


def covered_by(discipline: str, present: Iterable[str]) -> tuple[str, ...]:
    """The team's disciplines that fill the recommended seat `discipline` (sorted)."""
    return tuple(sorted(COVERED_BY.get(discipline, frozenset({discipline})) & set(present)))


def composition(present: Iterable[str], juvenile: bool) -> Composition:
    """Compare the disciplines on a team (`present`) with the brief's recommendation."""
    present = frozenset(present)
    have: list[str] = []
    missing: list[str] = []
    used: set[str] = set()
    for discipline in recommended(juvenile):
        filling = covered_by(discipline, present)
        (have if filling else missing).append(discipline)
        used.update(filling)
    return Composition(tuple(have), tuple(missing), tuple(sorted(present - used)))


# --- Incentive reviews -------------------------------------------------------------------


class ReviewStatus(StrEnum):
    MISSING = "missing"
    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"

    @property
    def label(self) -> str:
        return {
            "missing": "Not recorded yet",
            "overdue": "Review overdue",
            "due": "Review due soon",
            "scheduled": "Review scheduled",
        }[self.value]

    @property
    def needs_attention(self) -> bool:
        return self in {ReviewStatus.OVERDUE, ReviewStatus.DUE}


def review_status(review_date: date | None, day: date) -> ReviewStatus:
    if review_date is None:
        return ReviewStatus.MISSING
    if review_date < day:
        return ReviewStatus.OVERDUE
    if review_date <= day + timedelta(days=REVIEW_NOTICE_DAYS):
        return ReviewStatus.DUE
    return ReviewStatus.SCHEDULED


def reminder_due(review_date: date, last_reminded_on: date | None, day: date) -> bool:
    """Whether the leads should be reminded of a review today: once when it comes within
    REVIEW_NOTICE_DAYS, and once more when it is overdue (not every day the job runs)."""
    status = review_status(review_date, day)
    if not status.needs_attention:
        return False
    if status is ReviewStatus.OVERDUE:
        stage_start = review_date + timedelta(days=1)
    else:
        stage_start = review_date - timedelta(days=REVIEW_NOTICE_DAYS)
    return last_reminded_on is None or last_reminded_on < stage_start
