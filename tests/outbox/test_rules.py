"""The retry schedule of an email that could not be sent, and when the outbox gives up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from teamwork.outbox.rules import gives_up, retry_delay


def test_the_wait_grows_then_stays_at_four_hours() -> None:
    waits = [retry_delay(attempts) for attempts in range(1, 8)]
    assert waits[:4] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
    ]
    assert waits[4:] == [timedelta(hours=4)] * 3


def test_a_retry_follows_a_failed_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        retry_delay(0)


def test_the_outbox_gives_up_at_the_maximum_number_of_attempts() -> None:
    assert not gives_up(2, 3)
    assert gives_up(3, 3)
