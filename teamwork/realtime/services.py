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
holder's sweep find the connection. Rows a dead worker left behind: the holder marks its rows
seen every TEAMWORK_SOCKET_HEARTBEAT_SECONDS (`refresh_connections`), and any worker deletes
rows not seen for TEAMWORK_SOCKET_EXPIRY_SECONDS; a worker started again under the same name
(TEAMWORK_WORKER_NAME) deletes its predecessor's rows at once (`forget_dead_predecessor`).

Screens that heal themselves: a broadcast lost on its way (the message queue down, a worker's
listener deaf, a worker killed before it sent what it had coalesced) would leave a screen
showing an old state until the next event. So each worker sends every live room it serves the
room's current version every TEAMWORK_LIVE_BEACON_SECONDS, to its own clients only
(`announce_versions`: one query per kind of room, one small frame per connection), and at once
when its message-queue listener subscribes again (`realtime.queue`). A client showing an older
version asks for a snapshot (docs/realtime.md, "Lost messages"). Which rooms there are, and how
to read their versions, is told by the capabilities that own them (`announce_versions_of`).

Infrastructure: imports only the foundation and `teamwork.realtime`, never a capability.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    lambda now, config: sa.or_(
        SocketConnection.connected_at < now - STALE_AFTER,
        SocketConnection.last_seen_at
        < now - timedelta(seconds=config.get("TEAMWORK_SOCKET_EXPIRY_SECONDS", 120)),
    ),
)
_PENDING = "teamwork.realtime.revoked"
_ENDED = "teamwork.realtime.ended_sessions"
_SWEEPER = "teamwork.realtime.sweeper"
_TASKS = "teamwork.realtime.tasks"
_SWEEPER_LOCK = threading.Lock()
# When this process started: rows under this worker's name from before then are a dead
# predecessor's.
_PROCESS_STARTED = utcnow()


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
            worker=worker_name(),
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
    # A server started otherwise than by `teamwork.serve` starts the heartbeat and the beacon
    # here, with the sweep, at its first connection.
    start_live_tasks(app)
    while True:
        socketio.sleep(seconds)
        try:
            with app.app_context():
                if closed := sweep_ended_sessions():
                    log.info("Closed %d socket(s) whose sign-in ended", closed)
        except Exception:  # the next sweep tries again; the loop must not die
            log.exception("Socket sweep failed")


# --- Connection rows of dead workers -----------------------------------------------------------


