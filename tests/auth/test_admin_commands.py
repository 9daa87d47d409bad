"""The administrator's commands: set-password, reset-two-step, reactivate-user (audited, and
ending the person's sessions), and re-encrypting two-step secrets after a key rotation."""

from __future__ import annotations

import time

import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask

from teamwork.audit.models import AuditEvent
from teamwork.auth import services, totp
from teamwork.auth.models import RecoveryCode, User
from teamwork.database import utcnow
from teamwork.extensions import db
from tests.conftest import PASSWORD

NEW_PASSWORD = "a passphrase the administrator chose"


def audited(action: str) -> AuditEvent:
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == action))
    assert event is not None, action
    return event


def test_set_password_from_stdin_ends_the_users_sessions(app: Flask, make_user, signed_in) -> None:
    user = make_user()
    browser = signed_in(user)
    result = app.test_cli_runner().invoke(
        args=["set-password", user.email.upper(), "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "1 open session(s) ended" in result.output
    assert browser.get("/").status_code == 302
    assert services.authenticate(user.email, NEW_PASSWORD).id == user.id
    event = audited("user.password_set")
    assert (event.target_id, event.channel, event.actor_id) == (user.id, "cli", None)


def test_set_password_prompts_and_refuses_a_weak_password(app: Flask, make_user) -> None:
    user = make_user()
    result = app.test_cli_runner().invoke(
        args=["set-password", user.email], input="password\npassword\n"
    )
    assert result.exit_code != 0
    assert "too easy" in result.output
    assert services.authenticate(user.email, PASSWORD).id == user.id


def test_commands_name_an_unknown_address(app: Flask) -> None:
    for command in ("set-password", "reset-two-step", "reactivate-user"):
        result = app.test_cli_runner().invoke(args=[command, "nobody@example.org"], input="x\n")
        assert result.exit_code != 0
        assert "No account has the email address nobody@example.org" in result.output


def test_reset_two_step_removes_the_secret_and_codes_and_ends_sessions(
    app: Flask, make_user, signed_in
) -> None:
    user = make_user()
    browser = signed_in(user)
    secret = services.start_two_step_setup(user)
    services.confirm_two_step(user, totp.code_at(secret, time.time()))
    result = app.test_cli_runner().invoke(args=["reset-two-step", user.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert not user.has_two_step and user.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    assert browser.get("/").status_code == 302
    assert audited("two_step.reset").target_id == user.id
    # The password alone signs in again.
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": PASSWORD})
        .headers["Location"]
        == "/"
    )


def test_reactivate_user_lets_them_sign_in_again(app: Flask, make_user) -> None:
    user = make_user()
    services.deactivate_user(user, at=utcnow())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reactivate-user", user.email])
    assert result.exit_code == 0, result.output
    assert services.authenticate(user.email, PASSWORD).id == user.id
    assert audited("user.reactivated").target_id == user.id
    again = runner.invoke(args=["reactivate-user", user.email])
    assert again.exit_code != 0 and "already active" in again.output


def test_secrets_are_encrypted_at_rest_and_reencrypted_with_a_new_key(
    app: Flask, make_user
) -> None:
    user = make_user()
    secret = services.start_two_step_setup(user)
    raw = sa.type_coerce(User.totp_secret, sa.String)
    stored = db.session.scalar(sa.select(raw).where(User.id == user.id))
    assert secret not in stored and stored.startswith("gAAAAA")  # a Fernet token
    old_key = app.config["TEAMWORK_SECRET_ENCRYPTION_KEYS"][0]
    new_key = Fernet.generate_key().decode()
    app.config["TEAMWORK_SECRET_ENCRYPTION_KEYS"] = [new_key, old_key]
    result = app.test_cli_runner().invoke(args=["reencrypt-secrets"])
    assert "Re-encrypted 1 two-step secret(s)" in result.output
    app.config["TEAMWORK_SECRET_ENCRYPTION_KEYS"] = [new_key]
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret
