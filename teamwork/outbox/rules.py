"""When a message that could not be sent is tried again, and when the outbox gives up on it.

Pure: standard library only. `attempts` counts the tries made so far, the failed one included.
"""

from __future__ import annotations

from datetime import timedelta

# After the 1st failure wait 1 minute, then 5, 15, 60, then every 4 hours: a mail server down
# for a moment costs a minute, one down overnight still gets the message in the morning.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)

# How long a claimed message stays claimed: longer than any SMTP conversation (20 s timeout
# per step). A worker that dies mid-send leaves it claimed this long, then it is tried again.
CLAIM_LEASE = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` tries (at least 1) all failed."""
    if attempts < 1:
        raise ValueError("A retry follows at least one attempt.")
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def gives_up(attempts: int, max_attempts: int) -> bool:
    """Whether a message that failed `attempts` times is marked failed rather than retried."""
    return attempts >= max_attempts
