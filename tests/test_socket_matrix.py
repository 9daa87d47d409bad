"""The authorization matrix over socket events: every Socket.IO event of the app (read from the
registered handlers, so a new event cannot be forgotten), for every kind of actor, against one
policy table. Refused events answer `forbidden` (a role too low) or `not_found` (another team's
ids) and change nothing; people whose access ended lose their connection and cannot reconnect.

Levels as in tests/test_authorization_matrix.py: member (observers included), voter, staff
(recorder, moderator in office, lead), recorder (recorder, lead), moderator (the moderator in
office only: leads moderate only when recorded as standing in).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from teamwork.auth.services import deactivate_user
from teamwork.consensus import services as consensus
from teamwork.database import utcnow
from teamwork.extensions import db, socketio
from teamwork.meetings.live import services as live
from teamwork.meetings.models import AgendaItem, ItemKind, Meeting
from teamwork.moderation.models import ModeratorTerm
from teamwork.realtime.services import close_revoked_connections
from teamwork.teams import services as teams
from teamwork.teams.rules import Role
from tests.meetings.conftest import meeting_socket  # noqa: F401 - a fixture used below
from tests.table_state import committed_writes

CONSENSUS = "/"
MEETING = "/meeting"
DISCUSSION = "/discussion"
SOCKET_POLICY: dict[tuple[str, str], str] = {
    (CONSENSUS, "sync"): "member",
    (CONSENSUS, "cast_vote"): "voter",
    (CONSENSUS, "open_round"): "moderator",
    (CONSENSUS, "reveal_round"): "moderator",
    (CONSENSUS, "close_round"): "moderator",
    (CONSENSUS, "withdraw_round"): "moderator",
    (CONSENSUS, "set_deadline"): "moderator",
    (CONSENSUS, "table_proposal"): "moderator",
    (MEETING, "sync"): "member",
    (MEETING, "start_meeting"): "moderator",
    (MEETING, "next_item"): "moderator",
    (MEETING, "go_to_item"): "moderator",
    (MEETING, "end_meeting"): "moderator",
    (MEETING, "call_speaker"): "moderator",
    (MEETING, "raise_hand"): "voter",
    (MEETING, "lower_hand"): "voter",
    (MEETING, "mark_item"): "staff",
    (MEETING, "set_attendance"): "staff",
    (MEETING, "save_notes"): "recorder",
    (MEETING, "add_action_item"): "recorder",
    (DISCUSSION, "follow_discussion"): "member",
    (DISCUSSION, "unfollow_discussion"): "member",
}
ALLOWED = {
    "member": {"observer", "member", "recorder", "moderator", "lead", "former_moderator"},
    "voter": {"member", "recorder", "moderator", "lead", "former_moderator"},
    "staff": {"recorder", "moderator", "lead"},
    "recorder": {"recorder", "lead"},
    "moderator": {"moderator"},
}
ROLES = ["observer", "member", "recorder", "moderator", "lead", "former_moderator"]
AUTHORIZATION_ERRORS = {"forbidden", "not_found", "unauthenticated"}


def registered_events() -> set[tuple[str, str]]:
    """The events python-socketio's server dispatches, by namespace (Flask-SocketIO hands the
    handlers to it; those registered before it existed are kept in `socketio.handlers`)."""
    found = {
        (namespace, event)
        for namespace, handlers in socketio.server.handlers.items()
        for event in handlers
    }
    found |= {(namespace or "/", event) for event, _handler, namespace in socketio.handlers}
    return {(ns, event) for ns, event in found if event not in {"connect", "disconnect"}}


def test_every_socket_event_is_in_the_policy_table(app: Flask) -> None:
    events = registered_events()
    assert sorted(events - set(SOCKET_POLICY)) == [], f"add to SOCKET_POLICY in {__file__}"
    assert sorted(set(SOCKET_POLICY) - events) == []


@dataclass
class Side:
    """One team's proposal and meeting (the team under test, or the outsider's own)."""

    team: Any
    proposal: Any
    meeting: Meeting
    items: list[AgendaItem]


@dataclass
class SocketWorld:
    ours: Side
    theirs: Side
    members: dict[str, Any]  # actor name -> Membership (outsider's is on `theirs`)


def _side(team: Any, lead: Any, moderator: Any) -> Side:
    proposal = consensus.create_proposal(lead.user, team.id, title="P", text="Text.")
    meeting = Meeting(
        team_id=team.id,
        title="Meeting",
        starts_at=datetime(2030, 3, 4, 15, 0, tzinfo=UTC),
        duration_minutes=60,
    )
    db.session.add(meeting)
    db.session.flush()
    items = [
        AgendaItem(meeting_id=meeting.id, position=1, title="One", kind=ItemKind.INFORMATION),
        AgendaItem(
            meeting_id=meeting.id,
            position=2,
            title="Two",
            kind=ItemKind.DECISION,
            proposal_id=proposal.id,
        ),
    ]
    db.session.add_all(items)
    db.session.commit()
    return Side(team, proposal, meeting, items)


@pytest.fixture
def sworld(make_team, make_member) -> SocketWorld:
    team, other = make_team("County team"), make_team("Another team")
    people = {
        "lead": make_member(team, role=Role.LEAD),
        "moderator": make_member(team, moderator=True, agency="Treatment"),
        "member": make_member(team, agency="Victim advocacy"),
        "recorder": make_member(team, role=Role.RECORDER, agency="County office"),
        "observer": make_member(team, role=Role.OBSERVER, agency="Court"),
        "former_moderator": make_member(team, agency="Polygraph"),
        "removed_member": make_member(team, agency="Schools"),
        "deactivated_user": make_member(team, agency="Corrections"),
    }
    today = teams.today()
    db.session.add(
        ModeratorTerm(
            team_id=team.id,
            membership_id=people["former_moderator"].id,
            starts_on=today - timedelta(days=180),
            ends_on=today,
        )
    )
    db.session.commit()
    other_lead = make_member(other, role=Role.LEAD)
    other_moderator = make_member(other, moderator=True)
    people["outsider"] = make_member(other)
    ours = _side(team, people["lead"], people["moderator"])
    theirs = _side(other, other_lead, other_moderator)
    return SocketWorld(ours, theirs, people)


# --- Each event: the state it needs, and a payload valid for the team under test ---------------


def prepare(world: SocketWorld, namespace: str, event: str) -> dict[str, Any]:
    """Bring the team to the state the event acts on; returns the ids its payload needs."""
    side, moderator = world.ours, world.members["moderator"].user
    ids: dict[str, Any] = {}
    if namespace == CONSENSUS and event in {
        "cast_vote",
        "reveal_round",
        "close_round",
        "withdraw_round",
        "set_deadline",
    }:
        ids["round_id"] = consensus.open_round(moderator, side.proposal.id).id
    if namespace == MEETING and event not in {"sync", "start_meeting", "mark_item"}:
        live.start_meeting(moderator, side.meeting.id)
    if event == "call_speaker":
        ids["request_id"] = live.raise_hand(world.members["member"].user, side.meeting.id).id
    if event == "lower_hand":
        for name in ROLES[1:]:
            live.raise_hand(world.members[name].user, side.meeting.id)
    return ids


def payload(world: SocketWorld, namespace: str, event: str, ids: dict[str, Any]) -> Any:
    side = world.ours
    if namespace == DISCUSSION:
        return {"kind": "proposal", "id": side.proposal.id}
    if namespace == CONSENSUS:
        if event in {"sync", "open_round", "table_proposal"}:
            return {"proposal_id": side.proposal.id}
        if event == "cast_vote":
            return {
                "round_id": ids["round_id"],
                "choice": "up",
                "reason": "",
                "request_id": uuid.uuid4().hex,
            }
        return {"round_id": ids["round_id"]}
    mid = side.meeting.id
    return {
        "next_item": {"meeting_id": mid, "item_status": "resolved"},
        "go_to_item": {"meeting_id": mid, "item_id": side.items[1].id},
        "call_speaker": {"meeting_id": mid, "request_id": ids.get("request_id")},
        "mark_item": {"meeting_id": mid, "item_id": side.items[0].id, "resolved": True},
        "set_attendance": {
            "meeting_id": mid,
            "membership_id": world.members["member"].id,
            "status": "present",
        },
        "save_notes": {
            "meeting_id": mid,
            "item_id": side.items[0].id,
            "notes": "Notes.",
            "base_revision": 0,
        },
        "add_action_item": {
            "meeting_id": mid,
            "description": "Do it.",
            "owner_id": world.members["member"].id,
        },
    }.get(event, {"meeting_id": mid})


def connect(
    namespace: str,
    side: Side,
    browser: Any,
    socket_client: Callable[..., Any],
    meeting_socket: Callable[..., Any],  # noqa: F811 - the fixture imported above
) -> Any:
    if namespace == CONSENSUS:
        return socket_client(browser, side.proposal.id)
    if namespace == DISCUSSION:
        from flask import current_app

        from tests.discussion.conftest import DiscussionSocket

        return DiscussionSocket(
            current_app._get_current_object(), browser, {"team_id": side.team.id}
        )
    return meeting_socket(browser, side.meeting.id)


@pytest.mark.parametrize(("namespace", "event"), sorted(SOCKET_POLICY))
def test_socket_policy_holds_for_every_actor(
    app: Flask,
    sworld: SocketWorld,
    signed_in,
    socket_client,
    meeting_socket,  # noqa: F811 - the fixture imported above
    namespace: str,
    event: str,
) -> None:
    world = sworld
    level = SOCKET_POLICY[(namespace, event)]
    ids = prepare(world, namespace, event)
    data = payload(world, namespace, event, ids)

    def open_for(name: str, side: Side) -> Any:
        sock = connect(
            namespace, side, signed_in(world.members[name].user), socket_client, meeting_socket
        )
        assert sock.is_connected(), f"{name} could not connect"
        return sock

    # Anonymous: no connection at all.
    anonymous = connect(namespace, world.ours, app.test_client(), socket_client, meeting_socket)
    assert not anonymous.is_connected()

    # Another team's member, connected to their own team's screen, sends our ids: not found.
    outsider = open_for("outsider", world.theirs)
    with committed_writes() as writes:
        ack = outsider.emit(event, data)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found", (event, ack)
    assert not writes.tables, f"{event} by an outsider wrote {sorted(writes.tables)}"

    # Access that ended: the connection is closed, and a new one refused.
    for name in ("removed_member", "deactivated_user"):
        browser = signed_in(world.members[name].user)
        sock = connect(namespace, world.ours, browser, socket_client, meeting_socket)
        assert sock.is_connected()
        membership = world.members[name]
        if name == "removed_member":
            membership.removed_at = utcnow()
            db.session.commit()
        else:
            deactivate_user(membership.user)
        close_revoked_connections()
        assert not sock.is_connected(), f"{name}'s connection stayed open"
        again = connect(namespace, world.ours, browser, socket_client, meeting_socket)
        assert not again.is_connected(), f"{name} reconnected"

    # Roles below the level: forbidden, nothing changed (tried before anyone allowed acts).
    for name in [r for r in ROLES if r not in ALLOWED[level]]:
        sock = open_for(name, world.ours)
        with committed_writes() as writes:
            ack = sock.emit(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (name, event, ack)
        assert not writes.tables, f"{event} by {name} wrote {sorted(writes.tables)}"

    # Roles allowed: never refused for who they are (the state may answer otherwise, e.g. a
    # round already closed by the previous actor).
    for name in [r for r in ROLES if r in ALLOWED[level]]:
        sock = open_for(name, world.ours)
        if namespace == CONSENSUS and event == "cast_vote":
            data = {**data, "request_id": uuid.uuid4().hex}
        ack = sock.emit(event, data)
        assert ack["ok"] is True or ack["error"]["code"] not in AUTHORIZATION_ERRORS, (
            name,
            event,
            ack,
        )
