"""The live meeting over Socket.IO ("/meeting", docs/realtime.md "Meetings"): connecting, the
moderator moving through the agenda with every screen following, the item timer, and raised
hands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from teamwork.extensions import db
from teamwork.meetings.live import services as live
from teamwork.meetings.models import AgendaItem, ItemStatus, Meeting, MeetingStatus, SpeakingRequest


def fresh(meeting_id: int) -> Meeting:
    db.session.expire_all()
    return db.session.get(Meeting, meeting_id)


def start(sock, meeting_id: int) -> dict:
    ack = sock.emit("start_meeting", {"meeting_id": meeting_id})
    assert ack["ok"], ack
    return ack


class Clock:
    """A controllable `utcnow` for meetings.live."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)
        monkeypatch.setattr(live, "utcnow", lambda: self.now)

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


# --- Connecting ----------------------------------------------------------------------------


def test_member_connecting_receives_the_meeting_snapshot(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    sock = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    assert sock.is_connected()
    [snapshot] = sock.events("meeting_snapshot")
    assert snapshot["meeting"]["title"] == "Monthly team meeting"
    assert snapshot["meeting"]["status"] == "scheduled"
    assert [i["title"] for i in snapshot["items"]] == [i.title for i in lm.items]
    assert snapshot["current"] is None
    assert snapshot["you"] == {
        "membership_id": lm.members[0].id,
        "can_vote": True,
        "can_moderate": False,
        "can_record": False,
        "can_mark_attendance": False,
    }
    assert snapshot["version"] == lm.meeting.live_version


def test_anonymous_connection_is_refused(app, live_meeting, meeting_socket) -> None:
    lm = live_meeting()
    assert not meeting_socket(app.test_client(), lm.meeting.id).is_connected()


def test_someone_outside_the_team_cannot_connect(
    live_meeting, make_team, make_member, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    outsider = make_member(make_team("Another team"))
    assert not meeting_socket(signed_in(outsider.user), lm.meeting.id).is_connected()


def test_a_member_cannot_connect_to_another_teams_meeting(
    live_meeting, signed_in, meeting_socket
) -> None:
    ours, theirs = live_meeting(), live_meeting()
    sock = meeting_socket(signed_in(ours.members[0].user), theirs.meeting.id)
    assert not sock.is_connected()


@pytest.mark.parametrize(
    "auth", [None, {}, {"meeting_id": "1"}, {"meeting_id": True}, {"meeting_id": -3}, "7", [1]]
)
def test_connection_with_a_malformed_meeting_id_is_refused(
    live_meeting, signed_in, meeting_socket, auth
) -> None:
    lm = live_meeting()
    assert not meeting_socket(signed_in(lm.members[0].user), auth=auth).is_connected()


def test_connection_to_a_meeting_that_does_not_exist_is_refused(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    assert not meeting_socket(signed_in(lm.members[0].user), 99999).is_connected()


# --- Moving through the agenda ---------------------------------------------------------------


def test_moderator_starts_and_advances_and_every_screen_follows(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    screens = [
        meeting_socket(signed_in(person.user), lm.meeting.id)
        for person in (lm.members[0], lm.members[1], lm.observer)
    ]
    for screen in screens:
        screen.received()

    started = start(moderator, lm.meeting.id)
    advanced = moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    assert advanced["ok"], advanced
    assert advanced["version"] > started["version"]

    for screen in screens:
        changes = screen.events("meeting_changed")
        assert [c["meeting"]["current_item_id"] for c in changes] == [
            lm.items[0].id,
            lm.items[1].id,
        ]
        assert [c["version"] for c in changes] == [started["version"], advanced["version"]]
        assert changes[-1]["meeting"]["status"] == "in_progress"
        assert "you" not in changes[-1]  # broadcasts carry no per-user data
    meeting = fresh(lm.meeting.id)
    assert meeting.status is MeetingStatus.IN_PROGRESS
    assert meeting.current_item_id == lm.items[1].id


def test_moderator_can_jump_to_any_item(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    member.received()
    ack = moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[2].id})
    assert ack["ok"], ack
    [change] = member.events("meeting_changed")
    assert change["current"]["item_id"] == lm.items[2].id
    # The description is rendered (sanitized) by the server for every screen.
    assert (
        change["current"]["description_html"]
        == "<p>Shelter <strong>rules</strong> changed in May.</p>"
    )


def test_moving_on_settles_the_item_left_as_dealt_with_or_carried_forward(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    member.received()
    dealt = moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    carried = moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "carried"})
    assert dealt["ok"] and carried["ok"], (dealt, carried)
    # One change each: the item's new status and the new current item arrive together.
    changes = member.events("meeting_changed")
    assert [
        ([i["status"] for i in c["items"]], c["meeting"]["current_item_id"]) for c in changes
    ] == [
        (["resolved", "open", "open"], lm.items[1].id),
        (["resolved", "carried", "open"], lm.items[2].id),
    ]
    # Carried while the meeting runs, the item may still be called dealt with after all.
    ack = moderator.emit(
        "mark_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[1].id, "resolved": True}
    )
    assert ack["ok"], ack
    assert db.session.get(AgendaItem, lm.items[1].id).status is ItemStatus.RESOLVED


@pytest.mark.parametrize("item_status", [None, "open", "", ["resolved"], True])
def test_next_item_needs_to_be_told_what_becomes_of_the_item(
    live_meeting, signed_in, meeting_socket, item_status
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    version = fresh(lm.meeting.id).live_version
    data = {"meeting_id": lm.meeting.id}
    if item_status is not None:
        data["item_status"] = item_status
    ack = moderator.emit("next_item", data)
    assert ack["ok"] is False and ack["error"]["field"] == "item_status", ack
    meeting = fresh(lm.meeting.id)
    assert meeting.current_item_id == lm.items[0].id
    assert meeting.live_version == version
    assert db.session.get(AgendaItem, lm.items[0].id).status is ItemStatus.OPEN


def test_ending_the_meeting_settles_the_last_item_as_told(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[2].id})
    ack = moderator.emit("end_meeting", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    assert ack["ok"], ack
    db.session.expire_all()
    # The last item was dealt with; the two never settled are carried forward.
    assert [db.session.get(AgendaItem, i.id).status for i in lm.items] == [
        ItemStatus.CARRIED,
        ItemStatus.CARRIED,
        ItemStatus.RESOLVED,
    ]


def test_the_last_item_cannot_be_advanced_past(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[2].id})
    version = fresh(lm.meeting.id).live_version
    ack = moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"
    assert fresh(lm.meeting.id).live_version == version


@pytest.mark.parametrize("who", ["members", "recorder", "observer"])
def test_only_the_moderator_or_a_lead_moves_the_agenda(
    live_meeting, signed_in, meeting_socket, who
) -> None:
    lm = live_meeting()
    person = lm.members[0] if who == "members" else getattr(lm, who)
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    sock = meeting_socket(signed_in(person.user), lm.meeting.id)
    refused = sock.emit("start_meeting", {"meeting_id": lm.meeting.id})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert fresh(lm.meeting.id).status is MeetingStatus.SCHEDULED

    start(moderator, lm.meeting.id)
    before = fresh(lm.meeting.id)
    version, current = before.live_version, before.current_item_id
    moderator.received()
    for event, payload in [
        ("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"}),
        ("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[2].id}),
        ("end_meeting", {"meeting_id": lm.meeting.id}),
    ]:
        ack = sock.emit(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", event
    after = fresh(lm.meeting.id)
    assert (after.live_version, after.current_item_id) == (version, current)
    assert after.status is MeetingStatus.IN_PROGRESS
    assert moderator.events("meeting_changed") == []


def test_a_lead_runs_the_meeting_only_when_recorded_as_standing_in_for_the_moderator(
    live_meeting, signed_in, meeting_socket
) -> None:
    from teamwork.moderation import services as moderation

    lm = live_meeting()
    lead = meeting_socket(signed_in(lm.lead.user), lm.meeting.id)
    refused = lead.emit("start_meeting", {"meeting_id": lm.meeting.id})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    moderation.record_stand_in(lm.lead.user, lm.team.id, stand_in_membership_id=lm.lead.id)
    start(lead, lm.meeting.id)
    assert lead.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})["ok"]


def test_an_item_of_another_meeting_is_not_found_and_changes_nothing(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm, other = live_meeting(), live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    version = fresh(lm.meeting.id).live_version
    ack = moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": other.items[1].id})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    meeting = fresh(lm.meeting.id)
    assert meeting.current_item_id == lm.items[0].id and meeting.live_version == version


def test_another_teams_meeting_id_in_an_event_is_not_found(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm, other = live_meeting(), live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    ack = moderator.emit("start_meeting", {"meeting_id": other.meeting.id})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    assert fresh(other.meeting.id).status is MeetingStatus.SCHEDULED


def test_a_meeting_cannot_be_started_twice(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    again = moderator.emit("start_meeting", {"meeting_id": lm.meeting.id})
    assert again["ok"] is False and again["error"]["code"] == "conflict"


def test_moving_needs_a_meeting_in_progress(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    ack = moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"
    assert fresh(lm.meeting.id).live_version == 0


def test_recorder_marks_an_item_dealt_with(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    payload = {"meeting_id": lm.meeting.id, "item_id": lm.items[0].id, "resolved": True}
    refused = member.emit("mark_item", payload)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert recorder.emit("mark_item", payload)["ok"]
    db.session.expire_all()
    assert db.session.get(AgendaItem, lm.items[0].id).status is ItemStatus.RESOLVED


# --- The timer -------------------------------------------------------------------------------


def test_time_used_accumulates_per_item_across_visits(
    live_meeting, signed_in, meeting_socket, monkeypatch
) -> None:
    clock = Clock(monkeypatch)
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    clock.advance(125)
    moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    clock.advance(60)
    moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[0].id})
    clock.advance(30)
    member.received()
    moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[2].id})

    [change] = member.events("meeting_changed")
    used = {item["id"]: item["seconds_used"] for item in change["items"]}
    assert used == {lm.items[0].id: 155, lm.items[1].id: 60, lm.items[2].id: 0}
    assert change["meeting"]["item_started_at"] == clock.now.isoformat()
    assert change["server_time"] == clock.now.isoformat()
    allotted = {item["id"]: item["minutes_allotted"] for item in change["items"]}
    assert allotted[lm.items[1].id] == 20


def test_jumping_to_the_current_item_keeps_its_clock_running(
    live_meeting, signed_in, meeting_socket, monkeypatch
) -> None:
    clock = Clock(monkeypatch)
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    started_at = clock.now
    clock.advance(40)
    moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[0].id})
    meeting = fresh(lm.meeting.id)
    assert meeting.item_started_at == started_at
    assert db.session.get(AgendaItem, lm.items[0].id).seconds_used == 0


