"""Fixtures of the discussion tests: a team with a lead, a moderator, members, an observer and
someone of another team, a proposal, a meeting with an agenda item, an activity; and a socket
client on the "/discussion" namespace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from teamwork.consensus import services as consensus
from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, ItemKind, Meeting
from teamwork.teams.rules import Role
from teamwork.workplans import services as workplans

NAMESPACE = "/discussion"


@dataclass
class Place:
    team: Any
    other: Any
    lead: Any
    moderator: Any
    member: Any
    second: Any
    observer: Any
    outsider: Any
    proposal: Any
    meeting: Meeting
    item: AgendaItem
    activity: Any


@pytest.fixture
def place(make_team, make_member, make_user) -> Place:
    team, other = make_team("County team"), make_team("Another team")
    lead = make_member(team, make_user(name="Lee Lead"), role=Role.LEAD)
    moderator = make_member(team, make_user(name="Morgan Moderator"), moderator=True)
    member = make_member(team, make_user(name="Jordan Ellis"))
    second = make_member(team, make_user(name="Dana Reyes"))
    observer = make_member(team, make_user(name="Olive Observer"), role=Role.OBSERVER)
    outsider = make_member(other, make_user(name="Otto Outsider"))
    proposal = consensus.create_proposal(lead.user, team.id, title="Treatment reports", text="T")
    meeting = Meeting(
        team_id=team.id,
        title="Monthly meeting",
        starts_at=datetime(2030, 3, 4, 15, tzinfo=UTC),
        duration_minutes=60,
    )
    db.session.add(meeting)
    db.session.flush()
    item = AgendaItem(meeting_id=meeting.id, position=1, title="Housing", kind=ItemKind.DISCUSSION)
    db.session.add(item)
    db.session.commit()
    activity = workplans.create_activity(
        lead.user, team.id, title="Draft the protocol", owner_id=member.id
    )
    return Place(
        team, other, lead, moderator, member, second, observer, outsider, proposal, meeting,
        item, activity,
    )  # fmt: skip


class DiscussionSocket:
    """Flask-SocketIO's test client on "/discussion", sharing a browser's sign-in cookie."""

    def __init__(self, app: Flask, flask_client: FlaskClient, auth: Any) -> None:
        from teamwork.extensions import socketio

        self.app = app
        with app.app_context():
            self.inner = socketio.test_client(
                app, namespace=NAMESPACE, flask_test_client=flask_client, auth=auth
            )
        db.session.rollback()

    def emit(self, event: str, *args: Any) -> Any:
        with self.app.app_context():
            result = self.inner.emit(event, *args, callback=True, namespace=NAMESPACE)
        if has_app_context():
            db.session.rollback()
        return result

    def events(self, name: str) -> list[Any]:
        received = self.inner.get_received(NAMESPACE)
        return [item["args"][0] for item in received if item["name"] == name]

    def is_connected(self) -> bool:
        return self.inner.is_connected(NAMESPACE)

    def disconnect(self) -> None:
        with self.app.app_context():
            self.inner.disconnect(NAMESPACE)


@pytest.fixture
def discussion_socket(app: Flask) -> Iterator[Callable[..., DiscussionSocket]]:
    """`discussion_socket(browser, team_id)` (`auth=` overrides the handshake data)."""
    opened: list[DiscussionSocket] = []

    def connect(browser: FlaskClient, team_id: Any = None, *, auth: Any = ...) -> DiscussionSocket:
        sock = DiscussionSocket(app, browser, {"team_id": team_id} if auth is ... else auth)
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()
