"""Socket.IO events of the live meeting screens, on the namespace "/meeting" (the protocol:
docs/realtime.md, "Meetings").

Handlers are thin: validate the payload's shape, call a service, broadcast the meeting's new
snapshot to its room, and answer through the acknowledgement. Each event runs in its own request
context, so `current_user` is loaded afresh from the sign-in session every time, and every
service re-reads the member's access from the database.

Imports: this package's services and broadcast, `meetings.services`, `meetings.minutes.services`,
`teamwork.realtime` (payload checks, connection tracking) and the extensions; nothing imports
handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, rooms

from teamwork.auth.services import current_session_id, two_step_required
from teamwork.consensus.broadcast import emit_state
from teamwork.errors import DomainError, InvalidInput, NotFound
from teamwork.extensions import db, socketio
from teamwork.meetings import services
from teamwork.meetings.live import services as live
from teamwork.meetings.live.broadcast import NAMESPACE, emit_meeting, listen_for_commits, room_for
from teamwork.meetings.minutes import services as minutes
from teamwork.meetings.models import AttendanceStatus, ItemStatus, Meeting, MeetingStatus
from teamwork.realtime.limits import admit_connection, count_as
from teamwork.realtime.payloads import Ack, current_actor, guarded, id_field, payload, text_field
from teamwork.realtime.services import announce_versions_of, track_connect, track_disconnect

# The services' limits: longer text is refused before it reaches them.
NOTES_MAX = minutes.NOTES_MAX
DESIGNEE_MAX = services.DESIGNEE_MAX
ACTION_MAX = minutes.ACTION_MAX


# --- Payload checks ------------------------------------------------------------------------


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise InvalidInput(f"{key} must be true or false.", field=key)
    return value


def _revision(data: dict[str, Any]) -> int:
    value = data.get("base_revision")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise InvalidInput("base_revision must be a whole number.", field="base_revision")
    return value


def _date(data: dict[str, Any], key: str) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput("Give the due date as YYYY-MM-DD.", field=key)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give the due date as YYYY-MM-DD.", field=key) from None


def _status(data: dict[str, Any]) -> AttendanceStatus:
    value = data.get("status")
    try:
        return AttendanceStatus(value) if isinstance(value, str) else AttendanceStatus("")
    except ValueError:
        raise InvalidInput(
            "status must be present, remote, designee or absent.", field="status"
        ) from None


def _item_status(data: dict[str, Any], *, required: bool) -> ItemStatus | None:
    """What becomes of the item being left: "resolved" (dealt with) or "carried" (forward)."""
    value = data.get("item_status")
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in {status.value for status in live.SETTLED}:
        raise InvalidInput(
            "item_status must be resolved (dealt with) or carried (carried forward).",
            field="item_status",
        )
    return ItemStatus(value)


def _meeting_id(data: dict[str, Any]) -> int:
    """The payload's meeting, which must be the one this connection joined at its handshake:
    a screen acts on its own meeting only (another one, even of the same team, is not_found)."""
    meeting_id = id_field(data, "meeting_id")
    assert meeting_id is not None  # noqa: S101 - required above
    if room_for(meeting_id) not in rooms(namespace=NAMESPACE):
        raise NotFound()
    return meeting_id


# --- Answers -------------------------------------------------------------------------------


def _changed(meeting_id: int, **extra: Any) -> Ack:
    emit_meeting(meeting_id)
    version = db.session.get(Meeting, meeting_id).live_version  # type: ignore[union-attr]
    return {"ok": True, "version": version, **extra}


# --- Handlers ------------------------------------------------------------------------------


def on_connect(auth: Any = None) -> None:
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthenticated")
    if not admit_connection(current_user.id):
        raise ConnectionRefusedError("rate_limited")
    if two_step_required(current_actor()):
        raise ConnectionRefusedError("two_step_required")
    meeting_id = auth.get("meeting_id") if isinstance(auth, dict) else None
    if (
        not isinstance(meeting_id, int)
        or isinstance(meeting_id, bool)
        or not 0 < meeting_id < 2**31
    ):
        raise ConnectionRefusedError("not_found")
    try:
        access, meeting = services.meeting_access(current_actor(), meeting_id)
    except DomainError as exc:
        db.session.rollback()
        raise ConnectionRefusedError(exc.code) from None
    join_room(room_for(meeting.id), namespace=NAMESPACE)
    # Remembered so that removing the member, deactivating them or ending the sign-in session
    # that authenticated this handshake closes this connection.
    track_connect(
        request.sid,
        NAMESPACE,
        access.membership.user_id,
        meeting.team_id,
        auth_session_id=current_session_id(),
    )
    socketio.emit(
        "meeting_snapshot", _snapshot(access, meeting), to=request.sid, namespace=NAMESPACE
    )


def on_disconnect(reason: Any = None) -> None:
    track_disconnect(request.sid)


def _snapshot(access: Any, meeting: Meeting) -> dict[str, Any]:
    return {**live.live_snapshot(meeting), "you": live.personal_state(access)}


@guarded
def on_sync(data: Any) -> Ack:
    data = payload(data, {"meeting_id"})
    access, meeting = services.meeting_access(current_actor(), _meeting_id(data))
    return {"ok": True, **_snapshot(access, meeting)}


def _meeting_event(action: Callable[[Any, int], Any]) -> Callable[..., Ack]:
    @guarded
    def handler(data: Any) -> Ack:
        data = payload(data, {"meeting_id"})
        meeting_id = _meeting_id(data)
        action(current_actor(), meeting_id)
        return _changed(meeting_id)

    handler.__name__ = f"on_{action.__name__}"
    return handler


@guarded
def on_next_item(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "item_status"})
    meeting_id = _meeting_id(data)
    live.next_item(current_actor(), meeting_id, _item_status(data, required=True))  # type: ignore[arg-type]
    return _changed(meeting_id)


@guarded
def on_end_meeting(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "item_status"})
    meeting_id = _meeting_id(data)
    live.end_meeting(current_actor(), meeting_id, _item_status(data, required=False))
    return _changed(meeting_id)


@guarded
def on_go_to_item(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "item_id"})
    meeting_id = _meeting_id(data)
    live.go_to_item(current_actor(), meeting_id, id_field(data, "item_id"))  # type: ignore[arg-type]
    return _changed(meeting_id)


@guarded
def on_mark_item(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "item_id", "resolved"})
    meeting_id = _meeting_id(data)
    item_id = id_field(data, "item_id")
    resolved = _bool(data, "resolved")
    _access, meeting = services.meeting_access(current_actor(), meeting_id)
    services.mark_item(
        current_actor(), meeting.team_id, meeting.id, item_id, "resolved" if resolved else "open"
    )
    return _changed(meeting_id)


@guarded
def on_raise_hand(data: Any) -> Ack:
    data = payload(data, {"meeting_id"})
    meeting_id = _meeting_id(data)
    hand = live.raise_hand(current_actor(), meeting_id)
    return _changed(meeting_id, request_id=hand.id)


@guarded
def on_lower_hand(data: Any) -> Ack:
    data = payload(data, {"meeting_id"})
    meeting_id = _meeting_id(data)
    lowered = live.lower_hand(current_actor(), meeting_id)
    return _changed(meeting_id, lowered=lowered)


@guarded
def on_call_speaker(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "request_id"})
    meeting_id = _meeting_id(data)
    live.call_speaker(current_actor(), meeting_id, id_field(data, "request_id"))  # type: ignore[arg-type]
    return _changed(meeting_id)


@guarded
def on_set_attendance(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "membership_id", "status", "designee_name"})
    meeting_id = _meeting_id(data)
    membership_id = id_field(data, "membership_id")
    status = _status(data)
    designee_name = text_field(data, "designee_name", DESIGNEE_MAX, required=False) or ""
    _access, meeting = services.meeting_access(current_actor(), meeting_id)
    services.set_attendance(
        current_actor(),
        meeting.team_id,
        meeting.id,
        membership_id,
        status,
        designee_name=designee_name,
    )
    _eligibility_changed(meeting.team_id, meeting.status)
    return _changed(meeting_id)


def _eligibility_changed(team_id: int, status: MeetingStatus) -> None:
    """Attendance during a meeting sets who may vote: the open rounds' screens get it."""
    if status is MeetingStatus.IN_PROGRESS:
        for proposal_id in services.proposals_with_open_rounds(team_id):
            emit_state("proposal_changed", proposal_id)


