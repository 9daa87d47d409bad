"""Fixtures for the meetings tests: a team with a meeting and its agenda, and Socket.IO clients
on the "/meeting" namespace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from teamwork.extensions import db as _db
from teamwork.meetings.models import AgendaItem, ItemKind, Meeting
from teamwork.teams.models import Membership
from teamwork.teams.rules import Role

NAMESPACE = "/meeting"


class MeetingSocketClient:
    """Flask-SocketIO's test client on the "/meeting" namespace, sharing a Flask test client's
    sign-in cookie, with each event handled in its own app context (as the real server does)."""

    def __init__(self, app: Flask, flask_client: FlaskClient, auth: Any) -> None:
        from teamwork.extensions import socketio

        self.app = app
        with app.app_context():
            self.inner = socketio.test_client(
                app, namespace=NAMESPACE, flask_test_client=flask_client, auth=auth
            )
        _db.session.rollback()

    def emit(self, event: str, *args: Any) -> Any:
        with self.app.app_context():
            result = self.inner.emit(event, *args, callback=True, namespace=NAMESPACE)
        if has_app_context():
            _db.session.rollback()
        return result

    def received(self) -> list[dict[str, Any]]:
        return self.inner.get_received(NAMESPACE)

    def events(self, name: str) -> list[Any]:
        return [item["args"][0] for item in self.received() if item["name"] == name]

    def is_connected(self) -> bool:
        return self.inner.is_connected(NAMESPACE)

    def disconnect(self) -> None:
        with self.app.app_context():
            self.inner.disconnect(NAMESPACE)


@pytest.fixture
def meeting_socket(app: Flask) -> Iterator[Callable[..., MeetingSocketClient]]:
    """`meeting_socket(flask_client, meeting_id)`: a live-meeting connection for that browser
    (`auth=` overrides the handshake data, e.g. to send a malformed one)."""
    opened: list[MeetingSocketClient] = []

    def connect(
        flask_client: FlaskClient, meeting_id: Any = None, *, auth: Any = ...
    ) -> MeetingSocketClient:
        sock = MeetingSocketClient(
            app, flask_client, {"meeting_id": meeting_id} if auth is ... else auth
        )
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


@dataclass
class LiveMeeting:
    """A team ready to meet: the root `meeting` fixture's people and proposal, a recorder, and
    a scheduled meeting whose agenda is: information, a decision on the proposal, discussion."""

    team: Any
    lead: Membership
    moderator: Membership
    recorder: Membership
    members: list[Membership]
    observer: Membership
    proposal: Any
    meeting: Meeting
    items: list[AgendaItem]

    @property
    def voters(self) -> list[Membership]:
        return [self.lead, self.moderator, self.recorder, *self.members]


@pytest.fixture
def live_meeting(meeting, make_member) -> Callable[..., LiveMeeting]:
    def make(members: int = 2, rule: dict[str, Any] | None = None) -> LiveMeeting:
        m = meeting(rule=rule, members=members)
        recorder = make_member(m.team, role=Role.RECORDER, agency="County office")
        row = Meeting(
            team_id=m.team.id,
            title="Monthly team meeting",
            starts_at=datetime(2030, 3, 4, 15, 0, tzinfo=UTC) + timedelta(days=0),
            duration_minutes=90,
        )
        _db.session.add(row)
        _db.session.flush()
        items = [
            AgendaItem(
                meeting_id=row.id,
                position=1,
                title="Welcome and updates",
                kind=ItemKind.INFORMATION,
                minutes_allotted=5,
            ),
            AgendaItem(
                meeting_id=row.id,
                position=2,
                title="Sharing polygraph results",
                kind=ItemKind.DECISION,
                minutes_allotted=20,
                proposal_id=m.proposal.id,
            ),
            AgendaItem(
                meeting_id=row.id,
                position=3,
                title="Housing for people on supervision",
                kind=ItemKind.DISCUSSION,
                minutes_allotted=15,
                description="Shelter **rules** changed in May.",
            ),
        ]
        _db.session.add_all(items)
        _db.session.commit()
        return LiveMeeting(
            team=m.team,
            lead=m.lead,
            moderator=m.moderator,
            recorder=recorder,
            members=m.members,
            observer=m.observer,
            proposal=m.proposal,
            meeting=row,
            items=items,
        )

    return make
