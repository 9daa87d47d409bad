"""Two-step sign-in (TOTP): setting it up, signing in with it, replay and timing, turning it
off, and the deployment setting that requires it for leads."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.audit.models import AuditEvent
from teamwork.auth import services, totp
from teamwork.auth.models import AuthSession
from teamwork.extensions import db
from teamwork.teams.rules import Role
from tests.conftest import PASSWORD
from tests.pages import field_error, text

# RFC 6238, appendix B: the SHA-1 test secret "12345678901234567890" and its 8-digit codes;
# the last 6 digits are what a 6-digit app shows.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
]


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_codes_match_the_rfc_6238_test_vectors(unix_time: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, unix_time) == code[-6:]


def test_a_code_is_accepted_one_step_either_side_and_only_once() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    previous = totp.code_at(secret, now - 30)
    step = totp.matching_step(secret, previous, now, None)
    assert step == totp.step_at(now) - 1
    assert totp.matching_step(secret, previous, now, last_step=step) is None
    assert totp.matching_step(secret, totp.code_at(secret, now - 90), now, None) is None
    assert totp.matching_step(secret, "12 34 56x", now, None) is None


def enable(user) -> str:
    secret = services.start_two_step_setup(user)
    services.confirm_two_step(user, totp.code_at(secret, time.time()))
    user.totp_last_step = None  # the next test code may fall in the same 30-second step
    db.session.commit()
    return secret


def test_setup_shows_a_qr_code_and_turns_on_only_with_a_right_code(make_user, signed_in) -> None:
    user = make_user()
    browser = signed_in(user)
    browser.post("/account/two-step", data={"action": "start"})
    page = browser.get("/account/two-step")
    assert "<svg" in page.get_data(as_text=True)
    db.session.refresh(user)
    wrong = browser.post("/account/two-step", data={"action": "confirm", "confirm-code": "000000"})
    assert wrong.status_code == 422
    assert "not right" in field_error(wrong, "confirm-code")
    db.session.refresh(user)
    assert not user.has_two_step
    code = totp.code_at(user.totp_secret, time.time())
    ok = browser.post("/account/two-step", data={"action": "confirm", "confirm-code": code})
    assert ok.status_code == 200
    assert "shown only this once" in text(ok)  # the recovery codes
    db.session.refresh(user)
    assert user.has_two_step
    assert (
        db.session.scalar(
            sa.select(AuditEvent.actor_id).where(AuditEvent.action == "two_step.enabled")
        )
        == user.id
    )


def test_sign_in_needs_the_code_after_the_password(app: Flask, make_user) -> None:
    user = make_user()
    secret = enable(user)
    client = app.test_client()
    step_one = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert step_one.status_code == 302
    assert step_one.headers["Location"].startswith("/login/two-step")
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 0
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/login/two-step", data={"code": "000000"})
    assert wrong.status_code == 422
    right = client.post("/login/two-step", data={"code": totp.code_at(secret, time.time())})
    assert right.status_code == 302
    assert client.get("/").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 1


def test_a_code_cannot_be_replayed(app: Flask, make_user) -> None:
    user = make_user()
    secret = enable(user)
    code = totp.code_at(secret, time.time())
    first = app.test_client()
    first.post("/login", data={"email": user.email, "password": PASSWORD})
    assert first.post("/login/two-step", data={"code": code}).status_code == 302
    second = app.test_client()
    second.post("/login", data={"email": user.email, "password": PASSWORD})
    replay = second.post("/login/two-step", data={"code": code})
    assert replay.status_code == 422


def test_the_code_step_without_the_password_step_goes_back_to_sign_in(app: Flask) -> None:
    response = app.test_client().post("/login/two-step", data={"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_turning_it_off_needs_the_password_and_a_code(make_user, signed_in) -> None:
    user = make_user()
    browser = signed_in(user)  # signed in before two-step was on
    secret = enable(user)
    refused = browser.post(
        "/account/two-step",
        data={"action": "disable", "disable-password": "wrong", "disable-code": "000000"},
    )
    assert refused.status_code == 422
    db.session.refresh(user)
    assert user.has_two_step
    browser.post(
        "/account/two-step",
        data={
            "action": "disable",
            "disable-password": PASSWORD,
            "disable-code": totp.code_at(secret, time.time()),
        },
    )
    db.session.refresh(user)
    assert not user.has_two_step and user.totp_secret is None


def test_leads_must_set_it_up_when_the_deployment_requires_it(
    app: Flask, make_team, make_member, signed_in
) -> None:
    app.config["TEAMWORK_TWO_STEP_REQUIRED"] = "leads"
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    member = make_member(team)
    lead_browser = signed_in(lead.user)
    response = lead_browser.get(f"/teams/{team.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/two-step"
    assert "must use two-step" in text(lead_browser.get("/account/two-step"))
    assert signed_in(member.user).get(f"/teams/{team.id}").status_code == 200
    enable(lead.user)
    assert lead_browser.get(f"/teams/{team.id}").status_code == 200


def test_everyone_must_set_it_up_when_the_deployment_requires_it_of_all(
    app: Flask, make_team, make_member, signed_in
) -> None:
    app.config["TEAMWORK_TWO_STEP_REQUIRED"] = "all"
    team = make_team()
    member = make_member(team)
    browser = signed_in(member.user)
    response = browser.get(f"/teams/{team.id}")
    assert response.headers["Location"] == "/account/two-step"
    assert "Everyone of this deployment must use two-step" in text(browser.get("/account/two-step"))
    enable(member.user)
    assert browser.get(f"/teams/{team.id}").status_code == 200


def test_no_one_must_set_it_up_when_the_deployment_requires_it_of_none(
    app: Flask, make_team, make_member, signed_in
) -> None:
    app.config["TEAMWORK_TWO_STEP_REQUIRED"] = "none"
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    assert signed_in(lead.user).get(f"/teams/{team.id}").status_code == 200
