"""Sign-in throttling (teamwork/auth/throttle.py): failures from one address never lock the
account holder out from another; limits per account and address, per address, per account
(the ceiling), the backoff, and the email to the account holder. Windows pass on a fake clock.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork import mail
from teamwork.audit.models import AuditEvent
from teamwork.auth import services, throttle, totp
from teamwork.auth.models import AuthSession
from teamwork.extensions import db, limiter
from tests.conftest import PASSWORD

ATTACKER = "203.0.113.9"
HOLDER = "198.51.100.7"


@pytest.fixture
def limits(app: Flask):
    """Set throttling settings for one test (the counters start empty)."""

    def configure(**settings: Any) -> None:
        for name, value in settings.items():
            app.config[f"TEAMWORK_LOGIN_{name}"] = value
        limiter.reset()

    return configure


@pytest.fixture
def outbox(app: Flask) -> list[EmailMessage]:
    sent: list[EmailMessage] = []

    def record(_app: Flask, message: EmailMessage) -> None:
        sent.append(message)

    with mail.message_queued.connected_to(record, app):
        yield sent


def sign_in(app: Flask, email: str, password: str, address: str) -> int:
    """One try from a fresh browser at `address`; the response's status."""
    browser = app.test_client()
    data = {"email": email, "password": password}
    return browser.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code


def test_an_attackers_failures_never_block_the_holder_signing_in_from_elsewhere(
    app: Flask, make_user, limits, limiter_clock
) -> None:
    limits()  # the defaults: 5 a minute and 20 an hour per account and address
    user = make_user()
    statuses = [sign_in(app, user.email, "wrong guess", ATTACKER) for _ in range(25)]
    assert statuses == [422] * 5 + [429] * 20
    # More addresses guessing the same account push it into backoff: still not the holder.
    for n in range(4):
        for _ in range(5):
            sign_in(app, user.email, "wrong guess", f"203.0.113.{20 + n}")
    assert sign_in(app, user.email, PASSWORD, HOLDER) == 302
    # ...and an hour of the attacker's full allowance later, still not.
    for _ in range(4):
        limiter_clock.advance(61)
        for _ in range(5):
            sign_in(app, user.email, "wrong guess", ATTACKER)
    assert sign_in(app, user.email, PASSWORD, "198.51.100.8") == 302


def test_the_account_and_address_limit_refuses_even_the_right_password_until_it_passes(
    app: Flask, make_user, limits, limiter_clock
) -> None:
    limits(LIMIT_ACCOUNT_ADDRESS="3 per minute;5 per hour", BACKOFF_AFTER=1000)
    user = make_user()
    assert [sign_in(app, user.email, "nope", ATTACKER) for _ in range(3)] == [422] * 3
    blocked = app.test_client().post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": ATTACKER},
    )
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 0
    limiter_clock.advance(61)
    assert [sign_in(app, user.email, "nope", ATTACKER) for _ in range(3)] == [422, 422, 429]
    limiter_clock.advance(61)
    assert sign_in(app, user.email, PASSWORD, ATTACKER) == 429  # the hourly limit
    limiter_clock.advance(3600)
    assert sign_in(app, user.email, PASSWORD, ATTACKER) == 302


def test_one_address_trying_many_accounts_is_stopped(app: Flask, make_user, limits) -> None:
    limits(LIMIT_ADDRESS="4 per minute")
    for n in range(4):
        assert sign_in(app, f"guess{n}@example.org", "x" * 8, ATTACKER) == 422
    user = make_user()
    assert sign_in(app, user.email, PASSWORD, ATTACKER) == 429
    assert sign_in(app, user.email, PASSWORD, HOLDER) == 302


def test_the_account_ceiling_stops_every_address_until_its_window_passes(
    app: Flask, make_user, limits, limiter_clock
) -> None:
    limits(LIMIT_ACCOUNT="12 per hour", BACKOFF_AFTER=1000)
    user = make_user()
    for n in range(3):
        for _ in range(4):
            assert sign_in(app, user.email, "nope", f"203.0.113.{n}") == 422
    assert sign_in(app, user.email, PASSWORD, HOLDER) == 429
    other = make_user()
    assert sign_in(app, other.email, PASSWORD, "203.0.113.0") == 302  # only that account
    limiter_clock.advance(3601)
    assert sign_in(app, user.email, PASSWORD, HOLDER) == 302


