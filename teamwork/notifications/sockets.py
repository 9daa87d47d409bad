"""The bell's live count, on the Socket.IO namespace "/notifications" (docs/realtime.md).

A signed-in page connects; the server joins it to the person's own room. After each commit
that made, read or marked notifications, every page of that person gets
`notifications_changed` {"unread": n}. Nothing is asked of the client: it has no events.

Imports: this package's services and `teamwork.realtime`; nothing imports sockets.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy.orm import Session

from teamwork.auth.models import User
from teamwork.auth.services import current_session_id, two_step_required
from teamwork.extensions import db, socketio
from teamwork.notifications.services import PENDING_BELLS, unread_count
from teamwork.realtime.limits import admit_connection
from teamwork.realtime.payloads import current_actor
from teamwork.realtime.services import track_connect, track_disconnect

log = logging.getLogger("teamwork.notifications")
NAMESPACE = "/notifications"


def room_for(user_id: int) -> str:
    return f"user:{user_id}"


def on_connect(auth: Any = None) -> None:
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthenticated")
    if not admit_connection(current_user.id):
        raise ConnectionRefusedError("rate_limited")
    if two_step_required(current_actor()):
        raise ConnectionRefusedError("two_step_required")
    user_id = current_user.id
    join_room(room_for(user_id), namespace=NAMESPACE)
    # Ending the sign-in session (or deactivating the account) closes this connection too.
    track_connect(request.sid, NAMESPACE, user_id, None, auth_session_id=current_session_id())
    socketio.emit(
        "notifications_changed",
        {"unread": unread_count(db.session.get(User, user_id))},
        to=request.sid,
        namespace=NAMESPACE,
    )


def on_disconnect(reason: Any = None) -> None:
    track_disconnect(request.sid)


def _after_commit(session: Session) -> None:
    """Tell each person whose notifications changed their new unread count, once committed
    (read in a session of its own: the committing one can run no more SQL)."""
    pending = session.info.pop(PENDING_BELLS, None)
    if not pending:
        return
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        return
    with app.app_context():
        try:
            for user_id in sorted(pending):
                user = db.session.get(User, user_id)
                if user is None:
                    continue
                socketio.emit(
                    "notifications_changed",
                    {"unread": unread_count(user)},
                    to=room_for(user_id),
                    namespace=NAMESPACE,
                )
        except Exception:  # a message-queue outage must never fail the change itself
            log.exception("Telling the bell failed")
        finally:
            db.session.remove()


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING_BELLS, None)


def init_app() -> None:
    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_soft_rollback", _forget)
    if any(entry[0] == "connect" and entry[2] == NAMESPACE for entry in socketio.handlers):
        return
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", on_disconnect, namespace=NAMESPACE)
