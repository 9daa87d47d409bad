"""The account page: changing one's email address by a link sent to the new address, a
personal time zone, and the list of one's sign-in sessions with "sign out" per device."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork import mail
from teamwork.audit.models import AuditEvent
from teamwork.auth import rules
from teamwork.auth import services as auth_services
from teamwork.auth.models import AuthSession, EmailChange, User
from teamwork.auth.services import token_digest
from teamwork.database import utcnow
from teamwork.extensions import db
from tests.conftest import PASSWORD

LINK = re.compile(r"http://localhost/account/email/([A-Za-z0-9_-]+)")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with mail.message_queued.connected_to(record, app):
        yield sent


def committed_user(user_id: int) -> Any:
    with db.engine.connect() as connection:
        table = User.__table__
        return connection.execute(sa.select(table).where(table.c.id == user_id)).one()


def audited(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def ask_for_email_change(browser: Any, new_email: str, password: str = PASSWORD) -> Any:
    return browser.post(
        "/account",
        data={"form": "email", "email-new_email": new_email, "email-password": password},
    )


# --- Email address ---------------------------------------------------------------------------


def test_email_changes_only_when_the_link_sent_to_the_new_address_is_opened(
    make_user, signed_in, outbox
) -> None:
    user = make_user("old@example.org")
    browser = signed_in(user)
    response = ask_for_email_change(browser, "New@Example.org")
    assert response.status_code == 302
    confirm, notice = outbox
    assert confirm["To"] == "new@example.org" and notice["To"] == "old@example.org"
    assert "new@example.org" in notice.get_content() and not LINK.search(notice.get_content())
    token = LINK.search(confirm.get_content()).group(1)
    # Only the token's digest is stored; nothing has changed yet.
    [change] = db.session.scalars(sa.select(EmailChange))
    assert change.token_hash == token_digest(token) and token not in change.token_hash
    assert committed_user(user.id).email == "old@example.org"
    assert browser.get(f"/account/email/{token}").status_code == 200  # a button, no change
    assert committed_user(user.id).email == "old@example.org"

    response = browser.post(f"/account/email/{token}")
    assert response.status_code == 302
    assert committed_user(user.id).email == "new@example.org"
    [event] = audited("user.email_changed")
    assert event.details == {"from": "old@example.org", "to": "new@example.org"}
    assert len(audited("user.email_change_requested")) == 1
    # One time only.
    assert browser.post(f"/account/email/{token}").status_code == 410


def test_the_link_also_works_signed_out_but_not_for_another_account(
    app, make_user, signed_in, outbox
) -> None:
    user = make_user("old@example.org")
    ask_for_email_change(signed_in(user), "new@example.org")
    token = LINK.search(outbox[0].get_content()).group(1)
    someone_else = signed_in(make_user())
    assert someone_else.post(f"/account/email/{token}").status_code == 403
    assert committed_user(user.id).email == "old@example.org"
    response = app.test_client().post(f"/account/email/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert committed_user(user.id).email == "new@example.org"


def test_an_expired_or_replaced_link_changes_nothing(make_user, signed_in, outbox) -> None:
    user = make_user("old@example.org")
    browser = signed_in(user)
    ask_for_email_change(browser, "first@example.org")
    ask_for_email_change(browser, "second@example.org")
    first, second = (LINK.search(m.get_content()).group(1) for m in outbox[::2])
    assert browser.post(f"/account/email/{first}").status_code == 410  # replaced
    db.session.execute(sa.update(EmailChange).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert browser.post(f"/account/email/{second}").status_code == 410  # expired
    assert committed_user(user.id).email == "old@example.org"


@pytest.mark.parametrize(
    ("new_email", "password", "message"),
    [
        ("taken@example.org", PASSWORD, "Another account already uses that address"),
        ("fresh@example.org", "not my password", "Your current password is not right"),
        ("not an address", PASSWORD, "Enter a valid email address"),
    ],
)
def test_a_refused_email_change_says_why_and_sends_nothing(
    make_user, signed_in, outbox, new_email, password, message
) -> None:
    make_user("taken@example.org")
    user = make_user("old@example.org")
    response = ask_for_email_change(signed_in(user), new_email, password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count(EmailChange.id))) == 0


def test_an_address_taken_meanwhile_is_refused_when_the_link_is_opened(
    make_user, signed_in, outbox
) -> None:
    user = make_user("old@example.org")
    browser = signed_in(user)
    ask_for_email_change(browser, "new@example.org")
    token = LINK.search(outbox[0].get_content()).group(1)
    make_user("new@example.org")
    response = browser.post(f"/account/email/{token}")
    assert response.status_code == 409
    assert committed_user(user.id).email == "old@example.org"


# --- Time zone -------------------------------------------------------------------------------


def test_a_chosen_time_zone_is_saved_audited_and_used_for_shown_times(make_user, signed_in) -> None:
    user = make_user()
    browser = signed_in(user)
    page = browser.get("/account").get_data(as_text=True)
    assert 'value="America/Chicago"' in page and 'value="Europe/Berlin"' in page
    assert " UTC</span>" in page  # the sign-ins' times
    response = browser.post("/account", data={"form": "timezone", "zone-timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert committed_user(user.id).timezone == "Asia/Tokyo"
    assert audited("user.timezone_changed")[0].details == {"from": "", "to": "Asia/Tokyo"}
    assert " JST</span>" in browser.get("/account").get_data(as_text=True)


def test_an_unknown_time_zone_is_refused(make_user, signed_in) -> None:
    user = make_user()
    response = signed_in(user).post(
        "/account", data={"form": "timezone", "zone-timezone": "Mars/Olympus_Mons"}
    )
    assert response.status_code == 422
    assert "Choose a time zone from the list" in response.get_data(as_text=True)
    assert committed_user(user.id).timezone == ""


# --- Sign-in sessions ------------------------------------------------------------------------


def signed_in_with(app: Flask, user: User, agent: str) -> Any:
    browser = app.test_client()
    response = browser.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 302
    return browser


def test_the_account_page_lists_active_sessions_and_marks_this_device(app, make_user) -> None:
    user = make_user()
    laptop = signed_in_with(app, user, FIREFOX)
    signed_in_with(app, user, IPHONE)
    ended = signed_in_with(app, user, IPHONE)
    ended.post("/logout")
    page = laptop.get("/account", headers={"User-Agent": FIREFOX}).get_data(as_text=True)
    assert "Firefox on Windows" in page and "(this device)" in page
    assert page.count("<strong>Safari on iPhone</strong>") == 1  # not the signed-out one
    assert page.count("/end") == 1  # "Sign out" for the other device only


def test_signing_out_another_device_ends_its_session_through_the_revocation_path(
    app, make_user, monkeypatch
) -> None:
    user = make_user()
    laptop = signed_in_with(app, user, FIREFOX)
    phone = signed_in_with(app, user, IPHONE)
    closed: list[list[int]] = []
    original = auth_services.realtime.disconnect_sessions_on_commit

    def spy(ids: Any) -> None:
        closed.append(list(ids))
        original(ids)

    monkeypatch.setattr(auth_services.realtime, "disconnect_sessions_on_commit", spy)
    phone_session = db.session.scalars(
        sa.select(AuthSession).where(AuthSession.user_agent == IPHONE)
    ).one()
    response = laptop.post(f"/account/sessions/{phone_session.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert closed == [[phone_session.id]]  # its live sockets are closed on commit
    db.session.refresh(phone_session)
    assert phone_session.revoked_at is not None
    assert phone.get("/account").status_code == 302  # the phone is signed out
    assert laptop.get("/account").status_code == 200
    assert len(audited("sign_in_session.ended")) == 1


def test_another_persons_session_cannot_be_ended(app, make_user) -> None:
    user, other = make_user(), make_user()
    browser = signed_in_with(app, user, FIREFOX)
    signed_in_with(app, other, IPHONE)
    theirs = db.session.scalars(sa.select(AuthSession).where(AuthSession.user_id == other.id)).one()
    assert browser.post(f"/account/sessions/{theirs.id}/end").status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


# --- Pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (FIREFOX, "Firefox on Windows"),
        (IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on Mac",
        ),
        ("curl/8.5.0", "Unknown device"),
        (None, "Unknown device"),
    ],
)
def test_devices_are_named_from_the_user_agent(agent: str | None, device: str) -> None:
    assert rules.describe_device(agent) == device


def test_addresses_are_shown_shortened() -> None:
    assert rules.address_prefix("203.0.113.77") == "203.0.113.…"
    assert rules.address_prefix("2001:db8:85a3::8a2e:370:7334") == "2001:db8:85a3:…"
    assert rules.address_prefix(None) == ""


def test_time_zone_choices_put_the_common_ones_first_then_every_other() -> None:
    choices = rules.timezone_choices()
    assert choices[0] == ("America/New_York", "Eastern (New York)")
    names = [name for name, _label in choices]
    assert len(names) == len(set(names)) and "Europe/Berlin" in names
    assert rules.is_timezone("Asia/Tokyo") and not rules.is_timezone("Mars/Olympus_Mons")


def test_without_a_zone_of_their_own_a_reader_sees_the_deployments(
    app, make_user, signed_in
) -> None:
    app.config["TEAMWORK_DEFAULT_TIMEZONE"] = "America/Chicago"
    user = make_user()
    browser = signed_in(user)
    page = browser.get("/account").get_data(as_text=True)
    assert " CST</span>" in page or " CDT</span>" in page
    browser.post("/account", data={"form": "timezone", "zone-timezone": "Asia/Tokyo"})
    assert " JST</span>" in browser.get("/account").get_data(as_text=True)  # their own wins
