"""Two-step recovery codes: ten shown once at setup, stored hashed, each usable once instead of
the app's code (audited and emailed), regenerated with the password; and a TOTP step that two
requests cannot both use."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.attributes import set_committed_value

from teamwork.audit.models import AuditEvent
from teamwork.auth import services, totp
from teamwork.auth.models import RecoveryCode
from teamwork.errors import InvalidInput
from teamwork.extensions import db
from tests.conftest import PASSWORD
from tests.pages import text

CODE = re.compile(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>")


def turn_on(user) -> tuple[str, list[str]]:
    secret = services.start_two_step_setup(user)
    codes = services.confirm_two_step(user, totp.code_at(secret, time.time()))
    return secret, codes


def password_step(app: Flask, user):
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    return browser


def test_setup_shows_ten_codes_once_and_stores_only_their_hashes(make_user, signed_in) -> None:
    user = make_user()
    browser = signed_in(user)
    browser.post("/account/two-step", data={"action": "start"})
    db.session.refresh(user)
    code = totp.code_at(user.totp_secret, time.time())
    shown = browser.post("/account/two-step", data={"action": "confirm", "confirm-code": code})
    codes = CODE.findall(shown.get_data(as_text=True))
    assert len(set(codes)) == 10
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert stored == {services.token_digest(c.replace("-", "")) for c in codes}
    page = browser.get("/account/two-step")
    assert not CODE.findall(page.get_data(as_text=True))
    assert "10 of 10 recovery codes left" in text(page)


def test_a_recovery_code_signs_in_once_is_audited_and_emailed(
    app: Flask, make_user, outbox
) -> None:
    user = make_user()
    _secret, codes = turn_on(user)
    browser = password_step(app, user)
    response = browser.post("/login/two-step", data={"code": codes[3].upper()})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "two_step.recovery_code_used")
    )
    assert (event.actor_id, event.details) == (user.id, {"codes_left": 9})
    assert [m["To"] for m in outbox] == [user.email]
    assert "recovery code" in outbox[0]["Subject"]
    assert "9 recovery code(s) are left" in outbox[0].get_content()
    assert "/account/two-step" in outbox[0].get_content()  # where to make new codes
    again = password_step(app, user).post("/login/two-step", data={"code": codes[3]})
    assert again.status_code == 422
    assert services.recovery_codes_left(user) == 9


def test_two_uses_of_one_recovery_code_at_once_only_one_passes(make_user) -> None:
    user = make_user()
    _secret, codes = turn_on(user)
    assert services.verify_second_factor(user, codes[0]) == 9
    with pytest.raises(InvalidInput):
        services.verify_second_factor(user, codes[0])
    assert services.verify_second_factor(user, codes[1]) == 8


def test_a_totp_code_used_by_one_request_is_refused_to_a_racing_one(
    make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_900_000_000.0
    monkeypatch.setattr(services, "_now_seconds", lambda: now)
    user = make_user()
    secret = services.start_two_step_setup(user)
    code = totp.code_at(secret, now)
    services.confirm_two_step(user, code)  # this request used the code's step
    # A second request loaded the user before the first one committed: its copy still has no
    # last step, so only the conditional UPDATE in the database can refuse the replay.
    set_committed_value(user, "totp_last_step", None)
    with pytest.raises(InvalidInput):
        services.verify_second_factor(user, code)
    assert services.verify_second_factor(user, totp.code_at(secret, now + 30)) is None


def test_regenerating_needs_the_password_and_replaces_the_codes(make_user, signed_in) -> None:
    user = make_user()
    browser = signed_in(user)
    _secret, old = turn_on(user)
    refused = browser.post(
        "/account/two-step", data={"action": "regenerate", "codes-password": "wrong"}
    )
    assert refused.status_code == 422
    assert services.recovery_codes_left(user) == 10
    response = browser.post(
        "/account/two-step", data={"action": "regenerate", "codes-password": PASSWORD}
    )
    new = CODE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(InvalidInput):
        services.verify_second_factor(user, old[0])
    assert services.verify_second_factor(user, new[0]) == 9
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "two_step.recovery_codes_regenerated"
            )
        )
        == 1
    )


def test_turning_two_step_off_removes_the_codes(make_user) -> None:
    user = make_user()
    secret, _codes = turn_on(user)
    user.totp_last_step = None
    db.session.commit()
    services.disable_two_step(user, password=PASSWORD, code=totp.code_at(secret, time.time()))
    assert services.recovery_codes_left(user) == 0
