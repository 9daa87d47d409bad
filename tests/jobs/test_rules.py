"""Occurrences: the same scheduled time in every worker, the latest one at or before now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from teamwork.jobs.rules import Daily, Every


def test_an_interval_occurrence_is_on_a_grid_from_the_epoch() -> None:
    every = Every(5)
    at = datetime(2026, 12, 7, 2, 0, 3, 500_000, tzinfo=UTC)
    assert every.latest(at) == datetime(2026, 12, 7, 2, 0, 0, tzinfo=UTC)
    assert every.latest(at + timedelta(seconds=1.5)) == datetime(2026, 12, 7, 2, 0, 5, tzinfo=UTC)
    # Two workers firing a moment apart within one period name the same occurrence.
    assert every.latest(at) == every.latest(at - timedelta(seconds=3))


def test_a_daily_occurrence_is_today_after_its_hour_and_yesterday_before_it() -> None:
    daily = Daily(7, "America/Los_Angeles")  # 07:00 Pacific is 15:00 UTC in December
    assert daily.latest(datetime(2026, 12, 7, 16, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 15, 0, tzinfo=UTC
    )
    assert daily.latest(datetime(2026, 12, 7, 14, 59, tzinfo=UTC)) == datetime(
        2026, 12, 6, 15, 0, tzinfo=UTC
    )
    # Summer time: 07:00 Pacific is 14:00 UTC.
    assert daily.latest(datetime(2026, 7, 1, 14, 0, tzinfo=UTC)) == datetime(
        2026, 7, 1, 14, 0, tzinfo=UTC
    )


def test_a_schedule_that_cannot_be_is_refused() -> None:
    with pytest.raises(ValueError, match="once a second"):
        Every(0)
    with pytest.raises(ValueError, match="0 to 23"):
        Daily(24)
    with pytest.raises(Exception):  # noqa: B017, PT011 - zoneinfo's own error
        Daily(7, "Mars/Olympus_Mons")
