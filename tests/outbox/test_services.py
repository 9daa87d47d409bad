"""The email outbox: queued in the caller's transaction, sent by the worker through SMTP (a fake
one here: `mail._deliver` replaced), retried with backoff and then marked failed, never sent
twice, its bodies encrypted at rest and cleared once sent."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork import mail
from teamwork.auth import services as auth_services
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.outbox import services
from teamwork.outbox.models import OutboxMessage


def stored() -> list[Any]:
    """The outbox's rows as committed, on a connection of its own (bodies decrypted)."""
    table = OutboxMessage.__table__
    with db.engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.id)))


def stored_bodies() -> list[tuple[str | None, str | None]]:
    """The bodies exactly as the database holds them."""
    with db.engine.connect() as connection:
        query = sa.text("select body, html_body from outbox_messages order by id")
        return [tuple(row) for row in connection.execute(query)]


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[EmailMessage]:
    """A mail server that takes every message (what it was handed, in order)."""
    received: list[EmailMessage] = []
    app.config["TEAMWORK_SMTP_HOST"] = "smtp.example.org"
    monkeypatch.setattr(mail, "_deliver", received.append)
    return received


def test_a_queued_email_commits_with_the_action_and_goes_with_its_rollback(app: Flask) -> None:
    services.queue_email("kept@example.org", "Kept", "Sent once the action commits.")
    db.session.commit()
    services.queue_email("dropped@example.org", "Dropped", "Its action failed.")
    db.session.rollback()
    assert [row.to_address for row in stored()] == ["kept@example.org"]


def test_a_password_reset_is_queued_in_its_own_transaction(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    # The request's commit fails: no reset, and no email about one.
    monkeypatch.setattr(db.session, "commit", lambda: (_ for _ in ()).throw(RuntimeError("db")))
    with pytest.raises(RuntimeError):
        auth_services.request_password_reset(user.email)
    monkeypatch.undo()
    db.session.rollback()
    assert stored() == []
    auth_services.request_password_reset(user.email)
    assert [row.to_address for row in stored()] == [user.email]


def test_the_worker_sends_through_smtp_with_html_and_headers(
    app: Flask, smtp: list[EmailMessage]
) -> None:
    delivered: list[EmailMessage] = []
    services.queue_email(
        "ann@example.org",
        "A round is open",
        "Vote here: https://teamwork.example.org/p/1",
        html="<p>Vote <a href='https://teamwork.example.org/p/1'>here</a></p>",
        headers={"List-Unsubscribe": "<https://teamwork.example.org/u/x>"},
        commit=True,
    )
    assert smtp == []  # queueing talks to no mail server
    with mail.message_delivered.connected_to(lambda _s, message: delivered.append(message), app):
        assert services.deliver_due() == 1
    (message,) = smtp
    assert delivered == [message]
    assert message["To"] == "ann@example.org" and message["Subject"] == "A round is open"
    assert message["From"] == app.config["TEAMWORK_MAIL_FROM"]
    assert message["List-Unsubscribe"] == "<https://teamwork.example.org/u/x>"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert "https://teamwork.example.org/p/1" in plain.get_content()
    assert "<a href=" in html.get_content()
    (row,) = stored()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None
    assert services.deliver_due() == 0  # sent once


def test_bodies_are_encrypted_at_rest_and_cleared_once_sent(
    app: Flask, make_user, smtp: list[EmailMessage]
) -> None:
    user = make_user()
    auth_services.request_password_reset(user.email)
    ((body, html),) = stored_bodies()
    assert body.startswith("gAAAAA") and "reset-password" not in body and html is None
    (row,) = stored()
    assert "/reset-password/" in row.body  # what the app reads back, with the key
    assert services.deliver_due() == 1
    assert "/reset-password/" in smtp[0].get_content()
    assert stored_bodies() == [(None, None)]
    assert stored()[0].sent_at is not None


def test_a_failing_mail_server_is_retried_with_backoff_then_the_message_is_marked_failed(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TEAMWORK_SMTP_HOST"] = "smtp.example.org"
    app.config["TEAMWORK_MAIL_MAX_ATTEMPTS"] = 3
    tries: list[str] = []

    def refused(message: EmailMessage) -> None:
        tries.append(message["To"])
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(mail, "_deliver", refused)
    user = make_user()
    auth_services.request_password_reset(user.email)  # the action succeeds all the same
    now = utcnow()
    assert services.deliver_due(now) == 0
    (row,) = stored()
    assert row.attempts == 1 and "mail server down" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert services.deliver_due(now + timedelta(seconds=59)) == 0  # not due yet
    assert len(tries) == 1
    services.deliver_due(now + timedelta(minutes=1))
    assert stored()[0].next_attempt_at == now + timedelta(minutes=6)  # 1 then 5 minutes
    with caplog.at_level(logging.ERROR, logger="teamwork.outbox"):
        services.deliver_due(now + timedelta(minutes=6))
    (row,) = stored()
    assert row.attempts == 3 and row.failed_at is not None and row.sent_at is None
    assert row.body is not None  # kept, failed, for someone to look at: nothing lost
    assert f"Gave up on the email 'Reset your Teamwork password' to {user.email}" in caplog.text
    assert services.deliver_due(now + timedelta(days=1)) == 0
    assert len(tries) == 3
    listed = app.test_cli_runner().invoke(args=["outbox"])
    assert f"to {user.email}" in listed.output and "FAILED" in listed.output
    assert "mail server down" in listed.output


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_the_lease(
    app: Flask, smtp: list[EmailMessage]
) -> None:
    services.queue_email("ann@example.org", "Hello", "Body", commit=True)
    now = utcnow()
    (row,) = stored()
    assert services._claim(row.id, 0, now)  # a worker took it, then died before sending
    assert services.deliver_due(now + timedelta(minutes=9)) == 0
    assert services.deliver_due(now + timedelta(minutes=10)) == 1
    assert [m["To"] for m in smtp] == ["ann@example.org"]


def test_a_deliverer_that_loses_the_race_for_a_message_does_not_send_it(
    app: Flask, smtp: list[EmailMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both deliverers find the message due; the other one claims and sends it between this
    one's query and its claim: this one then sends nothing."""
    services.queue_email("ann@example.org", "Once", "Only once.", commit=True)
    claim = services._claim
    raced: list[int] = []

    def other_worker_first(message_id: int, seen: int, now: Any) -> bool:
        if not raced:
            raced.append(message_id)
            done = threading.Thread(target=other_worker, args=(app,))
            done.start()
            done.join(30)
        return claim(message_id, seen, now)

    def other_worker(application: Flask) -> None:
        with application.app_context():
            raced.append(services.deliver_due())
            db.session.remove()

    monkeypatch.setattr(services, "_claim", other_worker_first)
    assert services.deliver_due() == 0
    assert raced[1] == 1  # the other worker sent it
    assert [m["Subject"] for m in smtp] == ["Once"]


def test_two_deliverers_at_once_send_every_message_exactly_once(
    app: Flask, smtp: list[EmailMessage]
) -> None:
    for number in range(12):
        services.queue_email(f"m{number}@example.org", f"Message {number}", "Body")
    db.session.commit()
    start = threading.Barrier(2)

    def deliverer() -> None:
        with app.app_context():
            start.wait(10)
            services.deliver_due()
            db.session.remove()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(m["To"] for m in smtp) == sorted(f"m{n}@example.org" for n in range(12))
    assert all(row.sent_at is not None for row in stored())
