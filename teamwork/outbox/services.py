"""Queueing emails with the action they announce, and delivering them from the worker.

`queue_email` adds an `OutboxMessage` to the caller's session: it commits with what it
announces, and an action rolled back sends nothing. `teamwork.mail.send_email` (the foundation's
door, used by every capability) queues through here once `init_app` has plugged it in.

`deliver_due` (the worker's outbox job, every TEAMWORK_OUTBOX_INTERVAL_SECONDS) takes each due
message by a conditional UPDATE on its attempt count, committed before the SMTP conversation:
of two workers only one wins a message, and the other moves on. A failed send is retried after
a growing wait (`rules.retry_delay`), and after TEAMWORK_MAIL_MAX_ATTEMPTS tries the message is
marked failed and logged as an error; `flask outbox` lists what is pending or failed. A worker
that dies between the SMTP server's answer and its own commit sends that message again after
the claim lease (at least once: SMTP has no way to ask "did you get it?").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from teamwork import mail
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.outbox import rules
from teamwork.outbox.models import OutboxMessage

log = logging.getLogger("teamwork.outbox")


def init_app(_app: Flask) -> None:
    """Make `teamwork.mail.send_email` queue here."""
    mail.set_queue(queue_email)


def queue_email(
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    commit: bool = False,
) -> OutboxMessage:
    """Add a message to the caller's transaction (and commit it when `commit`); the worker
    sends it once the transaction has committed. Announced on `mail.message_queued`."""
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body=body,
        html_body=html,
        headers=dict(headers or {}),
        created_at=utcnow(),
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    email = mail.build_message(to, subject, body, html=html, headers=headers)
    mail.message_queued.send(current_app._get_current_object(), message=email)  # type: ignore[attr-defined]
    if commit:
        db.session.commit()
    return message


def _claim(message_id: int, seen_attempts: int, now: datetime) -> bool:
    """Take a due message for this worker: counts the attempt and holds it for the lease.
    Committed at once, so another worker's claim of the same attempt finds no row."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.attempts == seen_attempts,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(attempts=seen_attempts + 1, next_attempt_at=now + rules.CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def deliver_due(now: datetime | None = None, *, limit: int = 100) -> int:
    """Send the messages due by `now` (oldest first, at most `limit`); the number sent."""
    now = now or utcnow()
    max_attempts = current_app.config["TEAMWORK_MAIL_MAX_ATTEMPTS"]
    db.session.rollback()
    due = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for message_id, seen in due:
        if not _claim(message_id, seen, now):
            continue  # another worker has it
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None:  # purged meanwhile
            continue
        attempts = seen + 1
        try:
            email = mail.build_message(
                message.to_address,
                message.subject,
                message.body or "",
                html=message.html_body,
                headers=message.headers,
            )
            mail.deliver(email)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, never lost
            error = f"{type(exc).__name__}: {exc}"[:2000]
            message.last_error = error
            if rules.gives_up(attempts, max_attempts):
                message.failed_at = utcnow()
                log.error(
                    "Gave up on the email %r to %s after %d attempts: %s",
                    message.subject,
                    message.to_address,
                    attempts,
                    error,
                )
            else:
                message.next_attempt_at = now + rules.retry_delay(attempts)
                log.warning(
                    "Could not send the email %r to %s (attempt %d), retrying: %s",
                    message.subject,
                    message.to_address,
                    attempts,
                    error,
                )
            db.session.commit()
            continue
        message.sent_at = utcnow()
        message.body = message.html_body = None  # a one-time link is not kept once sent
        message.last_error = None
        db.session.commit()
        sent += 1
        mail.message_delivered.send(current_app._get_current_object(), message=email)  # type: ignore[attr-defined]
    return sent


@dataclass(frozen=True)
class Waiting:
    id: int
    to: str
    subject: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    failed_at: datetime | None
    last_error: str | None


def waiting_messages(*, limit: int = 200) -> list[Waiting]:
    """The messages not sent: pending ones (oldest first), then failed ones (newest first)."""
    columns: tuple[Any, ...] = (
        OutboxMessage.id,
        OutboxMessage.to_address,
        OutboxMessage.subject,
        OutboxMessage.created_at,
        OutboxMessage.attempts,
        OutboxMessage.next_attempt_at,
        OutboxMessage.failed_at,
        OutboxMessage.last_error,
    )
    pending = db.session.execute(
        sa.select(*columns)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    failed = db.session.execute(
        sa.select(*columns)
        .where(OutboxMessage.failed_at.is_not(None))
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [Waiting(*row) for row in [*pending, *failed]]