@guarded
def on_save_notes(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "item_id", "notes", "base_revision"})
    meeting_id = _meeting_id(data)
    item_id = id_field(data, "item_id")
    notes = text_field(data, "notes", NOTES_MAX)
    base_revision = _revision(data)
    _access, meeting = services.meeting_access(current_actor(), meeting_id)
    item = minutes.save_item_notes(
        current_actor(), meeting.team_id, meeting.id, item_id, notes, base_revision
    )
    revision = item.notes_revision
    return _changed(meeting_id, item_id=item_id, revision=revision)


@guarded
def on_add_action_item(data: Any) -> Ack:
    data = payload(data, {"meeting_id", "item_id", "description", "owner_id", "due_on"})
    meeting_id = _meeting_id(data)
    item_id = id_field(data, "item_id", required=False)
    description = text_field(data, "description", ACTION_MAX)
    owner_id = id_field(data, "owner_id")
    due_on = _date(data, "due_on")
    _access, meeting = services.meeting_access(current_actor(), meeting_id)
    action = minutes.add_action_item(
        current_actor(),
        meeting.team_id,
        meeting.id,
        description=description,
        owner_id=owner_id,
        due_on=due_on,
        item_id=item_id,
    )
    action_id = action.id
    return _changed(meeting_id, action_item_id=action_id)


HANDLERS: dict[str, Callable[..., Any]] = {
    "sync": on_sync,
    "start_meeting": _meeting_event(live.start_meeting),
    "next_item": on_next_item,
    "end_meeting": on_end_meeting,
    "go_to_item": on_go_to_item,
    "mark_item": on_mark_item,
    "raise_hand": on_raise_hand,
    "lower_hand": on_lower_hand,
    "call_speaker": on_call_speaker,
    "set_attendance": on_set_attendance,
    "save_notes": on_save_notes,
    "add_action_item": on_add_action_item,
}


def init_app() -> None:
    """Register the meeting namespace's handlers once (tests create many apps; the handlers
    live on the shared `socketio` object), and the post-commit broadcast of minutes lines."""
    listen_for_commits()
    # The version beacon (docs/realtime.md, "Lost messages"): each worker tells the meeting
    # rooms it serves their live version.
    announce_versions_of(NAMESPACE, "meeting:", "meeting_id", services.live_versions)
    # Rate limits (realtime.limits): `sync` apart, every event is one family of meeting actions.
    count_as(NAMESPACE, {event: "sync" if event == "sync" else "meeting" for event in HANDLERS})
    if any(entry[0] == "start_meeting" and entry[2] == NAMESPACE for entry in socketio.handlers):
        return
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", on_disconnect, namespace=NAMESPACE)
    for event, handler in HANDLERS.items():
        socketio.on_event(event, handler, namespace=NAMESPACE)
