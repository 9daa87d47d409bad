"""Tracking open Socket.IO connections and closing them when a user's access or sign-in ends.

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
auth).

Every connection also belongs to the sign-in session that authenticated its handshake. When
sessions end (sign-out, password change, "sign out my other devices", deactivation), auth names
them (`disconnect_sessions_on_commit(ids)`, acted on after the commit as above). Expiry is not an
event, and a disconnect sent while the message queue was down is lost, so each worker also
sweeps its own connections every TEAMWORK_SOCKET_REVALIDATE_SECONDS (`sweep_ended_sessions`),
asking auth which sessions have ended through `session_validity(fn)`.

A connection's row is deleted by the worker that holds it (its disconnect handler, or its sweep),
not by the one asking for the disconnect: if the request was lost, the row is what lets the
holder's sweep find the connection. Rows a dead worker left behind go after STALE_AFTER.

Infrastructure: imports only the foundation and `teamwork.realtime`, never a capability.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from sqlalchemy.orm import Session

from teamwork import retention
from teamwork.database import utcnow
from teamwork.extensions import db, socketio
from teamwork.realtime.limits import limits, refuse_beyond_limit
from teamwork.realtime.models import SocketConnection

log = logging.getLogger(__name__)

# Rows of connections whose worker died without cleaning up are dropped after this long.
STALE_AFTER = timedelta(days=2)
retention.register(
    "stale connection rows",
    SocketConnection,
    lambda now, _config: SocketConnection.connected_at < now - STALE_AFTER,
)
_PENDING = "teamwork.realtime.revoked"
_ENDED = "teamwork.realtime.ended_sessions"
_SWEEPER = "teamwork.realtime.sweeper"
_SWEEPER_LOCK = threading.Lock()


def track_connect(
    sid: str, namespace: str, user_id: int, team_id: int | None, *, auth_session_id: int | None
) -> None:
    """Remember an accepted connection and the sign-in session it was made with (commits)."""
    db.session.execute(
        sa.delete(SocketConnection).where(SocketConnection.connected_at < utcnow() - STALE_AFTER)
    )
    db.session.merge(
        SocketConnection(
            sid=sid,
            namespace=namespace,
            user_id=user_id,
            team_id=team_id,
            auth_session_id=auth_session_id,
        )
    )
    db.session.commit()
    start_sweeper(current_app._get_current_object())  # type: ignore[attr-defined]


def track_disconnect(sid: str) -> None:
    """Forget a closed connection (commits), and its event buckets (`realtime.limits`)."""
    limits().forget(sid)
    db.session.execute(sa.delete(SocketConnection).where(SocketConnection.sid == sid))
    db.session.commit()


def disconnect_user(user_id: int, team_id: int | None = None) -> int:
    """Close the user's connections (to one team's screens, or all); returns how many."""
    query = sa.select(SocketConnection).where(SocketConnection.user_id == user_id)
    if team_id is not None:
        query = query.where(SocketConnection.team_id == team_id)
    return _disconnect(db.session.scalars(query))


def disconnect_sessions(session_ids: Iterable[int]) -> int:
    """Close the connections made with these sign-in sessions; returns how many."""
    ids = sorted(set(session_ids))
    if not ids:
        return 0
    query = sa.select(SocketConnection).where(SocketConnection.auth_session_id.in_(ids))
    return _disconnect(db.session.scalars(query))


def _disconnect(rows: Iterable[SocketConnection]) -> int:
    # Plain values first: the disconnect handler of a local socket deletes its row (commits).
    targets = [(row.sid, row.namespace) for row in rows]
    db.session.commit()
    for sid, namespace in targets:
        try:
            # Local sockets close here; others through the message queue, on their worker.
            socketio.server.disconnect(sid, namespace=namespace)
        except Exception:  # a connection already gone must not stop the others
            log.exception("Could not close socket %s", sid)
    return len(targets)


# --- Re-validating open connections (the backstop) --------------------------------------------


# ended(ids) -> the ids among `ids` of sign-in sessions that are no longer valid (revoked,
# expired, idle too long, or gone). Filled by auth, which owns the rule.
SessionValidity = Callable[[Collection[int]], set[int]]
_VALIDITY: list[SessionValidity] = []


def session_validity(ended: SessionValidity) -> None:
    """Tell realtime how to find which sign-in sessions have ended (one answerer: auth)."""
    _VALIDITY[:] = [ended]


def _local_sids() -> dict[str, str]:
    """The connections this worker holds: sid -> namespace."""
    rooms = socketio.server.manager.rooms if socketio.server else {}
    # Copies: under threading, connections come and go while this reads.
    return {
        sid: namespace
        for namespace, room in list(rooms.items())
        for sid in list(room.get(None, {}))
    }


def sweep_ended_sessions() -> int:
    """Close this worker's connections whose sign-in session has ended; returns how many.

    Runs every TEAMWORK_SOCKET_REVALIDATE_SECONDS (`start_sweeper`); tests call it directly."""
    local = _local_sids()
    if not local or not _VALIDITY:
        return 0
    rows = db.session.execute(
        sa.select(SocketConnection.sid, SocketConnection.auth_session_id).where(
            SocketConnection.auth_session_id.is_not(None)
        )
    ).all()
    mine = [(sid, session_id) for sid, session_id in rows if sid in local]
    ended = _VALIDITY[0]({session_id for _sid, session_id in mine}) if mine else set()
    db.session.commit()
    closing = sorted(sid for sid, session_id in mine if session_id in ended)
    for sid in closing:
        try:
            socketio.server.disconnect(sid, namespace=local[sid], ignore_queue=True)
        except Exception:  # one connection's failure must not stop the others
            log.exception("Could not close socket %s", sid)
    if closing:  # the disconnect handler deleted them already, unless it failed
        db.session.execute(sa.delete(SocketConnection).where(SocketConnection.sid.in_(closing)))
        db.session.commit()
    return len(closing)


def start_sweeper(app: Flask) -> None:
    """Start this worker's sweep, once per app, when it accepts its first connection (so only
    processes that serve sockets run it, after any fork). Off when testing or set to 0."""
    seconds = app.config.get("TEAMWORK_SOCKET_REVALIDATE_SECONDS", 0)
    if app.testing or seconds <= 0 or _SWEEPER in app.extensions:
        return
    with _SWEEPER_LOCK:
        if _SWEEPER in app.extensions:
            return
        app.extensions[_SWEEPER] = socketio.start_background_task(_sweep_forever, app, seconds)


def _sweep_forever(app: Flask, seconds: int) -> None:
    while True:
        socketio.sleep(seconds)
        try:
            with app.app_context():
                if closed := sweep_ended_sessions():
                    log.info("Closed %d socket(s) whose sign-in ended", closed)
        except Exception:  # the next sweep tries again; the loop must not die
            log.exception("Socket sweep failed")


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


def disconnect_sessions_on_commit(session_ids: Iterable[int]) -> None:
    """Close the connections made with these sign-in sessions once the current transaction
    commits (a rollback forgets them)."""
    db.session.info.setdefault(_ENDED, set()).update(session_ids)


def _after_flush(session: Session, _context: Any) -> None:
    revoked: set[tuple[int, int | None]] = session.info.setdefault(_PENDING, set())
    for obj in session.dirty:
        check = _WATCHED.get(type(obj))
        if check is not None and (pair := check(obj)) is not None:
            revoked.add(pair)


def _after_commit(session: Session) -> None:
    revoked = session.info.pop(_PENDING, None)
    ended = session.info.pop(_ENDED, None)
    if (revoked or ended) and has_app_context():
        # No SQL may run inside this hook: the connections are closed when the request ends
        # (or when the service or CLI command that made the change calls
        # `close_revoked_connections`).
        g.setdefault(_PENDING, set()).update(revoked or ())
        g.setdefault(_ENDED, set()).update(ended or ())


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_ENDED, None)


def close_revoked_connections(response: Any = None) -> Any:
    """Close the connections of the access changes and ended sign-ins committed so far in this
    request (or app context)."""
    revoked = g.pop(_PENDING, None) if has_app_context() else None
    ended = g.pop(_ENDED, None) if has_app_context() else None
    for user_id, team_id in sorted(revoked or (), key=lambda pair: (pair[0], pair[1] or 0)):
        disconnect_user(user_id, team_id)
    if ended:
        disconnect_sessions(ended)
    return response


def init_app(app: Any) -> None:
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    app.after_request(close_revoked_connections)
    socketio.gate = refuse_beyond_limit  # events beyond a connection's limit, refused first
