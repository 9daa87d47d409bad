"""A queued email: added in the transaction of the action it announces, sent by the worker.

The bodies can hold one-time links (a password reset), so they are encrypted at rest
(`teamwork.encryption`, the same keys as two-step secrets) and cleared once the message is
sent; what is kept afterwards (to, subject, when) says that a message went, not what it said.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from teamwork import retention
from teamwork.database import UTCDateTime, utcnow
from teamwork.encryption import EncryptedText
from teamwork.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    # The worker's question, "what is due now?", reads this index only.
    __table_args__ = (
        sa.Index("ix_outbox_messages_due", "sent_at", "failed_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(500))
    # Plain text, and an optional HTML alternative; None once sent.
    body: Mapped[str | None] = mapped_column(EncryptedText())
    html_body: Mapped[str | None] = mapped_column(EncryptedText())
    # Extra headers ({"List-Unsubscribe": "<...>"}); From, To and Subject are set on sending.
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # When the worker may (next) try it; while a worker holds it, the end of its claim.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set after TEAMWORK_MAIL_MAX_ATTEMPTS failed tries: never tried again (`flask outbox`).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)


retention.register(
    "sent or failed emails",
    OutboxMessage,
    lambda now, config: sa.or_(
        OutboxMessage.sent_at < now - config["TEAMWORK_PURGE_OUTBOX_AFTER"],
        OutboxMessage.failed_at < now - config["TEAMWORK_PURGE_OUTBOX_AFTER"],
    ),
)
