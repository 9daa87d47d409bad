"""The pure rules of meetings: recurrence, time zones, agenda order, links and counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from teamwork.meetings import rules


def test_monthly_recurrence_keeps_the_weekday_of_the_month() -> None:
    # 11 March 2025 is the second Tuesday of March.
    dates = rules.recurrence_dates(date(2025, 3, 11), "monthly", 4)
    assert dates == [date(2025, 3, 11), date(2025, 4, 8), date(2025, 5, 13), date(2025, 6, 10)]
    assert all(d.weekday() == 1 and 8 <= d.day <= 14 for d in dates)


def test_a_fifth_weekday_becomes_the_last_one_in_shorter_months() -> None:
    # 31 January 2025 is the fifth Friday; February 2025 has four.
    assert rules.recurrence_dates(date(2025, 1, 31), "monthly", 2)[1] == date(2025, 2, 28)


def test_weekly_and_quarterly_recurrence() -> None:
    assert rules.recurrence_dates(date(2025, 12, 23), "weekly", 3) == [
        date(2025, 12, 23),
        date(2025, 12, 30),
        date(2026, 1, 6),
    ]
    quarterly = rules.recurrence_dates(date(2025, 1, 7), "quarterly", 3)
    assert [d.month for d in quarterly] == [1, 4, 7]
    assert all(d.weekday() == 1 and d.day <= 7 for d in quarterly)


@pytest.mark.parametrize(("cadence", "count"), [("other", 2), ("monthly", 0), ("weekly", 13)])
def test_recurrence_refuses_no_cadence_or_a_bad_count(cadence: str, count: int) -> None:
    with pytest.raises(rules.RuleError):
        rules.recurrence_dates(date(2025, 1, 7), cadence, count)


def test_a_single_meeting_needs_no_cadence() -> None:
    assert rules.recurrence_dates(date(2025, 1, 7), "other", 1) == [date(2025, 1, 7)]


def test_local_time_is_converted_to_utc_on_each_date_across_daylight_saving() -> None:
    starts = rules.occurrences(date(2025, 2, 11), time(9, 30), "America/Denver", "monthly", 2)
    # Mountain Standard Time (UTC-7) in February, Daylight Time (UTC-6) in March.
    assert starts == [
        datetime(2025, 2, 11, 16, 30, tzinfo=UTC),
        datetime(2025, 3, 11, 15, 30, tzinfo=UTC),
    ]
    assert rules.to_local(starts[1], "America/Denver").strftime("%H:%M") == "09:30"


def test_only_known_time_zones_are_accepted() -> None:
    with pytest.raises(rules.RuleError):
        rules.to_utc(date(2025, 1, 1), time(9), "Mars/Olympus_Mons")
    paris = rules.to_utc(date(2025, 1, 1), time(9), "Europe/Paris")
    assert paris == datetime(2025, 1, 1, 8, tzinfo=UTC)
    assert rules.to_utc(date(2025, 1, 1), time(9), "UTC") == datetime(2025, 1, 1, 9, tzinfo=UTC)


def test_moving_an_item_swaps_it_with_its_neighbour_and_stops_at_the_ends() -> None:
    assert rules.moved([1, 2, 3], 3, "up") == [1, 3, 2]
    assert rules.moved([1, 2, 3], 1, "down") == [2, 1, 3]
    assert rules.moved([1, 2, 3], 1, "up") == [1, 2, 3]
    assert rules.moved([1, 2, 3], 3, "down") == [1, 2, 3]
    with pytest.raises(rules.RuleError):
        rules.moved([1, 2], 9, "up")
    with pytest.raises(rules.RuleError):
        rules.moved([1, 2], 1, "sideways")


def test_links_are_http_or_https_with_a_title_and_at_most_ten() -> None:
    parsed = rules.parse_links("Policy | https://example.org/p.pdf\n\nhttp://example.org/x\n")
    assert parsed == [
        {"title": "Policy", "url": "https://example.org/p.pdf"},
        {"title": "http://example.org/x", "url": "http://example.org/x"},
    ]
    assert rules.parse_links(rules.format_links(parsed)) == parsed
    for bad in ("Evil | javascript:alert(1)", "data:text/html,x", "Files | file:///etc/passwd"):
        with pytest.raises(rules.RuleError):
            rules.parse_links(bad)
    with pytest.raises(rules.RuleError):
        rules.parse_links("\n".join(f"https://example.org/{n}" for n in range(11)))


def test_time_budget_reports_minutes_over_the_duration() -> None:
    assert rules.time_budget([30, 40], 90).over == 0
    budget = rules.time_budget([60, 45], 90)
    assert (budget.allotted, budget.available, budget.over) == (105, 90, 15)


def test_next_after_picks_the_earliest_later_start() -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    candidates = [(1, datetime(2025, 3, 1, tzinfo=UTC)), (2, datetime(2025, 2, 1, tzinfo=UTC))]
    assert rules.next_after(base, candidates) == 2
    assert rules.next_after(datetime(2025, 4, 1, tzinfo=UTC), candidates) is None


def test_attendance_is_counted_per_agency() -> None:
    counts = rules.attendance_by_agency(
        [("Probation", "present"), ("Probation", "remote"), ("Police", "absent"), ("Court", None)]
    )
    assert [(c.agency, c.attending) for c in counts] == [
        ("Court", 0),
        ("Police", 0),
        ("Probation", 2),
    ]
    assert counts[0].unrecorded == 1 and counts[1].absent == 1


def test_minutes_label() -> None:
    assert rules.minutes_label(605) == "10 min 5 s"
    assert rules.minutes_label(600) == "10 min"
