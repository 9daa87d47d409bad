"""Every kind of email, read back from the outbox as committed (the rows the worker sends, their
bodies decrypted): who it goes to, its subject, its words and its link; for notification
emails, the RFC 8058 headers, the unsubscribe link working signed out, the digest's grouping
and a team's setting that keeps detail out of email.

What each capability's events say is tested beside them (tests/consensus, tests/meetings,
tests/workplans, tests/moderation, tests/discussion); here is what every email shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from teamwork.extensions import db
from teamwork.notifications import services
from teamwork.notifications.rules import KINDS, Delivery, Kind
from teamwork.outbox.models import OutboxMessage
from teamwork.teams.rules import Role, TeamLevel

BASE = "https://teamwork.example.org"


@dataclass(frozen=True)
class Queued:
    to: str
    subject: str
    body: str
    html: str | None
    headers: dict[str, str]


def queued() -> list[Queued]:
    """The outbox as committed, on a connection of its own (the bodies decrypted)."""
    table = OutboxMessage.__table__
    with db.engine.connect() as connection:
        rows = connection.execute(sa.select(table).order_by(table.c.id))
        return [Queued(r.to_address, r.subject, r.body, r.html_body, r.headers) for r in rows]


@pytest.fixture
def base_url(app: Flask) -> str:
    app.config["TEAMWORK_BASE_URL"] = BASE
    return BASE


def unsubscribe_path(message: Queued) -> str:
    header = message.headers["List-Unsubscribe"]
    assert header.startswith(f"<{BASE}/notifications/unsubscribe/") and header.endswith(">")
    return urlsplit(header[1:-1]).path


# --- Notification emails: every kind -----------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_is_emailed_with_its_link_and_a_one_click_unsubscribe_that_works_signed_out(
    kind: Kind, base_url: str, make_team, make_member, client: FlaskClient
) -> None:
    team = make_team("Northfield County SOM Team")
    member = make_member(team)
    services.set_preferences(member.user, {kind.value: Delivery.AT_ONCE.value})
    services.notify(
        team,
        [member.user_id],
        kind,
        title="Share polygraph results",
        detail="Within five days.",
        url=f"/teams/{team.id}",
    )
    db.session.commit()
    (message,) = queued()
    assert (message.to, message.subject) == (member.user.email, "Share polygraph results")
    for part in (message.body, message.html):
        assert part is not None
        assert "Within five days." in part
        assert f"{BASE}/teams/{team.id}" in part
    assert KINDS[kind].label in message.body  # why they receive it
    assert str(escape(KINDS[kind].label)) in (message.html or "")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(message)
    assert path in message.body
    # A mail client's one-click POST: no cookie, no CSRF token.
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    chosen = services.preferences(member.user)
    assert chosen[kind] is Delivery.OFF
    assert all(chosen[k] is not Delivery.OFF for k in Kind if k is not kind)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_team_that_keeps_detail_out_of_email_sends_only_a_line_and_the_link(
    kind: Kind, base_url: str, make_team, make_member
) -> None:
    team = make_team("Core Case Team", level=TeamLevel.CASE_MANAGEMENT)
    assert not team.email_detail_allowed  # the default for case-management teams
    member = make_member(team)
    services.set_preferences(member.user, {kind.value: Delivery.AT_ONCE.value})
    services.notify(
        team, [member.user_id], kind, title="J. Doe, DOB 1980", detail="Case 42", url="/x"
    )
    db.session.commit()
    (message,) = queued()
    assert message.subject == "Teamwork: Core Case Team needs your attention"
    for part in (message.body, message.html or ""):
        assert "J. Doe" not in part and "Case 42" not in part
        assert "does not send its case or policy detail by email" in part
        assert f"{BASE}/x" in part
    assert "List-Unsubscribe" in message.headers


def test_the_digest_groups_a_persons_updates_from_every_team_and_stops_them_all_signed_out(
    base_url: str, make_team, make_member, client: FlaskClient
) -> None:
    policy = make_team("Northfield County SOM Team")
    case = make_team("Core Case Team", level=TeamLevel.CASE_MANAGEMENT)
    person = make_member(policy)
    make_member(case, person.user)
    other = make_member(policy)
    for team, kind, title in (
        (policy, Kind.PROPOSAL_MADE, "New proposal: housing"),
        (case, Kind.DECISION_REACHED, "Decided: J. Doe's curfew"),
        (policy, Kind.ROUND_CLOSED, "Round 1 closed: consensus reached"),
    ):
        services.notify(team, [person.user_id, other.user_id], kind, title=title, url="/")
    db.session.commit()
    assert queued() == []  # these kinds wait for the daily digest by default
    services.send_digests()
    by_person = {m.to: m for m in queued()}
    assert set(by_person) == {person.user.email, other.user.email}
    digest = by_person[person.user.email]
    assert digest.subject == "Teamwork: 3 updates from your teams"
    assert "New proposal: housing" in digest.body and "Round 1 closed" in digest.body
    assert "J. Doe" not in digest.body and "J. Doe" not in (digest.html or "")
    assert "Core Case Team" in digest.body  # said to need attention, without the detail
    assert "daily digest" in digest.body
    assert client.post(unsubscribe_path(digest)).status_code == 200
    assert set(services.preferences(person.user).values()) == {Delivery.OFF}
    assert Delivery.OFF not in services.preferences(other.user).values()


# --- The other emails: about an account, an invitation, a meeting --------------------------------


def _password_reset(world: Any) -> None:
    from teamwork.auth.services import request_password_reset

    request_password_reset(world.user.email)


def _guessing(world: Any) -> None:
    from teamwork.auth.services import warn_of_guessing

    warn_of_guessing(world.user.email, step="password", failures=5)
    db.session.commit()


def _guessing_code(world: Any) -> None:
    from teamwork.auth.services import warn_of_guessing

    warn_of_guessing(world.user.email, step="code", failures=3)
    db.session.commit()


def _email_change(world: Any) -> None:
    from teamwork.auth.notifications import send_email_change
    from teamwork.auth.services import request_email_change
    from tests.conftest import PASSWORD

    issued = request_email_change(world.user, new_email="ann.new@example.org", password=PASSWORD)
    send_email_change(issued)


def _invitation(world: Any) -> None:
    from teamwork.teams import services as teams
    from teamwork.teams.notifications import send_invitation
    from teamwork.teams.rules import Discipline

    issued = teams.invite_member(
        world.user,
        world.team.id,
        email="vic@example.org",
        role=Role.MEMBER,
        agency="Victim Services",
        discipline=Discipline.VICTIM_ADVOCACY,
    )
    send_invitation(issued, inviter=world.user)


def _meeting(world: Any) -> Any:
    from teamwork.meetings import services as meetings

    (meeting,) = meetings.schedule_meeting(
        world.user,
        world.team.id,
        meetings.MeetingInput(
            title="Monthly meeting",
            day=date.today() + timedelta(days=1),
            start_time=time(9, 30),
            timezone="UTC",
            duration_minutes=60,
            location="Courthouse, room 204",
        ),
    )
    return meeting


def _meeting_cancelled(world: Any) -> None:
    from teamwork.meetings import services as meetings

    meeting = _meeting(world)
    meetings.cancel_meeting(world.user, world.team.id, meeting.id, "No quorum")


def _meeting_reminder(world: Any) -> None:
    from teamwork.meetings.reminders import send_meeting_reminders

    _meeting(world)
    send_meeting_reminders(datetime.now(UTC))


# (what sends it, to whom, how its subject starts, words it says, the path its link opens)
OTHER_EMAILS = [
    (
        _password_reset,
        "email",
        "Reset your Teamwork password",
        "open this link",
        "/reset-password/",
    ),
    (_guessing, "email", "Someone is trying to sign in", "5 failed sign-ins", "/account"),
    (_guessing_code, "email", "Someone who knows your", "3 wrong two-step codes", "/account"),
    (_email_change, "new", "Confirm your new Teamwork email", "Open this link", "/account/email/"),
    (_email_change, "email", "Your Teamwork email address is being changed", "ann.new@", ""),
    (_invitation, "invitee", "Invitation to join Northfield", "Victim Services", "/invitations/"),
    (
        _meeting_cancelled,
        "email",
        "Cancelled: Monthly meeting",
        "No quorum",
        "/teams/{team}/meetings/",
    ),
    (
        _meeting_reminder,
        "email",
        "Reminder: Monthly meeting",
        "Courthouse, room 204",
        "/teams/{team}/meetings/",
    ),
]


@pytest.mark.parametrize(
    ("send", "to", "subject", "words", "link"),
    OTHER_EMAILS,
    ids=[f"{row[0].__name__.strip('_')}-{row[1]}" for row in OTHER_EMAILS],
)
def test_each_other_email_names_its_page_and_is_not_a_list_to_unsubscribe_from(
    send: Callable[[Any], None],
    to: str,
    subject: str,
    words: str,
    link: str,
    base_url: str,
    make_team,
    make_member,
) -> None:
    team = make_team("Northfield County SOM Team")
    lead = make_member(team, role=Role.LEAD)

    class World:
        pass

    world = World()
    world.team, world.user = team, lead.user
    send(world)
    address = {"email": lead.user.email, "new": "ann.new@example.org", "invitee": "vic@example.org"}
    (message,) = [m for m in queued() if m.subject.startswith(subject)]
    assert message.to == address[to]
    assert words in message.body
    if link:
        assert BASE + link.format(team=team.id) in message.body
    # About the person's own account or a meeting they are in, not a notification setting.
    assert "List-Unsubscribe" not in message.headers
