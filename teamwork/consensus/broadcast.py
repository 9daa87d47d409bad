"""Sending a proposal's live state to its room, coalescing bursts of votes.

Every broadcast reads the state from the database when it is sent, so it is always the latest
one, whichever worker sends it; with a message queue configured, Flask-SocketIO relays it to the
clients of every worker.

A naive broadcast after every vote sends N² messages when N members vote at once. Instead, a
vote is broadcast at once when the room has been quiet for the coalescing window; while votes
keep arriving, at most one `vote_cast` goes out per window, carrying the latest state. The only
thing kept in process memory is when each room was last sent to: losing it (a restart) costs
nothing, since clients resync from the snapshot on reconnect.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from teamwork.extensions import db, socketio

log = logging.getLogger(__name__)


def room_for(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def state_payload(proposal_id: int) -> dict[str, Any] | None:
    from teamwork.consensus.models import Proposal
    from teamwork.consensus.services import live_state

    proposal = db.session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        return None
    return {"version": proposal.live_version, "state": live_state(proposal)}


def emit_state(event: str, proposal_id: int) -> None:
    """Read the state and send it to the room now. A failed send loses nothing: the change is
    committed already, and clients resync on their next snapshot."""
    payload = state_payload(proposal_id)
    if payload is None:
        return
    try:
        socketio.emit(event, payload, to=room_for(proposal_id))
    except Exception:  # a message-queue outage must never undo or fail the vote itself
        log.exception("Broadcast of %s to proposal %s failed", event, proposal_id)


@dataclass
class _Room:
    last_sent: float = 0.0
    pending: bool = False
    touched: float = field(default_factory=time.monotonic)


class Coalescer:
    """At most one `vote_cast` per room per window, sent at once when the room was quiet."""

    def __init__(self) -> None:
        self._rooms: dict[int, _Room] = {}
        self._lock = threading.Lock()

    def request(self, app: Flask, proposal_id: int, window: float) -> None:
        now = time.monotonic()
        with self._lock:
            room = self._rooms.setdefault(proposal_id, _Room())
            room.touched = now
            if room.pending:
                return  # the scheduled send will carry this change too
            room.pending = True
            delay = max(0.0, room.last_sent + window - now)
            self._prune(now)
        socketio.start_background_task(self._send_later, app, proposal_id, delay)

    def _send_later(self, app: Flask, proposal_id: int, delay: float) -> None:
        if delay:
            socketio.sleep(delay)
        with self._lock:
            room = self._rooms.setdefault(proposal_id, _Room())
            room.pending = False
            room.last_sent = time.monotonic()
        with app.app_context():
            try:
                emit_state("vote_cast", proposal_id)
            finally:
                db.session.remove()

    def _prune(self, now: float) -> None:
        if len(self._rooms) < 256:
            return
        for key in [k for k, r in self._rooms.items() if not r.pending and now - r.touched > 60]:
            del self._rooms[key]


coalescer = Coalescer()


def broadcast_vote(proposal_id: int) -> None:
    window = current_app.config["TEAMWORK_BROADCAST_WINDOW_MS"] / 1000
    if window <= 0:
        emit_state("vote_cast", proposal_id)
        return
    coalescer.request(current_app._get_current_object(), proposal_id, window)  # type: ignore[attr-defined]