def test_past_the_threshold_a_failing_address_waits_longer_each_time(
    app: Flask, make_user, limits, limiter_clock
) -> None:
    limits(LIMIT_ACCOUNT_ADDRESS="100 per minute", BACKOFF_AFTER=3, BACKOFF_MAX_SECONDS=4)
    user = make_user()
    assert [sign_in(app, user.email, "nope", ATTACKER) for _ in range(3)] == [422] * 3
    assert sign_in(app, user.email, "nope", ATTACKER) == 429  # waits 1 s
    limiter_clock.advance(1.1)
    assert sign_in(app, user.email, "nope", ATTACKER) == 422  # the 4th failure: 2 s
    limiter_clock.advance(1.1)
    assert sign_in(app, user.email, "nope", ATTACKER) == 429
    limiter_clock.advance(1)
    assert sign_in(app, user.email, "nope", ATTACKER) == 422  # the 5th: 4 s (the cap)
    limiter_clock.advance(3.5)
    assert sign_in(app, user.email, "nope", ATTACKER) == 429
    # An address that has not failed is never made to wait.
    assert sign_in(app, user.email, PASSWORD, HOLDER) == 302


def test_backoff_doubles_from_one_second_up_to_its_cap(app: Flask) -> None:
    app.config.update(TEAMWORK_LOGIN_BACKOFF_AFTER=10, TEAMWORK_LOGIN_BACKOFF_MAX_SECONDS=300)
    delays = [throttle.backoff_seconds(n) for n in (1, 9, 10, 11, 12, 18, 19, 50, 10**6)]
    assert delays == [0, 0, 1, 2, 4, 256, 300, 300, 300]


def test_successful_sign_ins_do_not_count_against_the_limits(app: Flask, make_user, limits) -> None:
    limits(LIMIT_ACCOUNT_ADDRESS="2 per minute", LIMIT_ACCOUNT="2 per minute")
    user = make_user()
    assert [sign_in(app, user.email, PASSWORD, HOLDER) for _ in range(4)] == [302] * 4


def test_the_account_holder_is_emailed_once_an_hour_while_they_are_guessed(
    app: Flask, make_user, limits, limiter_clock, outbox
) -> None:
    limits(BACKOFF_AFTER=3)
    user = make_user()
    for n in range(4):
        for _ in range(3):
            sign_in(app, user.email, "nope", f"203.0.113.{n}")
    for n in range(4):
        sign_in(app, "nobody@example.org", "nope", f"203.0.113.{n}")  # no account, no message
    assert [message["To"] for message in outbox] == [user.email]
    assert "3 failed sign-ins" in outbox[0].get_content()
    reported = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "sign_in.guessing_reported")
    ).all()
    assert [event.target_id for event in reported] == [user.id]
    limiter_clock.advance(3601)
    for n in range(3):
        sign_in(app, user.email, "nope", f"203.0.113.{10 + n}")
    assert len(outbox) == 2


def test_ipv6_addresses_count_per_64_block() -> None:
    def block(address: str | None) -> str:
        return throttle.Attempt.of(throttle.PASSWORD, " A@Example.org", address).address

    assert block("2001:db8:1:2:aaaa::1") == block("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert block("2001:db8:1:3::1") != block("2001:db8:1:2::1")
    assert block("::ffff:192.0.2.1") == block("192.0.2.1") == "192.0.2.1"
    assert throttle.Attempt.of(throttle.PASSWORD, " A@Example.org", None).account == (
        "a@example.org"
    )


def _enable_two_step(user) -> str:
    secret = services.start_two_step_setup(user)
    services.confirm_two_step(user, totp.code_at(secret, time.time()))
    user.totp_last_step = None
    db.session.commit()
    return secret


def _wrong_code(secret: str) -> str:
    right = {totp.code_at(secret, time.time() + drift) for drift in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def test_the_two_step_code_is_throttled_per_address_and_the_holder_warned(
    app: Flask, make_user, limits, outbox
) -> None:
    limits(LIMIT_ACCOUNT_ADDRESS="5 per minute", BACKOFF_AFTER=5)
    user = make_user()
    secret = _enable_two_step(user)
    attacker = app.test_client()
    at = {"environ_base": {"REMOTE_ADDR": ATTACKER}}
    form = {"email": user.email, "password": PASSWORD}
    assert attacker.post("/login", data=form, **at).status_code == 302
    wrong = _wrong_code(secret)
    codes = [
        attacker.post("/login/two-step", data={"code": wrong}, **at).status_code for _ in range(6)
    ]
    assert codes == [422] * 5 + [429]
    # The holder, from their own address, finishes both steps.
    holder = app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": HOLDER}}
    assert holder.post("/login", data=form, **here).status_code == 302
    code = totp.code_at(secret, time.time())
    assert holder.post("/login/two-step", data={"code": code}, **here).status_code == 302
    assert [message["To"] for message in outbox] == [user.email]
    assert "knows your Teamwork password" in outbox[0]["Subject"]