def worker_name() -> str:
    """This worker's name on its connection rows: TEAMWORK_WORKER_NAME (`teamwork.serve` sets
    it to the host name and the port it serves, one worker per port), else the host name and
    the process id (a server started otherwise: several processes may share a port)."""
    configured = current_app.config.get("TEAMWORK_WORKER_NAME") if has_app_context() else None
    if configured:
        return str(configured)[:255]
    return f"{socket.gethostname()}:pid{os.getpid()}"[:255]


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def refresh_connections(now: datetime | None = None) -> tuple[int, int]:
    """Mark the rows of this worker's open connections seen, and delete every row not seen for
    TEAMWORK_SOCKET_EXPIRY_SECONDS (its worker died); returns (marked, deleted) and commits.

    A connection this worker holds whose row is gone (deleted while this worker could not
    reach the database for longer than the expiry) would escape the sweep and every
    disconnect: it is closed at the next heartbeat that still finds it without a row, and its
    client reconnects, authorized and recorded afresh."""
    now = now or utcnow()
    expiry = timedelta(seconds=current_app.config.get("TEAMWORK_SOCKET_EXPIRY_SECONDS", 120))
    local = _local_sids()
    marked = 0
    without_row: set[str] = set()
    for chunk in _chunks(sorted(local)):
        result = db.session.execute(
            sa.update(SocketConnection)
            .where(SocketConnection.sid.in_(chunk))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        marked += result.rowcount or 0
        if (result.rowcount or 0) < len(chunk):
            present = set(
                db.session.scalars(
                    sa.select(SocketConnection.sid).where(SocketConnection.sid.in_(chunk))
                )
            )
            without_row.update(sid for sid in chunk if sid not in present)
    deleted = db.session.execute(
        sa.delete(SocketConnection)
        .where(SocketConnection.last_seen_at < now - expiry)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    # A connection being accepted right now has no row yet: only one still without a row at
    # the next heartbeat is closed.
    missing = current_app.extensions.setdefault(_MISSING, set())
    closing = sorted(without_row & missing)
    missing.clear()
    missing.update(without_row - set(closing))
    for sid in closing:
        try:
            socketio.server.disconnect(sid, namespace=local[sid], ignore_queue=True)
        except Exception:  # one connection's failure must not stop the others
            log.exception("Could not close socket %s", sid)
    return marked, int(deleted or 0)


_MISSING = "teamwork.realtime.without_row"


def forget_dead_predecessor() -> int:
    """Delete the connection rows recorded under this worker's name before this process
    started (a worker killed and started again: its connections died with it), and the rows
    expired meanwhile; returns how many, and commits."""
    expiry = timedelta(seconds=current_app.config.get("TEAMWORK_SOCKET_EXPIRY_SECONDS", 120))
    deleted = db.session.execute(
        sa.delete(SocketConnection)
        .where(
            sa.or_(
                sa.and_(
                    SocketConnection.worker == worker_name(),
                    SocketConnection.connected_at < _PROCESS_STARTED,
                ),
                SocketConnection.last_seen_at < utcnow() - expiry,
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return int(deleted or 0)


# --- Version beacons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSource:
    """Rooms named `<prefix><id>` on `namespace`, whose versions `versions(ids)` reads
    ({id: version}); announced as `version_announced` {`key`: id, "version": version}."""

    namespace: str
    prefix: str
    key: str
    versions: Callable[[list[int]], dict[int, int]]


_SOURCES: dict[tuple[str, str], VersionSource] = {}


def announce_versions_of(
    namespace: str, prefix: str, key: str, versions: Callable[[list[int]], dict[int, int]]
) -> None:
    """Tell realtime about a kind of live room whose version its clients compare (the
    capabilities owning the rooms call this at start-up: consensus, meetings)."""
    _SOURCES[(namespace, prefix)] = VersionSource(namespace, prefix, key, versions)


def _local_rooms(namespace: str, prefix: str) -> list[int]:
    """The ids of the `<prefix><id>` rooms on `namespace` this worker has clients in."""
    rooms = socketio.server.manager.rooms.get(namespace, {}) if socketio.server else {}
    ids = []
    for name, members in list(rooms.items()):
        if isinstance(name, str) and name.startswith(prefix) and members:
            raw = name[len(prefix) :]
            if raw.isdigit():
                ids.append(int(raw))
    return sorted(ids)


def announce_versions() -> int:
    """Send every live room this worker has clients in its current version, to this worker's
    clients only (`version_announced`); returns how many rooms. One query per kind of room."""
    announced = 0
    for source in list(_SOURCES.values()):
        ids = _local_rooms(source.namespace, source.prefix)
        if not ids:
            continue
        versions = source.versions(ids)
        db.session.rollback()  # end the read: nothing is held while sending
        for room_id, version in sorted(versions.items()):
            socketio.emit(
                "version_announced",
                {source.key: room_id, "version": int(version)},
                to=f"{source.prefix}{room_id}",
                namespace=source.namespace,
                ignore_queue=True,
            )
            announced += 1
    return announced


def announce_versions_soon(app: Flask) -> None:
    """Announce the versions from a task of its own (the message queue's listener calls this
    when it subscribes again, and must not wait for the database). Not when testing."""
    if not app.testing:
        socketio.start_background_task(_announce_once, app)


def _announce_once(app: Flask) -> None:
    try:
        with app.app_context():
            try:
                announce_versions()
            finally:
                db.session.remove()
    except Exception:  # the next beacon tries again
        log.exception("Announcing live versions failed")


# --- The worker's background tasks ----------------------------------------------------------------


def start_worker_tasks(app: Flask) -> None:
    """Start this worker's background tasks once per app: the session sweep, the connection
    heartbeat (which first deletes a dead predecessor's rows) and the version beacon. Run when
    the server starts serving (`teamwork.serve`); a server started otherwise starts them with
    the sweep, at its first accepted connection. None of them runs when testing (tests call
    them)."""
    start_sweeper(app)
    start_live_tasks(app)


def start_live_tasks(app: Flask) -> None:
    """The heartbeat and the beacon, once per app (see `start_worker_tasks`)."""
    if app.testing or _TASKS in app.extensions:
        return
    with _SWEEPER_LOCK:
        if _TASKS in app.extensions:
            return
        app.extensions[_TASKS] = [
            socketio.start_background_task(
                _every,
                app,
                app.config.get("TEAMWORK_SOCKET_HEARTBEAT_SECONDS", 30),
                _heartbeat,
                forget_dead_predecessor,
            ),
            socketio.start_background_task(
                _every, app, app.config.get("TEAMWORK_LIVE_BEACON_SECONDS", 5), announce_versions
            ),
        ]


def _heartbeat() -> None:
    marked, deleted = refresh_connections()
    if deleted:
        log.info("Deleted %d connection row(s) not seen for the expiry", deleted)


def _every(
    app: Flask, seconds: int, work: Callable[[], Any], first: Callable[[], Any] | None = None
) -> None:
    if first is not None:
        _run_in_context(app, first)
    while True:
        socketio.sleep(seconds)
        _run_in_context(app, work)


def _run_in_context(app: Flask, work: Callable[[], Any]) -> None:
    try:
        with app.app_context():
            try:
                work()
            finally:
                db.session.remove()
    except Exception:  # the next round tries again; the loop must not die
        log.exception("Background task %s failed", getattr(work, "__name__", work))


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
    # Started by `teamwork.serve` when the server starts serving (foundation: it cannot import
    # realtime, so it runs what the app lists here).
    app.extensions.setdefault("teamwork.serving", []).append(start_worker_tasks)
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    app.after_request(close_revoked_connections)
    socketio.gate = refuse_beyond_limit  # events beyond a connection's limit, refused first
