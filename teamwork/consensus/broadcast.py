"""Sending a proposal's live state to its room, coalescing bursts of votes.

Every broadcast reads the state from the database when it is sent, so it is always the latest
one, whichever worker sends it; with a message queue configured, Flask-SocketIO relays it to the
clients of every worker.

A naive broadcast after every vote sends N² messages when N members vote at once. Instead, a
vote is broadcast at once when no broadcast to its room is under way; votes arriving meanwhile
are gathered for one window and sent together, with the latest state. The only thing kept in
process memory is whether a room's sender is running: losing it (a restart) costs nothing,
since clients resync from the snapshot on reconnect.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
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


def vote_payload(proposal_id: int) -> dict[str, Any] | None:
    """What a vote changes, and only that: the round's state (no proposal text, which can be
    long and would otherwise go to every member with every burst)."""
    from teamwork.consensus.models import Proposal, ProposalVersion
    from teamwork.consensus.rules import DecisionRule
    from teamwork.consensus.services import latest_round, round_state

    text_version = (
        sa.select(sa.func.max(ProposalVersion.number))
        .where(ProposalVersion.proposal_id == Proposal.id)
        .scalar_subquery()
    )
    row = db.session.execute(
        sa.select(Proposal.live_version, Proposal.team_id, text_version).where(
            Proposal.id == proposal_id
        )
    ).first()
    round_ = latest_round(proposal_id)
    if row is None or round_ is None:
        return None
    version, team_id, text_number = row
    return {
        "version": version,
        "text_version": text_number,
        "round": round_state(round_, DecisionRule.from_dict(round_.rule), team_id),
    }


def emit_vote(proposal_id: int) -> None:
    payload = vote_payload(proposal_id)
    if payload is None:
        return
    try:
        socketio.emit("vote_cast", payload, to=room_for(proposal_id))
    except Exception:  # as in emit_state: the vote is committed whatever happens here
        log.exception("Broadcast of vote_cast to proposal %s failed", proposal_id)


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
    dirty: bool = False  # something changed since the sender last read the state
    touched: float = field(default_factory=time.monotonic)


class Coalescer:
    """Send at once when the room is quiet; while it is busy, at most one send per window.

    "Quiet" means no send is under way: a vote that arrives after the previous broadcast went
    out is broadcast immediately (the sequential case pays no window). Votes that arrive while
    a send is under way mark the room dirty; the sender then waits one window, letting the
    burst gather, and sends once more with the latest state.
    """

    def __init__(
        self,
        send: Callable[[Flask, int], None] | None = None,
        spawn: Callable[..., Any] | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        # Defaults: read and emit the state, on the Socket.IO server's tasks and clock
        # (greenlets under gevent). Tests pass their own.
        self._send = send or _send_vote
        self._spawn = spawn or socketio.start_background_task
        self._sleep = sleep or socketio.sleep
        self._rooms: dict[int, _Room] = {}
        self._lock = threading.Lock()

    def request(self, app: Flask, proposal_id: int, window: float) -> None:
        now = time.monotonic()
        with self._lock:
            room = self._rooms.setdefault(proposal_id, _Room())
            room.touched = now
            room.dirty = True
            if room.sending:
                return  # the running sender will carry this change too
            room.sending = True
            self._prune(now)
        self._spawn(self._sender, app, proposal_id, window)

    def _sender(self, app: Flask, proposal_id: int, window: float) -> None:
        try:
            while True:
                with self._lock:
                    room = self._rooms.setdefault(proposal_id, _Room())
                    room.dirty = False
                self._send(app, proposal_id)
                with self._lock:
                    if not room.dirty:
                        room.sending = False
                        return
                self._sleep(window)  # busy: let the burst gather
        except BaseException:
            with self._lock:
                self._rooms.setdefault(proposal_id, _Room()).sending = False
            raise

    def _prune(self, now: float) -> None:
        if len(self._rooms) < 256:
            return
        for key in [k for k, r in self._rooms.items() if not r.sending and now - r.touched > 60]:
            del self._rooms[key]


def _send_vote(app: Flask, proposal_id: int) -> None:
    with app.app_context():
        try:
            emit_vote(proposal_id)
        finally:
            db.session.remove()


coalescer = Coalescer()


def broadcast_vote(proposal_id: int) -> None:
    window = current_app.config["TEAMWORK_BROADCAST_WINDOW_MS"] / 1000
    if window <= 0:
        emit_vote(proposal_id)
        return
    coalescer.request(current_app._get_current_object(), proposal_id, window)  # type: ignore[attr-defined]
