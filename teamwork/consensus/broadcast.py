"""Sending a proposal's live state to its room, coalescing bursts of votes.

State events (`round_opened`, `round_closed`, ...) read the state from the database when they
are sent. A vote's `vote_cast` is read inside the vote's own transaction, under the proposal's
lock, so it is exactly the state of its version without reading it again. With a message queue
configured, Flask-SocketIO relays both to the clients of every worker.

A naive broadcast after every vote sends N² messages when N members vote at once. Instead, a
vote is broadcast at once when no broadcast to its room is under way; votes arriving meanwhile
are merged (the latest state, and everyone who voted) and sent together after one window. What
process memory holds is only what is not sent yet: losing it (a restart) costs nothing that a
client cannot recover, since each `vote_cast` carries the count of voters and a client that
knows fewer voters than that asks for a snapshot (docs/realtime.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from teamwork.consensus.live import live_state
from teamwork.consensus.models import Proposal
from teamwork.extensions import db, socketio

log = logging.getLogger(__name__)


def room_for(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def state_payload(proposal_id: int) -> dict[str, Any] | None:
    proposal = db.session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        return None
    return {"version": proposal.live_version, "state": live_state(proposal)}


def emit_vote(proposal_id: int, payload: dict[str, Any]) -> None:
    try:
        socketio.emit("vote_cast", payload, to=room_for(proposal_id))
    except Exception:  # as in emit_state: the vote is committed whatever happens here
        log.exception("Broadcast of vote_cast to proposal %s failed", proposal_id)


def merge_votes(older: dict[str, Any] | None, newer: dict[str, Any]) -> dict[str, Any]:
    """One `vote_cast` standing for two: the later state (by version), and everyone either
    one says has voted. Votes of another round are dropped: its state is no longer current."""
    # The votes of one group commit share their version and their update: nothing to merge.
    if older is None or older is newer or older["version"] == newer["version"]:
        return newer if older is None else older
    if int(older["version"]) > int(newer["version"]):
        older, newer = newer, older
    if older["round"]["id"] != newer["round"]["id"] or newer["round"]["new_voters"] is None:
        return newer
    voters = list(older["round"]["new_voters"] or [])
    known = set(voters)
    voters += [v for v in newer["round"]["new_voters"] if v not in known]
    return {**newer, "round": {**newer["round"], "new_voters": voters}}


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
    sending: bool = False  # a sender task is running for this room
    pending: dict[str, Any] | None = None  # votes not sent yet, merged into one vote_cast
    touched: float = field(default_factory=time.monotonic)


class Coalescer:
    """Send at once when the room is quiet; while it is busy, at most one send per window.

    "Quiet" means no send is under way: a vote that arrives after the previous broadcast went
    out is broadcast immediately, by its own request (the sequential case pays no window and
    starts no task). Votes that arrive while a send is under way are merged (`merge_votes`);
    a sender task then waits one window, letting the burst gather, and sends them as one.
    """

    def __init__(
        self,
        send: Callable[[int, dict[str, Any]], None] | None = None,
        spawn: Callable[..., Any] | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        # Defaults: emit, on the Socket.IO server's tasks and clock (greenlets under gevent).
        # Tests pass their own.
        self._send = send or emit_vote
        self._spawn = spawn or socketio.start_background_task
        self._sleep = sleep or socketio.sleep
        self._rooms: dict[int, _Room] = {}
        self._lock = threading.Lock()

    def request(self, proposal_id: int, payload: dict[str, Any], window: float) -> None:
        now = time.monotonic()
        with self._lock:
            room = self._rooms.setdefault(proposal_id, _Room())
            room.touched = now
            room.pending = merge_votes(room.pending, payload)
            if room.sending:
                return  # the running sender will carry this vote too
            room.sending = True
            self._prune(now)
            payload, room.pending = room.pending, None
        # A quiet room: send now, from this request (no task to start, nothing to wait for).
        try:
            self._send(proposal_id, payload)
        finally:
            with self._lock:
                busy = room.pending is not None
                room.sending = busy
        if busy:  # votes arrived while this one was sent: gather them for one window
            self._spawn(self._sender, proposal_id, window)

    def _sender(self, proposal_id: int, window: float) -> None:
        try:
            while True:
                self._sleep(window)  # busy: let the burst gather
                with self._lock:
                    room = self._rooms.setdefault(proposal_id, _Room())
                    payload, room.pending = room.pending, None
                if payload is not None:
                    self._send(proposal_id, payload)
                with self._lock:
                    if room.pending is None:
                        room.sending = False
                        return
        except BaseException:
            with self._lock:
                self._rooms.setdefault(proposal_id, _Room()).sending = False
            raise

    def _prune(self, now: float) -> None:
        if len(self._rooms) < 256:
            return
        for key in [k for k, r in self._rooms.items() if not r.sending and now - r.touched > 60]:
            del self._rooms[key]


coalescer = Coalescer()


def broadcast_vote(proposal_id: int, payload: dict[str, Any]) -> None:
    """Send a committed vote's `vote_cast` to the proposal's room (coalesced, see above)."""
    window = current_app.config["TEAMWORK_BROADCAST_WINDOW_MS"] / 1000
    if window <= 0:
        emit_vote(proposal_id, payload)
        return
    coalescer.request(proposal_id, payload, window)
