"""Signing in and out, sessions, throttling, cookies and the account page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from teamwork.auth.models import AuthSession, User
from teamwork.database import utcnow
from teamwork.extensions import db
from tests.conftest import PASSWORD


def session_cookie(client: FlaskClient):
    return client.get_cookie("teamwork_session")


def test_sign_in_page_renders_a_form(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert 'for="email"' in html  # labelled fields


def test_anonymous_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_with_right_password_reaches_dashboard(client, make_user) -> None:
    user = make_user(name="Jordan Ellis")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Jordan Ellis" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 1


def test_sign_in_email_is_case_insensitive(client, make_user) -> None:
    user = make_user(email="dana@example.org")
    response = client.post("/login", data={"email": " DANA@Example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert user.id


@pytest.mark.parametrize(
    ("email", "password"),
    [("person@example.org", "wrong password"), ("nobody@example.org", PASSWORD)],
    ids=["wrong-password", "unknown-account"],
)
def test_failed_sign_in_gives_one_message_that_reveals_nothing(
    client, make_user, email, password
) -> None:
    make_user(email="person@example.org")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 0


def test_empty_sign_in_form_shows_errors_beside_fields(client) -> None:
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and 'id="password-error"' in html
    assert 'aria-invalid="true"' in html


def test_deactivated_user_cannot_sign_in(client, make_user) -> None:
    user = make_user()
    user.deactivated_at = utcnow()
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422


def test_next_parameter_only_allows_local_paths(client, make_user) -> None:
    user = make_user()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/account", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_sign_out_ends_the_session_on_the_server(client, make_user, login) -> None:
    user = make_user()
    login(user)
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    record = db.session.scalar(sa.select(AuthSession).where(AuthSession.user_id == user.id))
    assert record is not None and record.revoked_at is not None


def test_cookie_captured_before_sign_out_is_refused_after_it(
    app: Flask, client, make_user, login
) -> None:
    user = make_user()
    login(user)
    captured = session_cookie(client).value
    client.post("/logout")

    attacker = app.test_client()
    attacker.set_cookie("teamwork_session", captured)
    response = attacker.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_sign_in_starts_a_fresh_session(app: Flask, client, make_user, login) -> None:
    client.get("/login")  # an anonymous session may exist before sign-in
    user = make_user()
    login(user)
    first = session_cookie(client).value
    client.post("/logout")
    login(user)
    second = session_cookie(client).value
    assert first != second
    tokens = db.session.scalars(sa.select(AuthSession.token_hash)).all()
    assert len(set(tokens)) == 2


def test_idle_session_expires(app: Flask, client, make_user, login) -> None:
    user = make_user()
    login(user)
    record = db.session.scalar(sa.select(AuthSession))
    record.last_seen_at = utcnow() - app.config["TEAMWORK_SESSION_IDLE"] - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_session_past_its_absolute_lifetime_expires(client, make_user, login) -> None:
    user = make_user()
    login(user)
    record = db.session.scalar(sa.select(AuthSession))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_active_use_keeps_the_session_alive(app: Flask, client, make_user, login) -> None:
    user = make_user()
    login(user)
    record = db.session.scalar(sa.select(AuthSession))
    record.last_seen_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert client.get("/").status_code == 200
    db.session.refresh(record)
    assert utcnow() - record.last_seen_at < timedelta(minutes=1)


def test_remembered_session_lasts_longer_than_a_plain_one(app, client, make_user, login) -> None:
    user = make_user()
    login(user, remember=True)
    record = db.session.scalar(sa.select(AuthSession))
    assert record.remember is True
    assert record.expires_at - record.created_at == app.config["TEAMWORK_REMEMBER"]
    cookie = session_cookie(client)
    assert cookie.expires is not None  # persists across browser restarts


def test_deactivating_a_user_ends_their_open_sessions(client, make_user, login) -> None:
    from teamwork.auth.services import deactivate_user

    user = make_user()
    login(user)
    deactivate_user(db.session.get(User, user.id))
    db.session.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, make_user) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    header = next(h for h in response.headers.getlist("Set-Cookie") if "teamwork_session" in h)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP on a LAN


def test_session_cookie_is_secure_over_https(app: Flask, make_user) -> None:
    user = make_user()
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        base_url="https://teamwork.example.org",
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if "teamwork_session" in h)
    assert "Secure" in header


def test_account_page_changes_the_name(client, make_user, login) -> None:
    user = make_user(name="Old Name")
    login(user)
    response = client.post("/account", data={"form": "profile", "profile-name": "New Name"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).name == "New Name"


def test_password_change_signs_out_other_devices_but_not_this_one(
    app: Flask, client, make_user, login
) -> None:
    user = make_user()
    other_device = app.test_client()
    login(user, on=other_device)
    login(user)
    response = client.post(
        "/account",
        data={
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "a much better passphrase",
            "password-confirm": "a much better passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    client.post("/logout")
    assert (
        client.post(
            "/login", data={"email": user.email, "password": "a much better passphrase"}
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("wrong", "a much better passphrase", "current password is not right"),
        (PASSWORD, "password", "too easy to guess"),
        (PASSWORD, "short", "at least 8"),
    ],
)
def test_bad_password_change_is_refused_beside_the_field(
    client, make_user, login, current, new, message
) -> None:
    user = make_user()
    before = user.password_hash
    login(user)
    response = client.post(
        "/account",
        data={
            "form": "password",
            "password-current_password": current,
            "password-new_password": new,
            "password-confirm": new,
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before


def test_sign_out_elsewhere_keeps_this_device(app: Flask, client, make_user, login) -> None:
    user = make_user()
    other = app.test_client()
    login(user, on=other)
    login(user)
    client.post("/account/sign-out-elsewhere")
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_signed_in_pages_are_not_cached_and_carry_security_headers(
    client, make_user, login
) -> None:
    login(make_user())
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
