"""Tracking open Socket.IO connections and closing them when a user's access changes.

Socket handlers check authorization against the database at every event, so a removed member's
next event is refused anyway. This goes further: when a membership is removed or its role
changes, or a user is deactivated, their open connections to that team's live screens (all of
them, for a deactivation) are closed at once, on whichever worker holds them (python-socketio
sends the disconnect through the message queue when the connection lives elsewhere). A client
that reconnects is authorized afresh: a removed member is refused, a changed role gets the new
view.

The changes are noticed at flush time (whatever code made them) and acted on after the commit,
so a rolled-back change disconnects no one. Which changes revoke access is told by the
capabilities that own the models (`revoke_when(Model, revoked)`: memberships in teams, users in
auth). Infrastructure: imports only the foundation and `teamwork.realtime`, never a capability.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Session

from teamwork.database import utcnow
from teamwork.extensions import db, socketio
from teamwork.realtime.models import SocketConnection

log = logging.getLogger(__name__)

# Rows of connections whose worker died without cleaning up are dropped after this long.
STALE_AFTER = timedelta(days=2)
_PENDING = "teamwork.realtime.revoked"


def track_connect(sid: str, namespace: str, user_id: int, team_id: int | None) -> None:
    """Remember an accepted connection (commits)."""
    db.session.execute(
        sa.delete(SocketConnection).where(SocketConnection.connected_at < utcnow() - STALE_AFTER)
    )
    db.session.merge(
        SocketConnection(sid=sid, namespace=namespace, user_id=user_id, team_id=team_id)
    )
    db.session.commit()


def track_disconnect(sid: str) -> None:
    """Forget a closed connection (commits)."""
    db.session.execute(sa.delete(SocketConnection).where(SocketConnection.sid == sid))
    db.session.commit()


def disconnect_user(user_id: int, team_id: int | None = None) -> int:
    """Close the user's connections (to one team's screens, or all); returns how many."""
    query = sa.select(SocketConnection).where(SocketConnection.user_id == user_id)
    if team_id is not None:
        query = query.where(SocketConnection.team_id == team_id)
    connections = list(db.session.scalars(query))
    for connection in connections:
        try:
            socketio.server.disconnect(connection.sid, namespace=connection.namespace)
        except Exception:  # a connection already gone must not stop the others
            log.exception("Could not close socket %s", connection.sid)
    if connections:
        db.session.execute(
            sa.delete(SocketConnection).where(
                SocketConnection.sid.in_([c.sid for c in connections])
            )
        )
        db.session.commit()
    return len(connections)


# --- Noticing access changes -----------------------------------------------------------------


# revoked(obj) -> (user_id, team_id or None for all teams) when a change to obj in this flush
# ends or changes someone's access, else None.
Revoked = Callable[[Any], tuple[int, int | None] | None]
_WATCHED: dict[type, Revoked] = {}


def revoke_when(model: type, revoked: Revoked) -> None:
    """Close someone's connections after a commit in which `revoked(obj)` named them."""
    _WATCHED[model] = revoked


def changed(obj: Any, attribute: str) -> bool:
    """Whether `attribute` of `obj` changed in this flush."""
    return bool(sa.inspect(obj).attrs[attribute].history.added)


def _after_flush(session: Session, _context: Any) -> None:
    revoked: set[tuple[int, int | None]] = session.info.setdefault(_PENDING, set())
    for obj in session.dirty:
        check = _WATCHED.get(type(obj))
        if check is not None and (pair := check(obj)) is not None:
            revoked.add(pair)


def _after_commit(session: Session) -> None:
    revoked = session.info.pop(_PENDING, None)
    if revoked and has_app_context():
        # No SQL may run inside this hook: the connections are closed when the request ends
        # (or when the CLI command that made the change calls `close_revoked_connections`).
        g.setdefault(_PENDING, set()).update(revoked)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def close_revoked_connections(response: Any = None) -> Any:
    """Close the connections of the access changes committed during this request."""
    revoked = g.pop(_PENDING, None) if has_app_context() else None
    for user_id, team_id in sorted(revoked or (), key=lambda pair: (pair[0], pair[1] or 0)):
        disconnect_user(user_id, team_id)
    return response


def init_app(app: Any) -> None:
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    app.after_request(close_revoked_connections)
