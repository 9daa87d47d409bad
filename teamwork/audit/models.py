"""The audit log's one table. Rows are only ever inserted (teamwork.audit.recorder refuses
updates and deletes through the ORM); nothing in the app edits or removes them.

`team_id` is a plain column rather than a foreign key, so a team's trail outlives the team.
No secrets are ever written: no passwords, tokens or session ids.

Each event carries the hash of the one before it in its team's chain (`teamwork.audit.chain`);
`audit_chains` holds each chain's head.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from teamwork.database import UTCDateTime, utcnow
from teamwork.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # What happened, as "<thing>.<past tense>": "sign_in.failed", "round.closed", ...
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The actor's address at the time (kept if the account is later changed or removed).
    actor_email: Mapped[str] = mapped_column(sa.String(254), default="")
    team_id: Mapped[int | None] = mapped_column(index=True)
    target_type: Mapped[str] = mapped_column(sa.String(32), default="")
    target_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Where the request came from: the client address (as seen through trusted proxies) and
    # the channel: http, socket or cli.
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")
    channel: Mapped[str] = mapped_column(sa.String(8), default="")
    # The hash of the event before this one in its chain, and this one's (chain.event_hash).
    prev_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    hash: Mapped[str] = mapped_column(sa.String(64), default="")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} team={self.team_id}>"


class AuditChain(db.Model):
    """The head of a chain: its length and the hash of its last event. Updated with every
    append, which takes the row's lock: appends to one chain happen one after another."""

    __tablename__ = "audit_chains"

    # The team's id, or 0 for the events of no team (sign-ins, accounts).
    chain: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<AuditChain {self.chain} length={self.length}>"
