"""Inviting people by email, and following the one-time link (/invitations/<token>).

Emails are caught on `teamwork.mail.message_queued`; the worker's outbox job sends them (with no
SMTP host it only logs them). After every request that changes something, or must not, the
committed database state is read on a connection of its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from teamwork import mail
from teamwork.audit.models import AuditEvent
from teamwork.auth.models import User
from teamwork.auth.services import token_digest
from teamwork.database import utcnow
from teamwork.extensions import db as _db
from teamwork.outbox.models import OutboxMessage
from teamwork.outbox.services import deliver_due
from teamwork.teams.models import Invitation, Membership, Team
from teamwork.teams.rules import Discipline, Role
from tests.pages import field_error, page, text
from tests.teams.helpers import committed, committed_row, snapshot

NEW_PASSWORD = "violet tractor moonlight"
LINK = re.compile(r"http://localhost/invitations/([A-Za-z0-9_-]+)")

# --- Helpers -----------------------------------------------------------------------------


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    """Every email the app sends during the test."""
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with mail.message_queued.connected_to(record, app):
        yield sent


def body_of(message: EmailMessage) -> str:
    content = message.get_content()
    assert isinstance(content, str)
    return content


def token_in(message: EmailMessage) -> str:
    match = LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(1)


@pytest.fixture
def world(
    make_user: Callable[..., User], make_team: Callable[..., Team], make_member: Callable[..., Any]
) -> Any:
    class World:
        team = make_team("Northfield County SOMT")
        lead = make_member(team, make_user(name="Lena Lead"), role=Role.LEAD)
        member = make_member(team, make_user("mo@example.org", "Mo Member"))

    return World


@pytest.fixture
def lead_browser(world: Any, signed_in: Callable[[User], FlaskClient]) -> FlaskClient:
    return signed_in(world.lead.user)


def invite_form(email: str = "vic@example.org", **values: str) -> dict[str, str]:
    data = {
        "email": email,
        "agency": "Northfield Victim Services",
        "discipline": Discipline.VICTIM_ADVOCACY.value,
        "role": Role.RECORDER.value,
    }
    data.update(values)
    return data


def send_invitation(
    browser: FlaskClient, world: Any, outbox: list[EmailMessage], email: str = "vic@example.org"
) -> str:
    """Invite `email` through the members page; the token from the email sent."""
    sent_before = len(outbox)
    response = browser.post(f"/teams/{world.team.id}/invitations", data=invite_form(email))
    assert response.status_code == 302, page(response)[:2000]
    assert len(outbox) == sent_before + 1
    assert outbox[-1]["To"] == email
    return token_in(outbox[-1])


def invitation_by_token(token: str) -> Any:
    (row,) = committed(Invitation, Invitation.__table__.c.token_hash == token_digest(token))
    return row


def accept_form(
    name: str = "Vic Advocate", password: str = NEW_PASSWORD, confirm: str | None = None
) -> dict[str, str]:
    return {"name": name, "password": password, "confirm": password if confirm is None else confirm}


# --- Sending -----------------------------------------------------------------------------


def test_lead_invites_an_email_and_only_the_token_hash_is_stored(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], app: Flask
) -> None:
    response = lead_browser.post(
        f"/teams/{world.team.id}/invitations",
        data=invite_form(" Vic@Example.org "),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Invitation sent to vic@example.org." in page(response)
    (row,) = committed(Invitation)
    assert (row.team_id, row.email, row.role, row.agency, row.discipline) == (
        world.team.id,
        "vic@example.org",
        Role.RECORDER,
        "Northfield Victim Services",
        Discipline.VICTIM_ADVOCACY,
    )
    assert row.invited_by_id == world.lead.user.id
    assert row.accepted_at is None
    assert row.revoked_at is None
    assert row.expires_at - row.created_at == app.config["TEAMWORK_INVITATION_TTL"]

    (message,) = outbox
    assert message["To"] == "vic@example.org"
    assert message["Subject"] == "Invitation to join Northfield County SOMT"
    body = body_of(message)
    assert "Lena Lead invites you to join Northfield County SOMT" in body
    assert "as recorder, representing Northfield Victim Services" in body
    token = token_in(message)
    assert f"http://localhost/invitations/{token}" in body
    assert row.token_hash == token_digest(token)
    assert all(token not in str(value) for value in row)
    # The members page lists it as pending.
    assert "vic@example.org" in page(response)


def test_without_smtp_the_email_is_logged(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    with caplog.at_level(logging.WARNING, logger="teamwork.mail"):
        assert deliver_due() == 1  # the worker's outbox job
    (record,) = [r for r in caplog.records if r.name == "teamwork.mail"]
    text = record.getMessage()
    assert "No SMTP server configured" in text
    assert "To: vic@example.org" in text
    assert f"/invitations/{token}" in text


def test_a_failing_mail_server_delays_the_invitation_and_never_fails_it(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreachable(message: EmailMessage) -> None:
        raise ConnectionRefusedError("no mail server here")

    app.config["TEAMWORK_SMTP_HOST"] = "smtp.invalid"
    monkeypatch.setattr(mail, "_deliver", unreachable)
    response = lead_browser.post(
        f"/teams/{world.team.id}/invitations", data=invite_form(), follow_redirects=True
    )
    assert "Invitation sent to vic@example.org" in page(response)
    (row,) = committed(Invitation)
    assert row.email == "vic@example.org" and row.revoked_at is None
    assert deliver_due() == 0
    (queued,) = committed(OutboxMessage)
    assert queued.to_address == "vic@example.org" and queued.sent_at is None
    assert queued.attempts == 1 and "no mail server here" in queued.last_error


def test_links_use_the_configured_base_url_whatever_the_host_header(
    world: Any, outbox: list[EmailMessage], app: Flask
) -> None:
    app.config["TEAMWORK_BASE_URL"] = "https://teamwork.example.org/"
    forged = "http://evil.example.com"
    browser = app.test_client()
    credentials = {"email": world.lead.user.email, "password": "correct horse battery staple"}
    assert browser.post("/login", base_url=forged, data=credentials).status_code == 302
    sent = browser.post(f"/teams/{world.team.id}/invitations", base_url=forged, data=invite_form())
    assert sent.status_code == 302
    body = body_of(outbox[-1])
    assert "https://teamwork.example.org/invitations/" in body
    assert "evil.example.com" not in body


def test_inviting_a_current_member_is_refused_beside_the_email(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage]
) -> None:
    before = snapshot()
    response = lead_browser.post(
        f"/teams/{world.team.id}/invitations", data=invite_form("MO@example.org")
    )
    assert response.status_code == 422
    assert "That person is already a member of this team." in field_error(response, "email")
    assert 'aria-describedby="email-error"' in page(response)
    assert 'value="Northfield Victim Services"' in page(response)  # what they typed is kept
    assert outbox == []
    assert snapshot() == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Invalid email address."),
        ({"email": ""}, "email", "This field is required."),
        ({"agency": ""}, "agency", "This field is required."),
        ({"role": "owner"}, "role", "Not a valid choice."),
    ],
)
def test_bad_invitation_input_rerenders_422(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = snapshot()
    response = lead_browser.post(f"/teams/{world.team.id}/invitations", data=invite_form(**values))
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert outbox == []
    assert snapshot() == before


def test_a_new_invitation_to_the_same_email_revokes_the_earlier_one(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    first = send_invitation(lead_browser, world, outbox)
    second = send_invitation(lead_browser, world, outbox)
    assert first != second
    assert invitation_by_token(first).revoked_at is not None
    assert invitation_by_token(second).revoked_at is None
    assert client.get(f"/invitations/{first}").status_code == 410
    assert client.get(f"/invitations/{second}").status_code == 200
    pending = page(lead_browser.get(f"/teams/{world.team.id}/members"))
    assert pending.count("<td>vic@example.org</td>") == 1


def test_send_again_issues_a_new_link_and_the_old_one_stops_working(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    old = send_invitation(lead_browser, world, outbox)
    old_row = invitation_by_token(old)
    response = lead_browser.post(
        f"/teams/{world.team.id}/invitations/{old_row.id}/resend", follow_redirects=True
    )
    assert "A new invitation link is sent to vic@example.org." in page(response)
    assert len(outbox) == 2
    new = token_in(outbox[-1])
    assert new != old
    assert committed_row(Invitation, old_row.id).revoked_at is not None
    new_row = invitation_by_token(new)
    assert (new_row.email, new_row.role, new_row.agency, new_row.discipline) == (
        old_row.email,
        old_row.role,
        old_row.agency,
        old_row.discipline,
    )
    assert client.get(f"/invitations/{old}").status_code == 410
    assert client.get(f"/invitations/{new}").status_code == 200
    # The withdrawn link cannot be sent again.
    before = snapshot()
    again = lead_browser.post(f"/teams/{world.team.id}/invitations/{old_row.id}/resend")
    assert again.status_code == 404
    assert len(outbox) == 2
    assert snapshot() == before


def test_send_again_renews_an_expired_invitation(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    old = send_invitation(lead_browser, world, outbox)
    row = _db.session.get(Invitation, invitation_by_token(old).id)
    row.expires_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    assert client.get(f"/invitations/{old}").status_code == 410
    lead_browser.post(f"/teams/{world.team.id}/invitations/{row.id}/resend")
    assert client.get(f"/invitations/{token_in(outbox[-1])}").status_code == 200


def test_withdraw_revokes_the_invitation(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    row = invitation_by_token(token)
    response = lead_browser.post(
        f"/teams/{world.team.id}/invitations/{row.id}/revoke", follow_redirects=True
    )
    assert "The invitation to vic@example.org is withdrawn." in page(response)
    assert "<td>vic@example.org</td>" not in page(response)
    assert committed_row(Invitation, row.id).revoked_at is not None
    before = snapshot()
    gone = client.get(f"/invitations/{token}")
    assert gone.status_code == 410
    assert "Ask the team's lead to send you a new one." in page(gone)
    assert client.post(f"/invitations/{token}", data=accept_form()).status_code == 410
    assert snapshot() == before


def test_an_accepted_invitation_cannot_be_withdrawn(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], app: Flask
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    app.test_client().post(f"/invitations/{token}", data=accept_form())
    row = invitation_by_token(token)
    assert row.accepted_at is not None
    before = snapshot()
    response = lead_browser.post(f"/teams/{world.team.id}/invitations/{row.id}/revoke")
    assert response.status_code == 409
    assert snapshot() == before


# --- Following the link as someone new ----------------------------------------------------


def test_following_the_link_creates_the_account_membership_and_signs_in(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    landing = client.get(f"/invitations/{token}")
    assert landing.status_code == 200
    shown = page(landing)
    assert "Join Northfield County SOMT" in shown
    assert "Lena Lead invites you" in shown
    assert "Northfield Victim Services" in shown
    assert "Create your account for vic@example.org" in text(landing)
    assert landing.headers["Referrer-Policy"] == "same-origin"

    response = client.post(f"/invitations/{token}", data=accept_form(name="  Vic Advocate "))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/teams/{world.team.id}"
    (user,) = committed(User, User.email == "vic@example.org")
    assert user.name == "Vic Advocate"
    assert user.is_admin is False
    (membership,) = committed(Membership, Membership.user_id == user.id)
    assert (membership.team_id, membership.role, membership.agency, membership.discipline) == (
        world.team.id,
        Role.RECORDER,
        "Northfield Victim Services",
        Discipline.VICTIM_ADVOCACY,
    )
    assert membership.removed_at is None
    row = invitation_by_token(token)
    assert row.accepted_at is not None
    assert row.accepted_by_id == user.id
    (signed_in,) = committed(
        AuditEvent, AuditEvent.action == "sign_in.succeeded", AuditEvent.actor_id == user.id
    )
    assert signed_in.details == {"invitation": True}

    welcome = page(client.get(response.headers["Location"]))
    assert "Welcome to Northfield County SOMT, Vic Advocate." in welcome
    dashboard = page(client.get("/"))
    assert "Northfield County SOMT" in dashboard
    assert "Vic Advocate" in dashboard
    # The password they chose works.
    fresh = client.application.test_client()
    signed = fresh.post("/login", data={"email": "vic@example.org", "password": NEW_PASSWORD})
    assert signed.status_code == 302


def test_reusing_the_link_is_gone_and_changes_nothing(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], app: Flask
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    first = app.test_client()
    assert first.post(f"/invitations/{token}", data=accept_form()).status_code == 302
    before = snapshot()
    stranger = app.test_client()
    for browser in (first, stranger):
        assert browser.get(f"/invitations/{token}").status_code == 410
        again = browser.post(f"/invitations/{token}", data=accept_form(name="Second Person"))
        assert again.status_code == 410
        assert "expired or has already been used" in page(again)
    assert snapshot() == before


def test_an_expired_link_is_gone(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    row = _db.session.get(Invitation, invitation_by_token(token).id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    before = snapshot()
    assert client.get(f"/invitations/{token}").status_code == 410
    assert client.post(f"/invitations/{token}", data=accept_form()).status_code == 410
    assert snapshot() == before


def test_an_unknown_link_is_gone(client: FlaskClient, world: Any) -> None:
    before = snapshot()
    assert client.get("/invitations/not-a-real-token").status_code == 410
    assert client.post("/invitations/not-a-real-token", data=accept_form()).status_code == 410
    assert snapshot() == before


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (accept_form(password="password"), "password", "too easy to guess"),
        (accept_form(password="vic@example.org"), "password", "too easy to guess"),
        (accept_form(password="short"), "password", "at least 8 characters"),
        (accept_form(confirm="violet tractor moonlit"), "confirm", "The two passwords differ."),
        (accept_form(name=""), "name", "This field is required."),
    ],
)
def test_bad_account_details_rerender_422_and_create_nothing(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    client: FlaskClient,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    before = snapshot()
    response = client.post(f"/invitations/{token}", data=form)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert snapshot() == before
    assert committed(User, User.email == "vic@example.org") == []
    assert invitation_by_token(token).accepted_at is None
    # Still signed out, and the link still works.
    assert urlsplit(client.get("/").headers["Location"]).path == "/login"
    assert client.post(f"/invitations/{token}", data=accept_form()).status_code == 302


# --- Following the link with an existing account -----------------------------------------


def test_an_existing_account_signs_in_first_then_joins(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[..., Any],
) -> None:
    existing = make_user("vic@example.org", "Vic Existing")
    token = send_invitation(lead_browser, world, outbox)
    before = snapshot()
    landing = client.get(f"/invitations/{token}")
    assert landing.status_code == 200
    shown = page(landing)
    assert "You already have an account as vic@example.org" in text(landing)
    assert f'href="/login?next=/invitations/{token}"' in shown
    assert 'name="password"' not in shown
    # Posting account details while signed out does not take over the account.
    posted = client.post(f"/invitations/{token}", data=accept_form(name="Impostor"))
    assert "You already have an account" in page(posted)
    assert snapshot() == before

    signed = client.post(
        f"/login?next=/invitations/{token}",
        data={"email": existing.email, "password": "correct horse battery staple"},
    )
    assert signed.status_code == 302
    assert urlsplit(signed.headers["Location"]).path == f"/invitations/{token}"
    join_page = page(client.get(f"/invitations/{token}"))
    assert "Join Northfield County SOMT</button>" in join_page
    assert snapshot() == before  # opening the page joins nothing

    joined = client.post(f"/invitations/{token}")
    assert joined.status_code == 302
    assert urlsplit(joined.headers["Location"]).path == f"/teams/{world.team.id}"
    (membership,) = committed(Membership, Membership.user_id == existing.id)
    assert (membership.team_id, membership.role, membership.agency) == (
        world.team.id,
        Role.RECORDER,
        "Northfield Victim Services",
    )
    assert committed_row(User, existing.id).name == "Vic Existing"
    assert invitation_by_token(token).accepted_by_id == existing.id
    assert "You have joined Northfield County SOMT." in page(client.get(joined.headers["Location"]))
    assert client.post(f"/invitations/{token}").status_code == 410


def test_signed_in_as_someone_else_is_refused(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    signed_in: Callable[[User], FlaskClient],
    make_user: Callable[..., User],
) -> None:
    make_user("vic@example.org", "Vic Existing")
    token = send_invitation(lead_browser, world, outbox)
    someone = signed_in(make_user("someone@example.org", "Someone Else"))
    before = snapshot()
    shown = page(someone.get(f"/invitations/{token}"))
    assert "This invitation is for vic@example.org, but you are signed in as" in shown
    assert "Join Northfield County SOMT</button>" not in shown
    refused = someone.post(f"/invitations/{token}")
    assert refused.status_code == 403
    assert "This invitation is for vic@example.org" in page(refused)
    assert snapshot() == before
    # The lead, signed in, cannot use it either, though they are allowed on the team.
    assert lead_browser.post(f"/invitations/{token}").status_code == 403
    assert snapshot() == before


def test_signed_in_as_someone_else_cannot_claim_an_invitation_for_a_new_address(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    signed_in: Callable[[User], FlaskClient],
    make_user: Callable[..., User],
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    someone = signed_in(make_user("someone@example.org", "Someone Else"))
    before = snapshot()
    assert someone.post(f"/invitations/{token}", data=accept_form()).status_code == 403
    assert snapshot() == before


def test_reinviting_a_removed_member_reactivates_the_same_membership(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    signed_in: Callable[[User], FlaskClient],
) -> None:
    removed = lead_browser.post(f"/teams/{world.team.id}/members/{world.member.id}/remove")
    assert removed.status_code == 302
    assert committed_row(Membership, world.member.id).removed_at is not None
    token = send_invitation(lead_browser, world, outbox, email="mo@example.org")
    browser = signed_in(world.member.user)
    assert browser.get(f"/teams/{world.team.id}").status_code == 404
    joined = browser.post(f"/invitations/{token}")
    assert joined.status_code == 302
    rows = committed(Membership, Membership.user_id == world.member.user.id)
    assert [row.id for row in rows] == [world.member.id]
    (row,) = rows
    assert (row.removed_at, row.role, row.agency, row.discipline) == (
        None,
        Role.RECORDER,
        "Northfield Victim Services",
        Discipline.VICTIM_ADVOCACY,
    )
    assert browser.get(f"/teams/{world.team.id}").status_code == 200


def test_a_current_member_following_an_old_link_is_told_so(
    world: Any,
    lead_browser: FlaskClient,
    outbox: list[EmailMessage],
    signed_in: Callable[[User], FlaskClient],
    make_user: Callable[..., User],
    make_member: Callable[..., Any],
) -> None:
    token = send_invitation(lead_browser, world, outbox)
    # They joined meanwhile another way (e.g. an admin added them).
    vic = make_user("vic@example.org", "Vic")
    make_member(world.team, vic, role=Role.OBSERVER)
    before = snapshot()
    response = signed_in(vic).post(f"/invitations/{token}")
    assert response.status_code == 409
    assert "You are already a member of this team." in page(response)
    assert snapshot() == before


def test_invited_lead_can_manage_the_team(
    world: Any, lead_browser: FlaskClient, outbox: list[EmailMessage], client: FlaskClient
) -> None:
    lead_browser.post(f"/teams/{world.team.id}/invitations", data=invite_form(role=Role.LEAD.value))
    token = token_in(outbox[-1])
    assert client.post(f"/invitations/{token}", data=accept_form()).status_code == 302
    assert client.get(f"/teams/{world.team.id}/members").status_code == 200


# --- On the dashboard: invitations for the signed-in person (no link needed) ----------------


def invite_service(world: Any, email: str = "vic@example.org") -> Any:
    from teamwork.teams import services

    return services.invite_member(
        world.lead.user,
        world.team.id,
        email=email,
        role=Role.RECORDER,
        agency="Northfield Victim Services",
        discipline=Discipline.VICTIM_ADVOCACY,
    ).invitation


def test_the_dashboard_shows_my_invitation_and_accepting_it_joins_without_the_link(
    world: Any, make_user: Callable[..., User], signed_in: Callable[[User], FlaskClient]
) -> None:
    vic = make_user("Vic@Example.org", "Vic Existing")
    invitation = invite_service(world)
    invite_service(world, "someone.else@example.org")
    browser = signed_in(vic)
    dashboard = browser.get("/")
    panel = page(dashboard).split('id="invitations-heading"', 1)[1].split("</section>", 1)[0]
    assert "Northfield County SOMT" in panel and "recorder" in panel
    assert "Northfield Victim Services" in panel and "From Lena Lead" in panel
    assert f'action="/invitations/{invitation.id}/join"' in panel
    assert "someone.else" not in page(dashboard)

    joined = browser.post(f"/invitations/{invitation.id}/join")
    assert urlsplit(joined.headers["Location"]).path == f"/teams/{world.team.id}"
    (membership,) = committed(Membership, Membership.user_id == vic.id)
    assert (membership.team_id, membership.role) == (world.team.id, Role.RECORDER)
    assert committed_row(Invitation, invitation.id).accepted_by_id == vic.id
    added = committed(AuditEvent, AuditEvent.action == "membership.added")
    assert [(e.actor_id, e.team_id) for e in added if e.details["user_id"] == vic.id] == [
        (vic.id, world.team.id)
    ]
    assert 'id="invitations-heading"' not in page(browser.get("/"))


def test_declining_my_invitation_is_audited_and_its_link_stops_working(
    world: Any,
    make_user: Callable[..., User],
    signed_in: Callable[[User], FlaskClient],
    outbox: list[EmailMessage],
    lead_browser: FlaskClient,
) -> None:
    vic = make_user("vic@example.org", "Vic Existing")
    token = send_invitation(lead_browser, world, outbox)
    invitation = invitation_by_token(token)
    browser = signed_in(vic)
    declined = browser.post(f"/invitations/{invitation.id}/decline")
    assert urlsplit(declined.headers["Location"]).path == "/"
    assert "You declined the invitation to Northfield County SOMT." in page(browser.get("/"))
    assert committed_row(Invitation, invitation.id).declined_at is not None
    assert committed(AuditEvent, AuditEvent.action == "invitation.declined")
    assert committed(Membership, Membership.user_id == vic.id) == []
    assert browser.post(f"/invitations/{token}").status_code == 410
    # Nor is it pending on the team's members page any more.
    lead_browser.get("/")  # shows the flash of the invitation sent
    assert "vic@example.org" not in page(lead_browser.get(f"/teams/{world.team.id}/members"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": utcnow() - timedelta(seconds=1)}, "This invitation has expired."),
        ({"revoked_at": utcnow()}, "This invitation was withdrawn."),
        ({"declined_at": utcnow()}, "You declined this invitation."),
    ],
)
def test_a_closed_invitation_is_refused_from_the_dashboard_with_a_reason(
    world: Any,
    make_user: Callable[..., User],
    signed_in: Callable[[User], FlaskClient],
    change: dict[str, Any],
    message: str,
) -> None:
    vic = make_user("vic@example.org", "Vic Existing")
    invitation = invite_service(world)
    for name, value in change.items():
        setattr(_db.session.get(Invitation, invitation.id), name, value)
    _db.session.commit()
    browser = signed_in(vic)
    assert 'id="invitations-heading"' not in page(browser.get("/"))
    before = snapshot()
    for action in ("join", "decline"):
        refused = browser.post(f"/invitations/{invitation.id}/{action}")
        assert urlsplit(refused.headers["Location"]).path == "/"
        assert message in page(browser.get("/"))
    assert snapshot() == before


def test_someone_elses_invitation_is_not_found_and_a_member_is_told_they_are_one(
    world: Any, make_user: Callable[..., User], signed_in: Callable[[User], FlaskClient]
) -> None:
    invitation = invite_service(world)
    other = signed_in(make_user("someone@example.org", "Someone Else"))
    before = snapshot()
    for action in ("join", "decline"):
        assert other.post(f"/invitations/{invitation.id}/{action}").status_code == 404
        assert other.post(f"/invitations/99999/{action}").status_code == 404
    assert snapshot() == before
    # An invitation issued before they joined by another one: told so, nothing changes.
    twice = make_user("twice@example.org", "Twice")
    again = invite_service(world, twice.email)
    _db.session.add(
        Membership(team=world.team, user=twice, role=Role.MEMBER, agency="Police",
                   discipline=Discipline.OTHER)
    )  # fmt: skip
    _db.session.commit()
    member = signed_in(twice)
    before = snapshot()
    member.post(f"/invitations/{again.id}/join")
    assert "You are already a member of this team." in page(member.get("/"))
    assert snapshot() == before
