"""Socket.IO events of the live consensus screens (the protocol: docs/realtime.md).

Handlers are thin: validate the payload's shape, call a service, broadcast what changed, and
answer through the acknowledgement. Each event runs in its own request context, so
`current_user` is loaded afresh from the sign-in session in the database every time: a socket
whose user signed out, was deactivated or was removed from the team is refused at its next event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from teamwork.auth.services import current_session_id, two_step_required
from teamwork.consensus import live, services, voting
from teamwork.consensus.broadcast import broadcast_vote, emit_state, room_for
from teamwork.consensus.models import ProposalStatus
from teamwork.errors import (
    DomainError,
    InvalidInput,
    busy_ack,
    is_busy,
)
from teamwork.extensions import socketio
from teamwork.realtime.limits import admit_connection, count_as
from teamwork.realtime.payloads import Ack, current_actor, guarded, id_field, payload, text_field
from teamwork.realtime.services import announce_versions_of, track_connect, track_disconnect

log = logging.getLogger(__name__)


def on_connect(auth: Any = None) -> None:
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthenticated")
    if not admit_connection(current_user.id):
        raise ConnectionRefusedError("rate_limited")
    if two_step_required(current_actor()):
        raise ConnectionRefusedError("two_step_required")
    raw = request.args.get("proposal", "")
    if not raw.isdigit() or len(raw) > 10:
        raise ConnectionRefusedError("not_found")
    try:
        access, proposal = services.proposal_access(current_actor(), int(raw))
    except DomainError as exc:
        raise ConnectionRefusedError(exc.code) from None
    _close_if_due(proposal.id)
    join_room(room_for(proposal.id))
    # Remembered so that removing the member, deactivating them or ending the sign-in session
    # that authenticated this handshake closes this connection.
    track_connect(
        request.sid,
        "/",
        access.membership.user_id,
        proposal.team_id,
        auth_session_id=current_session_id(),
    )
    socketio.emit("snapshot", _snapshot(access, proposal), to=request.sid)


def on_disconnect(reason: Any = None) -> None:
    track_disconnect(request.sid)


def _snapshot(access: Any, proposal: Any) -> dict[str, Any]:
    return {
        "version": proposal.live_version,
        "state": live.live_state(proposal),
        "you": live.personal_state(access, proposal),
        "members": live.members_state(proposal.team_id),
    }


def _close_if_due(proposal_id: int) -> None:
    """Close the proposal's round if its deadline has passed and no worker has closed it yet
    (a screen's countdown reaching zero asks for a sync): the room sees the outcome at once,
    with or without a worker running. Racing the worker, one of them closes it."""
    if services.close_due_rounds(proposal_id=proposal_id):
        emit_state("round_closed", proposal_id)


@guarded
def on_sync(data: Any = None) -> Ack:
    data = payload(data, {"proposal_id"})
    proposal_id = id_field(data, "proposal_id")
    access, proposal = services.proposal_access(current_actor(), proposal_id)
    _close_if_due(proposal.id)  # commits (or rolls back): the rows reload as they are now
    return {"ok": True, **_snapshot(access, proposal)}


@guarded
def on_cast_vote(data: Any = None) -> Ack:
    data = payload(data, {"round_id", "choice", "reason", "request_id", "member_id", "designee"})
    designee = data.get("designee", False)
    if not isinstance(designee, bool):
        raise InvalidInput("designee must be true or false.", field="designee")
    result = voting.cast_vote(
        current_actor(),
        id_field(data, "round_id"),
        choice=text_field(data, "choice", 16),
        reason=text_field(data, "reason", services.REASON_MAX, required=False),
        request_id=text_field(data, "request_id", 64),
        member_id=id_field(data, "member_id", required=False),
        designee=designee,
    )
    if result.update is not None:  # None when this request was handled before
        broadcast_vote(result.proposal_id, result.update)
    return result.to_ack()


def _round_event(action: Callable[..., Any], event: str) -> Callable[[Any], Ack]:
    @guarded
    def handler(data: Any = None) -> Ack:
        data = payload(data, {"round_id"})
        round_ = action(current_actor(), id_field(data, "round_id"))
        emit_state(event, round_.proposal_id)
        return {"ok": True, "round_id": round_.id}

    return handler


@guarded
def on_open_round(data: Any = None) -> Ack:
    data = payload(data, {"proposal_id", "closes_at"})
    round_ = services.open_round(
        current_actor(),
        id_field(data, "proposal_id"),
        closes_at=text_field(data, "closes_at", 32, required=False) or None,
    )
    emit_state("round_opened", round_.proposal_id)
    return {"ok": True, "round_id": round_.id, "number": round_.number}


@guarded
def on_set_deadline(data: Any = None) -> Ack:
    data = payload(data, {"round_id", "closes_at"})
    round_ = services.set_round_deadline(
        current_actor(),
        id_field(data, "round_id"),
        text_field(data, "closes_at", 32, required=False) or None,
    )
    emit_state("deadline_changed", round_.proposal_id)
    return {"ok": True, "round_id": round_.id}


@guarded
def on_table_proposal(data: Any = None) -> Ack:
    data = payload(data, {"proposal_id"})
    proposal = services.set_proposal_status(
        current_actor(), id_field(data, "proposal_id"), ProposalStatus.TABLED
    )
    emit_state("proposal_changed", proposal.id)
    return {"ok": True}


def on_error(exc: Exception) -> Ack:
    """Any socket event's unexpected error (both namespaces): nothing half-applied."""
    from teamwork.extensions import db

    db.session.rollback()
    if is_busy(exc):
        log.warning("Database busy in a socket event")
        return busy_ack()
    log.exception("Unhandled error in a socket event")
    return {"ok": False, "error": {"code": "server_error", "message": "Something went wrong."}}


# Rate limits (realtime.limits): which family each event counts against.
FAMILIES = {
    "sync": "sync",
    "cast_vote": "votes",
    "open_round": "moderation",
    "reveal_round": "moderation",
    "close_round": "moderation",
    "withdraw_round": "moderation",
    "set_deadline": "moderation",
    "table_proposal": "moderation",
}


def init_app() -> None:
    count_as("/", FAMILIES)
    # The version beacon (docs/realtime.md, "Lost messages"): each worker tells the proposal
    # rooms it serves their live version.
    announce_versions_of("/", "proposal:", "proposal_id", services.live_versions)
    # The handlers live on the shared `socketio` object, which replays them onto each app's
    # server: register them once however many apps are created (tests create many).
    if any(entry[0] == "cast_vote" for entry in socketio.handlers):
        return
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("sync", on_sync)
    socketio.on_event("cast_vote", on_cast_vote)
    socketio.on_event("open_round", on_open_round)
    socketio.on_event("reveal_round", _round_event(services.reveal_round, "round_revealed"))
    socketio.on_event("close_round", _round_event(services.close_round, "round_closed"))
    socketio.on_event("withdraw_round", _round_event(services.withdraw_round, "round_closed"))
    socketio.on_event("set_deadline", on_set_deadline)
    socketio.on_event("table_proposal", on_table_proposal)
    socketio.on_error_default(on_error)