# --- Raised hands ----------------------------------------------------------------------------


def queue_names(change: dict) -> list[str]:
    return [hand["name"] for hand in change["current"]["queue"]]


def test_hands_queue_in_the_order_raised_and_the_not_yet_spoken_list_follows(
    live_meeting, signed_in, meeting_socket, monkeypatch
) -> None:
    clock = Clock(monkeypatch)
    lm = live_meeting()
    first, second = lm.members
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    a = meeting_socket(signed_in(first.user), lm.meeting.id)
    b = meeting_socket(signed_in(second.user), lm.meeting.id)
    start(moderator, lm.meeting.id)

    raised = b.emit("raise_hand", {"meeting_id": lm.meeting.id})
    clock.advance(2)
    assert a.emit("raise_hand", {"meeting_id": lm.meeting.id})["ok"]
    clock.advance(2)
    again = b.emit("raise_hand", {"meeting_id": lm.meeting.id})  # a second raise keeps the place
    assert again["request_id"] == raised["request_id"]
    a.received()
    assert (
        moderator.emit("sync", {"meeting_id": lm.meeting.id})["current"]["queue"][0][
            "membership_id"
        ]
        == second.id
    )

    everyone = {v.user.name for v in lm.voters}
    called = moderator.emit(
        "call_speaker", {"meeting_id": lm.meeting.id, "request_id": raised["request_id"]}
    )
    assert called["ok"], called
    [change] = a.events("meeting_changed")
    assert queue_names(change) == [first.user.name]
    assert [c["name"] for c in change["current"]["called"]] == [second.user.name]
    assert {p["name"] for p in change["current"]["not_spoken"]} == everyone - {second.user.name}

    assert a.emit("lower_hand", {"meeting_id": lm.meeting.id})["lowered"] is True
    [change] = b.events("meeting_changed")[-1:]
    assert queue_names(change) == []
    # Lowering a hand that is not raised changes nothing.
    version = fresh(lm.meeting.id).live_version
    assert a.emit("lower_hand", {"meeting_id": lm.meeting.id})["lowered"] is False
    assert fresh(lm.meeting.id).live_version == version


