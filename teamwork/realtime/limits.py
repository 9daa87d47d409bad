"""How many events one Socket.IO connection may send: a token bucket per connection and event
family (votes, meeting actions, sync, ...), checked before a handler does any work.

A bucket holds up to `burst` tokens and refills at `rate` tokens a second; each event takes
one. An event that finds the bucket empty is answered `rate_limited` and changes nothing, so
one member's runaway script (500 `cast_vote`s in a few milliseconds) cannot queue hundreds of
writes ahead of everyone else's events.

The buckets are kept in this process's memory, keyed by sid, on purpose: a connection lives on
one worker from its handshake to its disconnect, and no other worker ever needs its counts, so
nothing is shared through the database or the message queue. They are kept per app (in
`app.extensions`, tests create many apps) and forgotten on disconnect (`forget`).

Imports: the standard library and Flask only (infrastructure: it knows no capability).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

EXTENSION = "teamwork_socket_limits"


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class EventLimits:
    """The buckets of one app's connections. `clock` is monotonic seconds (tests pass a fake)."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    # Handlers run in greenlets (or threads, in tests): the take-a-token step must not
    # interleave with itself for one bucket.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, sid: str, family: str) -> float:
        """Take one token from (sid, family)'s bucket: 0.0 when the event may go ahead, else how
        many seconds until a token is back (the event is then refused)."""
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get((sid, family))
            if bucket is None:
                bucket = self.buckets[(sid, family)] = Bucket(float(self.burst), now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def forget(self, sid: str) -> None:
        """Drop every bucket of a connection that ended."""
        with self.lock:
            for key in [key for key in self.buckets if key[0] == sid]:
                del self.buckets[key]


def limits(app: Flask | None = None) -> EventLimits:
    """The app's buckets (the current app's by default), made at first use from its settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions.setdefault(
            EXTENSION,
            EventLimits(
                rate=float(app.config["TEAMWORK_SOCKET_EVENTS_PER_SECOND"]),
                burst=int(app.config["TEAMWORK_SOCKET_EVENT_BURST"]),
            ),
        )
    return found


# Which family each event of each namespace counts against; an event not listed counts against
# a family of its own. Filled by each namespace's sockets module at start-up.
_families: dict[tuple[str, str], str] = {}


def count_as(namespace: str, families: dict[str, str]) -> None:
    """Declare which family each of `namespace`'s events counts against (idempotent)."""
    _families.update({(namespace, event): family for event, family in families.items()})


def family_of(namespace: str, event: str) -> str:
    return _families.get((namespace, event), f"{namespace}:{event}")
