"""Reading the audit trail: a team's events, a page at a time or as CSV; checking its chains.

Infrastructure: imports only the foundation and `teamwork.audit`. Who may read a team's trail
is the teams capability's business: its pages (`teamwork/teams/audit_trail/views.py`) check the
access first and pass the team's id here.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from teamwork.audit import chain
from teamwork.audit.models import AuditEvent
from teamwork.audit.recorder import record
from teamwork.errors import InvalidInput
from teamwork.extensions import db

PAGE_SIZE = 100
EXPORT_LIMIT = 50_000
# The families of events, for the filter (the part of `action` before the dot).
FAMILIES = {
    "sign_in": "Sign-in",
    "access": "Access denied",
    "membership": "Membership and roles",
    "invitation": "Invitations",
    "user": "Accounts",
    "round": "Rounds",
    "vote": "Votes",
    "decision": "Decisions",
    "charter": "Charter",
    "decision_rule": "Decision rule",
    "agreement": "Agreements",
    "moderator_term": "Moderator terms",
    "minutes": "Minutes",
    "meeting": "Meetings",
    "measure": "Measures",
    "data_point": "Measure data",
    "audit": "Audit exports",
    "retention": "Purges",
}


@dataclass(frozen=True)
class AuditFilter:
    family: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, args: dict[str, str]) -> AuditFilter:
        family = args.get("family", "")
        if family and family not in FAMILIES:
            raise InvalidInput("Choose a kind of event from the list.", field="family")
        return cls(family, _date(args.get("since"), "since"), _date(args.get("until"), "until"))


def _date(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("Enter a date as YYYY-MM-DD.", field=field) from None


def _query(team_id: int, chosen: AuditFilter) -> sa.Select[tuple[AuditEvent]]:
    query = sa.select(AuditEvent).where(AuditEvent.team_id == team_id)
    if chosen.family:
        query = query.where(AuditEvent.action.startswith(chosen.family + ".", autoescape=True))
    if chosen.since:
        start = datetime.combine(chosen.since, time.min).astimezone()
        query = query.where(AuditEvent.occurred_at >= start)
    if chosen.until:
        end = datetime.combine(chosen.until + timedelta(days=1), time.min).astimezone()
        query = query.where(AuditEvent.occurred_at < end)
    return query.order_by(AuditEvent.id.desc())


def team_audit_log(
    team_id: int, chosen: AuditFilter, *, page: int = 1
) -> tuple[list[AuditEvent], bool]:
    """One page of the team's events, newest first, and whether there are more (the caller
    has checked that its actor may read them)."""
    page = max(1, page)
    rows = list(
        db.session.scalars(
            _query(team_id, chosen).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def export_audit_log(actor: Any, team_id: int, chosen: AuditFilter) -> str:
    """The team's events as CSV, the export itself logged as `actor`'s (the caller has checked
    that the actor may read them)."""
    events = db.session.scalars(_query(team_id, chosen).limit(EXPORT_LIMIT))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "occurred_at_utc", "action", "actor_email", "target_type", "target_id",
         "details", "ip_address", "channel"]
    )  # fmt: skip
    for e in events:
        writer.writerow(
            [
                e.id,
                e.occurred_at.isoformat(),
                e.action,
                _cell(e.actor_email),
                e.target_type,
                e.target_id if e.target_id is not None else "",
                _cell(json.dumps(e.details, sort_keys=True)),
                e.ip_address,
                e.channel,
            ]
        )
    record("audit.exported", team_id=team_id, actor=actor)
    db.session.commit()
    return out.getvalue()


def _cell(value: str) -> str:
    # A cell starting with = + - @ would be run as a formula by spreadsheet programs.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def verify_audit_trail() -> chain.Verification:
    """Walk every chain of the trail from its first event (for `flask audit-verify`): the
    number of events, each chain's head, and the first break found, if any."""
    try:
        return chain.verify(db.session.connection())
    finally:
        db.session.rollback()
