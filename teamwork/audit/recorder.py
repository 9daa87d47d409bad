"""Writing the audit trail.

Two ways in:

- `record(...)`: an explicit event (sign-in, access denied, a vote cast through the hot path's
  Core statements), written in the caller's transaction — committed with what it describes, or
  rolled back with it. `record_now` commits at once, for events that have no transaction of
  their own (a refused sign-in, a refused request).
- A session listener (`after_flush`) that sees governance changes made through the ORM, whoever
  makes them: memberships and roles, invitations, deactivations, rounds opened, revealed and
  closed, decisions, charter versions and decision rules adopted, signatures, moderator terms,
  minutes approved. Capabilities need not remember to log; the rows are written with Core
  statements on the flush's own connection, so they share its transaction.

The actor is the signed-in user of the current request or socket event, read from what
Flask-Login has already loaded (never loaded here: that would query inside a flush).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from teamwork.audit.models import AuditEvent
from teamwork.database import utcnow
from teamwork.extensions import core, db

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


def record(action: str, **kwargs: Any) -> None:
    """Write an event in the current transaction (the caller commits)."""
    # A Core insert: the ORM's bulk path cost more than the row (this runs with every vote).
    core(AuditEvent.__table__.insert(), _row(action, **kwargs))


def event_row(action: str, **kwargs: Any) -> Row:
    """An event as a row, written later by `record_rows`, perhaps by another request's
    transaction (votes are committed in groups): who, from where and when are taken now."""
    return _row(action, **kwargs)


def record_rows(rows: list[Row]) -> None:
    """Write events made by `event_row` in the current transaction (the caller commits)."""
    if rows:
        core(AuditEvent.__table__.insert(), rows)


def record_now(action: str, **kwargs: Any) -> None:
    """Write an event and commit it (call only when nothing else is pending)."""
    record(action, **kwargs)
    db.session.commit()


# --- Governance changes seen at flush time --------------------------------------------------


def _changed(obj: Any, attribute: str) -> tuple[Any, Any] | None:
    """(old, new) when `attribute` changed in this flush, else None."""
    history = sa.inspect(obj).attrs[attribute].history
    if not history.added:
        return None
    old = history.deleted[0] if history.deleted else None
    return old, history.added[0]


def _scalar(session: Session, statement: sa.Select[Any]) -> Any:
    # The flush's own connection, with Core: no autoflush, no lazy loading mid-flush.
    return session.connection().execute(statement).scalar()


def _team_of_proposal(session: Session, proposal_id: int) -> int | None:
    from teamwork.consensus.models import Proposal

    return _scalar(session, sa.select(Proposal.team_id).where(Proposal.id == proposal_id))


def _watchers() -> dict[type, Callable[[Session, Any, bool], Iterable[Row]]]:
    """What to log for each watched model: f(session, obj, is_new) -> rows."""
    from teamwork.agreements.models import Agreement, AgreementVersion, Signature
    from teamwork.auth.models import User
    from teamwork.charter.models import RuleChange, Statement, StatementVersion
    from teamwork.consensus.models import Decision, Round
    from teamwork.meetings.models import Meeting, Minutes
    from teamwork.teams.models import Invitation, Membership, ModeratorTerm

    def membership(session: Session, m: Any, new: bool) -> Iterable[Row]:
        target = ("membership", m.id)
        if new:
            details = {"user_id": m.user_id, "role": str(m.role), "agency": m.agency}
            yield _row("membership.added", team_id=m.team_id, target=target, details=details)
            return
        if change := _changed(m, "role"):
            details = {"user_id": m.user_id, "from": str(change[0]), "to": str(change[1])}
            yield _row("membership.role_changed", team_id=m.team_id, target=target, details=details)
        if (change := _changed(m, "removed_at")) and change[1] is not None:
            details = {"user_id": m.user_id}
            yield _row("membership.removed", team_id=m.team_id, target=target, details=details)

    def invitation(session: Session, i: Any, new: bool) -> Iterable[Row]:
        target = ("invitation", i.id)
        if new:
            details = {"email": i.email, "role": str(i.role)}
            yield _row("invitation.sent", team_id=i.team_id, target=target, details=details)
        elif (change := _changed(i, "accepted_at")) and change[1] is not None:
            yield _row("invitation.accepted", team_id=i.team_id, target=target)
        elif (change := _changed(i, "revoked_at")) and change[1] is not None:
            yield _row("invitation.revoked", team_id=i.team_id, target=target)

    def user(session: Session, u: Any, new: bool) -> Iterable[Row]:
        if new:
            yield _row("user.created", target=("user", u.id), details={"email": u.email})
        elif (change := _changed(u, "deactivated_at")) and change[1] is not None:
            yield _row("user.deactivated", target=("user", u.id), details={"email": u.email})

    def round_(session: Session, r: Any, new: bool) -> Iterable[Row]:
        team_id = _team_of_proposal(session, r.proposal_id)
        target = ("round", r.id)
        if new:
            details = {"proposal_id": r.proposal_id, "number": r.number}
            yield _row("round.opened", team_id=team_id, target=target, details=details)
            return
        if (change := _changed(r, "revealed_at")) and change[1] is not None:
            yield _row("round.revealed", team_id=team_id, target=target)
        if (change := _changed(r, "closed_at")) and change[1] is not None:
            details = {
                "proposal_id": r.proposal_id,
                "outcome": str(r.outcome) if r.outcome else None,
                "up": r.up_count,
                "sideways": r.sideways_count,
                "down": r.down_count,
            }
            yield _row("round.closed", team_id=team_id, target=target, details=details)

    def decision(session: Session, d: Any, new: bool) -> Iterable[Row]:
        if new:
            details = {"proposal_id": d.proposal_id, "title": d.title[:200]}
            yield _row(
                "decision.recorded", team_id=d.team_id, target=("decision", d.id), details=details
            )

    def statement_version(session: Session, v: Any, new: bool) -> Iterable[Row]:
        if (change := _changed(v, "adopted_at")) and change[1] is not None:
            team_id = _scalar(
                session, sa.select(Statement.team_id).where(Statement.id == v.statement_id)
            )
            yield _row("charter.adopted", team_id=team_id, target=("statement_version", v.id))

    def rule_change(session: Session, c: Any, new: bool) -> Iterable[Row]:
        if (change := _changed(c, "adopted_at")) and change[1] is not None:
            yield _row("decision_rule.adopted", team_id=c.team_id, target=("rule_change", c.id))

    def signature(session: Session, s: Any, new: bool) -> Iterable[Row]:
        if new:
            team_id = _scalar(
                session,
                sa.select(Agreement.team_id)
                .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
                .where(AgreementVersion.id == s.version_id),
            )
            details = {"agency": s.agency, "version_id": s.version_id}
            yield _row(
                "agreement.signed", team_id=team_id, target=("signature", s.id), details=details
            )

    def term(session: Session, t: Any, new: bool) -> Iterable[Row]:
        if new:
            details = {
                "membership_id": t.membership_id,
                "starts_on": t.starts_on.isoformat(),
                "ends_on": t.ends_on.isoformat() if t.ends_on else None,
            }
            yield _row(
                "moderator_term.created", team_id=t.team_id, target=("term", t.id), details=details
            )

    def minutes(session: Session, m: Any, new: bool) -> Iterable[Row]:
        if (change := _changed(m, "approved_at")) and change[1] is not None:
            team_id = _scalar(session, sa.select(Meeting.team_id).where(Meeting.id == m.meeting_id))
            details = {"meeting_id": m.meeting_id}
            yield _row(
                "minutes.approved", team_id=team_id, target=("minutes", m.id), details=details
            )

    return {
        Membership: membership,
        Invitation: invitation,
        User: user,
        Round: round_,
        Decision: decision,
        StatementVersion: statement_version,
        RuleChange: rule_change,
        Signature: signature,
        ModeratorTerm: term,
        Minutes: minutes,
    }


_WATCHERS: dict[type, Callable[[Session, Any, bool], Iterable[Row]]] | None = None


def _after_flush(session: Session, _context: Any) -> None:
    global _WATCHERS
    if _WATCHERS is None:
        _WATCHERS = _watchers()
    rows: list[Row] = []
    for is_new, objects in ((True, session.new), (False, session.dirty)):
        for obj in objects:
            watcher = _WATCHERS.get(type(obj))
            if watcher is not None:
                rows.extend(watcher(session, obj, is_new))
    if rows:
        session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("The audit trail is append-only: events are never changed.")


def init_app() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)
        sa.event.listen(Session, "before_flush", _before_flush)
