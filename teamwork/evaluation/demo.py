"""Demo evaluation data for the Northfield County team: four measures with a year of values,
and two closed collaboration self-assessments six months apart that show the team moving from
cooperation towards collaboration. Everything goes through the services, as a user would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from teamwork.auth.models import User
from teamwork.evaluation import services
from teamwork.evaluation.rules import QUESTIONNAIRE
from teamwork.teams.models import Team

LEAD = "lead@example.org"
RECORDER = "recorder@example.org"
POLYGRAPH = "member7@example.org"

# name, kind, unit, target, better, frequency, description, values oldest first (monthly)
MEASURES: list[tuple[str, str, str, float, str, str, str, list[float]]] = [
    (
        "Offenders supervised with a current treatment plan",
        "outcome",
        "%",
        90,
        "higher",
        "monthly",
        "Share of offenders under supervision on the last day of the month whose treatment "
        "plan was reviewed in the last 90 days. From the probation case system.",
        [71, 74, 73, 78, 81, 84, 86, 89, 91],
    ),
    (
        "Days from referral to treatment intake",
        "outcome",
        "days",
        14,
        "lower",
        "monthly",
        "Median days from the court's referral to the first treatment session, for intakes "
        "that month.",
        [31, 29, 30, 26, 24, 21, 19, 17, 15],
    ),
    (
        "Polygraph results shared within five business days",
        "process",
        "%",
        95,
        "higher",
        "monthly",
        "Share of examinations whose results reached the officer and the treatment provider "
        "within five business days (the team's first decision).",
        [62, 70, 78, 85, 88, 93, 96, 97],
    ),
    (
        "Victim advocate told before supervision plan changes",
        "process",
        "%",
        100,
        "higher",
        "quarterly",
        "Share of supervision plan changes the victim advocate heard of beforehand.",
        [55, 68, 80, 86, 92, 95],
    ),
]

# Where members placed the team, per dimension: six months ago, and now.
BEFORE = {"vision": 2, "structure": 1, "resources": 1, "authority": 1}
AFTER = {"vision": 3, "structure": 2, "resources": 2, "authority": 2}
# A spread around each dimension's typical answer, so the distributions look like people's.
SPREAD = (0, -1, 0, 1, 0, 0, 1, -1, 0, 0, 1)


def _month_ends(count: int, today: date, months_apart: int = 1) -> list[date]:
    """The last day of each of `count` months, every `months_apart`, ending last month."""
    days = []
    first_of_month = today.replace(day=1)
    for _ in range(count):
        last = first_of_month - timedelta(days=1)
        days.append(last)
        first_of_month = last.replace(day=1)
        for _ in range(months_apart - 1):
            first_of_month = (first_of_month - timedelta(days=1)).replace(day=1)
    return sorted(days)


def _at(day: date, hour: int = 15) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _answers(typical: dict[str, int], person: int) -> dict[str, int]:
    answers = {}
    for dim in QUESTIONNAIRE:
        for index, row in enumerate(dim.rows):
            shift = SPREAD[(person * 3 + index) % len(SPREAD)]
            answers[row.key] = min(3, max(1, typical[dim.key] + shift))
    return answers


def seed(team: Team, users_by_email: dict[str, User], today: date) -> None:
    """Measures with values and two closed assessment periods on `team` (the county team)."""
    lead, recorder = users_by_email[LEAD], users_by_email[RECORDER]
    polygraph_member = next((m for m in team.memberships if m.user.email == POLYGRAPH), None)
    for name, kind, unit, target, better, frequency, description, values in MEASURES:
        names_polygraph = name.startswith("Polygraph") and polygraph_member is not None
        measure = services.create_measure(
            lead,
            team.id,
            name=name,
            kind=kind,
            unit=unit,
            target=target,
            direction=better,
            frequency=frequency,
            description=description,
            enterer_id=polygraph_member.id if names_polygraph else None,
        )
        enterer = users_by_email[POLYGRAPH] if names_polygraph else recorder
        spacing = 3 if frequency == "quarterly" else 1
        for day, value in zip(_month_ends(len(values), today, spacing), values, strict=True):
            services.add_data_point(
                enterer, team.id, measure.id, recorded_on=day, value=value, on_day=today
            )

    voters = [
        m.user
        for m in sorted(team.memberships, key=lambda m: m.id)
        if m.removed_at is None and m.role.value != "observer"
    ]
    periods = [
        (today - timedelta(days=200), BEFORE, voters[:9]),
        (today - timedelta(days=21), AFTER, voters[:10]),
    ]
    for opened_on, typical, respondents in periods:
        title = f"{opened_on:%B %Y} self-assessment"
        period = services.open_period(lead, team.id, title=title, now=_at(opened_on, 9))
        for person, user in enumerate(respondents):
            services.submit_answers(
                user,
                team.id,
                period.id,
                _answers(typical, person),
                now=_at(opened_on + timedelta(days=1 + person % 7)),
            )
        services.close_period(lead, team.id, period.id, now=_at(opened_on + timedelta(days=14)))
