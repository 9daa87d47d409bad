"""Socket.IO events of the discussions, on the namespace "/discussion" (the protocol:
docs/realtime.md). A page connects with `auth = {"team_id": n}` (a current member of that team
only), asks to follow each discussion it shows (`follow_discussion`), and then receives
`comment_posted` and `comment_changed`. Comments are posted by the pages' forms, not here.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room, rooms

from teamwork.auth.services import current_session_id, two_step_required
from teamwork.discussion import services
from teamwork.discussion.broadcast import NAMESPACE, room_for
from teamwork.errors import DomainError, NotFound
from teamwork.extensions import db, socketio
from teamwork.realtime.limits import admit_connection, count_as
from teamwork.realtime.payloads import Ack, current_actor, guarded, id_field, payload, text_field
from teamwork.realtime.services import track_connect, track_disconnect
from teamwork.teams.services import team_access


def _team_room(team_id: int) -> str:
    """Marks the team a connection was opened for (nothing is sent to it)."""
    return f"discussion-team:{team_id}"


def on_connect(auth: Any = None) -> None:
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthenticated")
    if not admit_connection(current_user.id):
        raise ConnectionRefusedError("rate_limited")
    if two_step_required(current_actor()):
        raise ConnectionRefusedError("two_step_required")
    team_id = auth.get("team_id") if isinstance(auth, dict) else None
    if not isinstance(team_id, int) or isinstance(team_id, bool) or not 0 < team_id < 2**31:
        raise ConnectionRefusedError("not_found")
    try:
        access = team_access(current_actor(), team_id)
    except DomainError as exc:
        db.session.rollback()
        raise ConnectionRefusedError(exc.code) from None
    join_room(_team_room(team_id), namespace=NAMESPACE)
    # Closed when the member is removed, deactivated or their sign-in session ends.
    track_connect(
        request.sid,
        NAMESPACE,
        access.membership.user_id,
        team_id,
        auth_session_id=current_session_id(),
    )


def on_disconnect(reason: Any = None) -> None:
    track_disconnect(request.sid)


def _subject(data: Any) -> services.Subject:
    data = payload(data, {"kind", "id"})
    kind = text_field(data, "kind", 32)
    subject_id = id_field(data, "id")
    assert subject_id is not None  # noqa: S101 - required above
    _access, subject = services.subject_access(current_actor(), kind, subject_id)
    # A connection follows its own team's discussions only.
    if _team_room(subject.team_id) not in rooms(namespace=NAMESPACE):
        raise NotFound()
    return subject


@guarded
def on_follow_discussion(data: Any = None) -> Ack:
    subject = _subject(data)
    join_room(room_for(subject.kind, subject.id), namespace=NAMESPACE)
    return {"ok": True, "kind": str(subject.kind), "id": subject.id}


@guarded
def on_unfollow_discussion(data: Any = None) -> Ack:
    subject = _subject(data)
    leave_room(room_for(subject.kind, subject.id), namespace=NAMESPACE)
    return {"ok": True, "kind": str(subject.kind), "id": subject.id}


HANDLERS = {
    "follow_discussion": on_follow_discussion,
    "unfollow_discussion": on_unfollow_discussion,
}


def init_app() -> None:
    """Register the namespace's handlers once (tests create many apps)."""
    count_as(NAMESPACE, {event: "sync" for event in HANDLERS})
    if any(
        entry[0] == "follow_discussion" and entry[2] == NAMESPACE for entry in socketio.handlers
    ):
        return
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", on_disconnect, namespace=NAMESPACE)
    for event, handler in HANDLERS.items():
        socketio.on_event(event, handler, namespace=NAMESPACE)
