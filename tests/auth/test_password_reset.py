"""Password reset by email: the same answer for any address, a one-time expiring link of which
only a hash is kept, throttled, ending every session, audited."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork import mail
from teamwork.audit.models import AuditEvent
from teamwork.auth import services
from teamwork.auth.models import AuthSession, PasswordReset, User
from teamwork.database import utcnow
from teamwork.errors import Gone
from teamwork.extensions import db
from teamwork.outbox.services import deliver_due
from tests.conftest import PASSWORD
from tests.pages import field_error, text

NEW_PASSWORD = "a new and rather long passphrase"
SENT = "If an account exists for that address, we've sent a link"


def link_token(message: EmailMessage) -> str:
    match = re.search(r"/reset-password/([A-Za-z0-9_-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def ask(client, email: str):
    return client.post("/forgot-password", data={"email": email})


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_sign_in_page_links_to_the_reset(client) -> None:
    assert 'href="/forgot-password"' in client.get("/login").get_data(as_text=True)


def test_a_known_address_gets_a_link_and_only_its_hash_is_stored(client, make_user, outbox) -> None:
    user = make_user()
    response = ask(client, user.email.upper())
    assert response.status_code == 200
    assert SENT in text(response)
    assert [m["To"] for m in outbox] == [user.email]
    token = link_token(outbox[0])
    reset = db.session.scalar(sa.select(PasswordReset))
    assert reset.token_hash == services.token_digest(token) != token
    assert reset.expires_at - reset.created_at == timedelta(hours=1)


@pytest.mark.parametrize("deactivated", [False, True])
def test_an_unknown_or_deactivated_address_gets_the_same_answer_and_no_email(
    client, make_user, outbox, deactivated: bool
) -> None:
    known = make_user()
    expected = ask(client, known.email)
    outbox.clear()
    email = "nobody@example.org"
    if deactivated:
        user = make_user()
        user.deactivated_at = utcnow()
        db.session.commit()
        email = user.email
    response = ask(client, email)
    assert response.status_code == expected.status_code == 200
    assert text(response) == text(expected)
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count(PasswordReset.id))) == 1  # the known one
    assert actions().count("password_reset.requested") == 2  # the same work either way


def test_the_link_sets_a_new_password_and_ends_every_session(
    app: Flask, client, make_user, signed_in, outbox
) -> None:
    user = make_user()
    elsewhere = signed_in(user)
    ask(client, user.email)
    token = link_token(outbox[0])
    assert client.get(f"/reset-password/{token}").status_code == 200
    response = client.post(
        f"/reset-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert elsewhere.get("/").status_code == 302  # signed out
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuthSession.id)).where(AuthSession.revoked_at.is_(None))
        )
        == 0
    )
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(user.email, PASSWORD)
    assert services.authenticate(user.email, NEW_PASSWORD).id == user.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "user.password_reset")
    )
    assert (event.actor_id, event.target_id) == (user.id, user.id)


def test_a_used_link_is_gone(client, make_user, outbox) -> None:
    user = make_user()
    ask(client, user.email)
    token = link_token(outbox[0])
    services.reset_password(token, NEW_PASSWORD)
    assert client.get(f"/reset-password/{token}").status_code == 410
    again = client.post(
        f"/reset-password/{token}",
        data={"password": "yet another passphrase", "confirm": "yet another passphrase"},
    )
    assert again.status_code == 410
    assert services.authenticate(user.email, NEW_PASSWORD).id == user.id


def test_an_expired_or_unknown_link_is_gone(client, make_user, outbox) -> None:
    user = make_user()
    ask(client, user.email)
    token = link_token(outbox[0])
    reset = db.session.scalar(sa.select(PasswordReset))
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/reset-password/{token}").status_code == 410
    with pytest.raises(Gone):
        services.reset_password(token, NEW_PASSWORD)
    assert client.get("/reset-password/not-a-token").status_code == 410
    db.session.refresh(user)
    assert services.authenticate(user.email, PASSWORD).id == user.id


def test_two_uses_of_one_link_succeed_only_once_through_a_conditional_update(
    app: Flask, make_user, outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    services.request_password_reset(user.email)
    token = link_token(outbox[0])
    updates: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE PASSWORD_RESETS"):
            updates.append(statement)

    # The second request found the link usable before the first one claimed it.
    found = services.find_password_reset(token)
    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        services.reset_password(token, NEW_PASSWORD)
        monkeypatch.setattr(services, "find_password_reset", lambda _token: found)
        with pytest.raises(Gone):
            services.reset_password(token, "the second racing passphrase")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)
    assert "used_at IS NULL" in updates[0]
    assert services.authenticate(user.email, NEW_PASSWORD).id == user.id


def test_a_weak_new_password_is_refused_and_the_link_still_works(client, make_user, outbox) -> None:
    user = make_user()
    ask(client, user.email)
    token = link_token(outbox[0])
    response = client.post(
        f"/reset-password/{token}", data={"password": "password", "confirm": "password"}
    )
    assert response.status_code == 422
    assert "too easy" in field_error(response, "password")
    assert db.session.scalar(sa.select(PasswordReset.used_at)) is None


def test_requests_are_throttled_per_address_typed(app: Flask, client, make_user) -> None:
    app.config["TEAMWORK_RESET_LIMIT_ACCOUNT"] = "2 per hour"
    user = make_user()
    assert [ask(client, user.email).status_code for _ in range(3)] == [200, 200, 429]
    assert ask(client, "nobody@example.org").status_code == 200
    assert [ask(client, "nobody@example.org").status_code for _ in range(2)] == [200, 429]


def test_requests_are_throttled_per_client_address(app: Flask, client) -> None:
    app.config["TEAMWORK_RESET_LIMIT_ADDRESS"] = "3 per hour"
    codes = [ask(client, f"person{n}@example.org").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_deactivated_users_link_stops_working(make_user, outbox) -> None:
    user = make_user()
    services.request_password_reset(user.email)
    token = link_token(outbox[0])
    services.deactivate_user(db.session.get(User, user.id))
    with pytest.raises(Gone):
        services.reset_password(token, NEW_PASSWORD)


def test_the_answer_does_not_wait_for_the_mail_server(
    app: Flask, client, make_user, monkeypatch
) -> None:
    """The request only queues the reset email (the worker sends it), so how long the answer
    takes does not tell whether the address has an account, and a stuck SMTP server holds
    nothing."""
    user = make_user()
    app.config["TEAMWORK_SMTP_HOST"] = "smtp.invalid"
    delivered: list[str] = []
    monkeypatch.setattr(mail, "_deliver", lambda message: delivered.append(message["To"]))
    answered = ask(client, user.email)
    assert answered.status_code in (200, 302)
    assert ask(client, "nobody@example.org").status_code == answered.status_code
    assert delivered == []  # no request talked to the mail server
    assert deliver_due() == 1
    assert delivered == [user.email]  # the one known address got its link from the worker
