"""The pure rules of moderator terms: dates, rotation with agency cycling, notices, powers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teamwork.moderation.rules import (
    Candidate,
    Span,
    add_months,
    election_title,
    holder_on,
    next_in_rotation,
    next_term_start,
    notice_due,
    overlaps,
    preparation_due,
    same_agency,
    term_end,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
AGENCIES = ["Probation", "Treatment", "Police", "Victim advocacy"]


@st.composite
def rotation_orders(draw: st.DrawFn) -> list[Candidate]:
    size = draw(st.integers(min_value=1, max_value=8))
    agencies = draw(st.lists(st.sampled_from(AGENCIES), min_size=size, max_size=size))
    return [Candidate(membership_id=n + 1, agency=a) for n, a in enumerate(agencies)]


# --- Dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # clamped to February's last day
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 10), 12, date(2027, 5, 10)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_it_to_the_month_end(start, months, expected) -> None:
    assert add_months(start, months) == expected


@given(days, st.integers(min_value=-24, max_value=24))
def test_add_months_moves_by_whole_months_and_never_past_the_day(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
    if day.day <= 28:
        assert result.day == day.day


@given(days, st.integers(min_value=1, max_value=24))
def test_a_term_ends_after_it_starts(start: date, months: int) -> None:
    assert term_end(start, months) > start


def test_next_term_starts_when_the_current_one_ends() -> None:
    today = date(2026, 3, 1)
    assert next_term_start(date(2026, 1, 1), date(2026, 7, 1), 6, today) == date(2026, 7, 1)


def test_next_term_after_an_open_ended_one_waits_for_the_term_length_and_never_today() -> None:
    today = date(2026, 3, 1)
    assert next_term_start(date(2026, 1, 1), None, 6, today) == date(2026, 7, 1)
    assert next_term_start(date(2020, 1, 1), None, 6, today) == date(2026, 3, 2)


def test_with_no_term_in_office_the_next_term_starts_today() -> None:
    assert next_term_start(None, None, 6, date(2026, 3, 1)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((date(2026, 1, 1), date(2026, 7, 1)), (date(2026, 7, 1), date(2027, 1, 1)), False),
        ((date(2026, 1, 1), date(2026, 7, 1)), (date(2026, 6, 30), date(2027, 1, 1)), True),
        ((date(2026, 1, 1), None), (date(2030, 1, 1), date(2030, 7, 1)), True),
        ((date(2026, 1, 1), date(2026, 1, 1)), (date(2025, 1, 1), None), False),  # cancelled
    ],
)
def test_terms_overlap_when_they_share_a_day(a, b, expected) -> None:
    assert overlaps(*a, *b) is expected
    assert overlaps(*b, *a) is expected


def test_notice_is_due_from_the_notice_period_until_the_first_day_once() -> None:
    starts = date(2026, 7, 1)
    assert not notice_due(starts, 30, starts - timedelta(days=31), None)
    assert notice_due(starts, 30, starts - timedelta(days=30), None)
    assert notice_due(starts, 30, starts, None)
    assert not notice_due(starts, 30, starts + timedelta(days=1), None)
    assert not notice_due(starts, 30, starts - timedelta(days=5), starts - timedelta(days=6))


def test_the_successor_is_prepared_within_the_notice_period_before_the_end() -> None:
    ends = date(2026, 7, 1)
    assert not preparation_due(ends, 30, ends - timedelta(days=31))
    assert preparation_due(ends, 30, ends - timedelta(days=30))
    assert not preparation_due(ends, 30, ends)
    assert not preparation_due(None, 30, ends)


def test_powers_move_to_the_successor_on_the_end_date() -> None:
    handover = date(2026, 7, 1)
    terms = [
        Span(holder_id=1, starts_on=date(2026, 1, 1), ends_on=handover),
        Span(holder_id=2, starts_on=handover, ends_on=date(2027, 1, 1)),
    ]
    assert holder_on(terms, handover - timedelta(days=1)) == 1
    assert holder_on(terms, handover) == 2
    assert holder_on(terms, date(2027, 1, 1)) is None
    assert holder_on(terms, date(2025, 12, 31)) is None


def test_election_title_names_the_nominee_the_date_and_the_length() -> None:
    title = election_title("Alex Moreno", date(2026, 7, 1), 6)
    assert title == "Elect Alex Moreno as moderator from 01 Jul 2026 for 6 months"


# --- Rotation ----------------------------------------------------------------------------


def test_rotation_takes_the_next_person_in_order_and_wraps_around() -> None:
    order = [Candidate(1, "A"), Candidate(2, "B"), Candidate(3, "C")]
    assert next_in_rotation(order, order[0], cycle_agencies=False).membership_id == 2
    assert next_in_rotation(order, order[2], cycle_agencies=False).membership_id == 1
    assert next_in_rotation(order, None, cycle_agencies=False).membership_id == 1


def test_a_holder_outside_the_order_hands_over_to_the_first_of_another_agency() -> None:
    order = [Candidate(1, "Police"), Candidate(2, "Treatment")]
    outsider = Candidate(9, "Police")
    assert next_in_rotation(order, outsider, cycle_agencies=False).membership_id == 1
    assert next_in_rotation(order, outsider, cycle_agencies=True).membership_id == 2


def test_agency_cycling_skips_the_holders_agency() -> None:
    order = [
        Candidate(1, "Treatment"),
        Candidate(2, "treatment "),  # the same agency, spelled differently
        Candidate(3, "Police"),
    ]
    pick = next_in_rotation(order, order[0], cycle_agencies=True)
    assert pick.membership_id == 3 and not pick.repeats_agency


def test_when_everyone_left_is_from_the_same_agency_the_next_is_taken_and_flagged() -> None:
    order = [Candidate(1, "Treatment"), Candidate(2, "Treatment")]
    pick = next_in_rotation(order, order[0], cycle_agencies=True)
    assert pick.membership_id == 2 and pick.repeats_agency


def test_an_empty_order_has_no_next_moderator() -> None:
    assert next_in_rotation([], None, cycle_agencies=True) is None


def test_agencies_compare_ignoring_case_and_spacing() -> None:
    assert same_agency("Northfield  Police", " northfield police")
    assert not same_agency("Northfield Police", "Northfield Probation")


@given(rotation_orders(), st.data())
def test_rotation_picks_someone_in_the_order_and_not_the_holder_unless_alone(order, data) -> None:
    current = data.draw(st.sampled_from(order))
    for cycle in (False, True):
        pick = next_in_rotation(order, current, cycle_agencies=cycle)
        assert pick.membership_id in {c.membership_id for c in order}
        assert (pick.membership_id == current.membership_id) == (len(order) == 1)


@given(rotation_orders(), st.data())
def test_agency_cycling_never_repeats_an_agency_when_another_is_available(order, data) -> None:
    current = data.draw(st.sampled_from(order))
    pick = next_in_rotation(order, current, cycle_agencies=True)
    chosen = next(c for c in order if c.membership_id == pick.membership_id)
    others = [c for c in order if c.membership_id != current.membership_id]
    another_agency = any(not same_agency(c.agency, current.agency) for c in others)
    assert pick.repeats_agency is not another_agency
    if another_agency:
        assert not same_agency(chosen.agency, current.agency)


@given(rotation_orders())
def test_without_cycling_everyone_gets_one_term_per_round_of_the_order(order) -> None:
    holder = order[0]
    held = [holder.membership_id]
    for _ in range(len(order) - 1):
        pick = next_in_rotation(order, holder, cycle_agencies=False)
        holder = next(c for c in order if c.membership_id == pick.membership_id)
        held.append(holder.membership_id)
    assert sorted(held) == sorted(c.membership_id for c in order)
