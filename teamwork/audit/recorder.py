"""Writing the audit trail.

Two ways in:

- `record(...)`: an explicit event (sign-in, access denied, a vote cast through the hot path's
  Core statements), written in the caller's transaction — committed with what it describes, or
  rolled back with it. `record_now` commits at once, for events that have no transaction of
  their own (a refused sign-in, a refused request).
- A session listener (`after_flush`) that sees governance changes made through the ORM, whoever
  makes them: memberships and roles, invitations, deactivations, rounds opened, revealed and
  closed, decisions, charter versions and decision rules adopted, signatures, moderator terms,
  minutes approved. Each capability registers its models with `watch(Model, describe)` where
  they are defined; its services need not remember to log. Deletions are watched the same way
  (`watch_deletion`), before the flush removes the rows.

Either way the events wait in the session until it commits, then join their team's hash chain
(`teamwork.audit.chain`) with Core statements in that same transaction, just before it ends:
committed with what they describe, or dropped with it on a rollback. The chain's head is
locked only for those last statements.

Infrastructure: imports only the foundation and `teamwork.audit`, never a capability.

The actor is the signed-in user of the current request or socket event, read from what
Flask-Login has already loaded (never loaded here: that would query inside a flush).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from teamwork import errors
from teamwork.audit import chain
from teamwork.audit.models import AuditEvent
from teamwork.database import utcnow
from teamwork.extensions import db

Row = dict[str, Any]


def _context() -> dict[str, Any]:
    if not has_request_context():
        return {"actor_id": None, "actor_email": "", "ip_address": "", "channel": "cli"}
    user = g.get("_login_user")
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return {
        "actor_id": user.id if signed_in else None,
        "actor_email": user.email if signed_in else "",
        "ip_address": (request.remote_addr or "")[:45],
        # Flask-SocketIO gives each event's request a `sid`.
        "channel": "socket" if getattr(request, "sid", None) else "http",
    }


def _row(
    action: str,
    *,
    team_id: int | None = None,
    target: tuple[str, int | None] | None = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
) -> Row:
    row = {
        "occurred_at": utcnow(),
        "action": action,
        "team_id": team_id,
        "target_type": target[0] if target else "",
        "target_id": target[1] if target else None,
        "details": details or {},
        **_context(),
    }
    if actor is not None:
        row["actor_id"], row["actor_email"] = actor.id, actor.email
    return row


_PENDING = "teamwork.audit.pending"


def _pending(session: Session) -> list[Row]:
    """The events of the session's transaction not written yet (written when it commits)."""
    return session.info.setdefault(_PENDING, [])


def record(action: str, **kwargs: Any) -> None:
    """Write an event in the current transaction (the caller commits)."""
    session = db.session()
    session.connection()  # in a transaction now, so that a rollback drops the event
    _pending(session).append(_row(action, **kwargs))


def event_row(action: str, **kwargs: Any) -> Row:
    """An event as a row, written later by `record_rows`, perhaps by another request's
    transaction (votes are committed in groups): who, from where and when are taken now."""
    return _row(action, **kwargs)


def record_rows(rows: list[Row]) -> None:
    """Write events made by `event_row` in the current transaction (the caller commits)."""
    # Written at commit in one Core statement per chain: the ORM's bulk path cost more than
    # the rows (this runs with every group of votes).
    _pending(db.session()).extend(rows)


def record_now(action: str, **kwargs: Any) -> None:
    """Write an event and commit it (call only when nothing else is pending)."""
    record(action, **kwargs)
    db.session.commit()


# --- Governance changes seen at flush time --------------------------------------------------

# What to log for a watched model: describe(session, obj, is_new) -> rows (made by `event_row`).
Describe = Callable[[Session, Any, bool], Iterable[Row]]
_WATCHED: dict[type, Describe] = {}


# What to log for a watched model's deleted row: describe(session, obj) -> rows.
DescribeDeletion = Callable[[Session, Any], Iterable[Row]]
_WATCHED_DELETIONS: dict[type, DescribeDeletion] = {}


def watch(model: type, describe: Describe) -> None:
    """Log what `describe` says of every new or changed `model` at flush time. Each capability
    registers its own models where they are defined, so this module imports none of them."""
    _WATCHED[model] = describe


def watch_deletion(model: type, describe: DescribeDeletion) -> None:
    """Log what `describe` says of every `model` deleted through the session, before the flush
    deletes it (its row, and the rows it points to, can still be read with `scalar`)."""
    _WATCHED_DELETIONS[model] = describe


def changed(obj: Any, attribute: str) -> tuple[Any, Any] | None:
    """(old, new) when `attribute` changed in this flush, else None."""
    history = sa.inspect(obj).attrs[attribute].history
    if not history.added:
        return None
    old = history.deleted[0] if history.deleted else None
    return old, history.added[0]


def scalar(session: Session, statement: sa.Select[Any]) -> Any:
    """One value read inside a flush: on the flush's own connection, with Core (no autoflush,
    no lazy loading mid-flush)."""
    return session.connection().execute(statement).scalar()


def _after_flush(session: Session, _context: Any) -> None:
    rows: list[Row] = []
    for is_new, objects in ((True, session.new), (False, session.dirty)):
        for obj in objects:
            describe = _WATCHED.get(type(obj))
            if describe is not None:
                rows.extend(describe(session, obj, is_new))
    _pending(session).extend(rows)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("The audit trail is append-only: events are never changed.")
    rows: list[Row] = []
    for obj in session.deleted:
        describe = _WATCHED_DELETIONS.get(type(obj))
        if describe is not None:
            rows.extend(describe(session, obj))
    _pending(session).extend(rows)


def _before_commit(session: Session) -> None:
    """Write the transaction's events at the heads of their chains, last thing before the
    commit (a savepoint's commit waits for its transaction's)."""
    if session.in_nested_transaction():
        return
    session.flush()
    rows = session.info.pop(_PENDING, None)
    if rows:
        chain.append(session.connection(), rows)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back (a commit has written them already)
        session.info.pop(_PENDING, None)


def _record_denied(details: dict[str, Any], team_id: int | None) -> None:
    record_now("access.denied", team_id=team_id, details=details)


def init_app() -> None:
    """Listen to every session's flushes, and write down refused actions (idempotent)."""
    errors.on_access_denied(_record_denied)
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
        sa.event.listen(Session, "before_flush", _before_flush)
        sa.event.listen(Session, "before_commit", _before_commit)
        sa.event.listen(Session, "after_transaction_end", _after_transaction_end)
