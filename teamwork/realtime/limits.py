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

Checked in `extensions.socketio`'s gate (`refuse_beyond_limit`, installed by
`realtime.services.init_app`), before Flask-SocketIO pushes a request context: a refused event
opens no cookie session and loads no user, so a flood costs the worker little.

A client that goes on sending after TEAMWORK_SOCKET_CLOSE_AFTER_REFUSALS refusals in a row in
one family has its connection closed: reading and answering each of a flood's queued events
would still cost the worker more than the events of everyone else.

Imports: the standard library, Flask, `teamwork.errors` and `teamwork.extensions` only
(infrastructure: it knows no capability).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from limits import parse

from teamwork.errors import RateLimited, socket_error
from teamwork.extensions import limiter, socketio

EXTENSION = "teamwork_socket_limits"
log = logging.getLogger("teamwork.realtime")


@dataclass
class Bucket:
    tokens: float
    updated: float
    refused: int = 0  # events refused since the last one let through


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
                bucket.refused = 0
                return 0.0
            bucket.refused += 1
            return (1.0 - bucket.tokens) / self.rate

    def refused_in_a_row(self, sid: str, family: str) -> int:
        """How many of (sid, family)'s events were refused since the last one let through."""
        bucket = self.buckets.get((sid, family))
        return bucket.refused if bucket is not None else 0

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


def refuse_beyond_limit(app: Flask, namespace: str, event: str, sid: str) -> dict[str, Any] | None:
    """The `rate_limited` acknowledgement for an event beyond its connection's limit, else None
    (a token taken). `extensions.socketio` asks this before the event gets a request context,
    the cookie session or the user, so a refused event costs next to nothing."""
    buckets, family = limits(app), family_of(namespace, event)
    wait = buckets.take(sid, family)
    if not wait:
        return None
    if buckets.refused_in_a_row(sid, family) >= app.config["TEAMWORK_SOCKET_CLOSE_AFTER_REFUSALS"]:
        _close_flooding(sid, namespace, family)
    return socket_error(RateLimited(retry_after=wait))


def _close_flooding(sid: str, namespace: str, family: str) -> None:
    """End the whole connection of a client that goes on sending after being refused: the
    events it has already queued are dropped with the WebSocket instead of each being read and
    answered (a reconnect costs the client a handshake; a browser's page does it by itself)."""
    log.warning(
        "Closing Socket.IO connection %s: it kept sending %s events past its limit", sid, family
    )
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, namespace)
    server.disconnect(sid, namespace=namespace)  # the disconnect handlers run, as for any close
    if eio_sid is not None:
        server.eio.disconnect(eio_sid)  # and the transport: its queued frames are never read


def admit_connection(user_id: int, *, kind: str = "live") -> bool:
    """Take one of the user's connection handshakes for this minute
    (TEAMWORK_SOCKET_CONNECTS_PER_MINUTE, counted in Flask-Limiter's storage: Redis when several
    workers run, since a client closed for flooding may come back to any of them). False when
    none is left: a client that reconnects as soon as it is closed cannot make each handshake's
    snapshot the new flood. A person's tabs and a phone's reconnects stay far below it.

    `kind="bell"`: the header's bell connects on every page a person opens, so it has a budget
    of its own (TEAMWORK_BELL_CONNECTS_PER_MINUTE): browsing quickly never costs a live
    screen its connection."""
    if not (limiter.enabled and limiter.initialized):
        return True
    if kind == "bell":
        limit, bucket = current_app.config["TEAMWORK_BELL_CONNECTS_PER_MINUTE"], "bell-connect"
    else:
        limit, bucket = current_app.config["TEAMWORK_SOCKET_CONNECTS_PER_MINUTE"], "socket-connect"
    return bool(limiter.limiter.hit(parse(f"{limit}/minute"), bucket, str(user_id)))