def test_each_item_starts_with_an_empty_queue_and_everyone_yet_to_speak(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    hand = member.emit("raise_hand", {"meeting_id": lm.meeting.id})
    moderator.emit("call_speaker", {"meeting_id": lm.meeting.id, "request_id": hand["request_id"]})
    member.emit("raise_hand", {"meeting_id": lm.meeting.id})
    moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    current = moderator.emit("sync", {"meeting_id": lm.meeting.id})["current"]
    assert current["queue"] == [] and current["called"] == []
    assert len(current["not_spoken"]) == len(lm.voters)


def test_the_moderator_cannot_call_a_hand_raised_on_another_item(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    hand = member.emit("raise_hand", {"meeting_id": lm.meeting.id})
    moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    ack = moderator.emit(
        "call_speaker", {"meeting_id": lm.meeting.id, "request_id": hand["request_id"]}
    )
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"


def test_members_cannot_call_on_speakers_and_observers_cannot_raise_hands(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    observer = meeting_socket(signed_in(lm.observer.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    hand = member.emit("raise_hand", {"meeting_id": lm.meeting.id})
    refused = member.emit(
        "call_speaker", {"meeting_id": lm.meeting.id, "request_id": hand["request_id"]}
    )
    assert refused["error"]["code"] == "forbidden"
    assert (
        observer.emit("raise_hand", {"meeting_id": lm.meeting.id})["error"]["code"] == "forbidden"
    )
    assert db.session.scalar(sa.select(SpeakingRequest.called_at)) is None
    assert db.session.scalar(sa.select(sa.func.count(SpeakingRequest.id))) == 1


def test_hands_wait_for_the_meeting_to_start(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    ack = member.emit("raise_hand", {"meeting_id": lm.meeting.id})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"
    assert db.session.scalar(sa.select(sa.func.count(SpeakingRequest.id))) == 0


def test_a_call_on_a_hand_of_another_meeting_is_not_found(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm, other = live_meeting(), live_meeting()
    theirs = meeting_socket(signed_in(other.moderator.user), other.meeting.id)
    start(theirs, other.meeting.id)
    hand = meeting_socket(signed_in(other.members[0].user), other.meeting.id).emit(
        "raise_hand", {"meeting_id": other.meeting.id}
    )
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    start(moderator, lm.meeting.id)
    ack = moderator.emit(
        "call_speaker", {"meeting_id": lm.meeting.id, "request_id": hand["request_id"]}
    )
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
