"""Strict payloads on both namespaces: one object per event and nothing after it, a "/meeting"
event acts on the meeting its connection joined only, and a bad ballot names its field."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from teamwork.consensus import services
from teamwork.consensus.models import Vote
from teamwork.extensions import db
from teamwork.meetings.live import services as live
from teamwork.meetings.models import Meeting, SpeakingRequest


def votes() -> int:
    return db.session.scalar(sa.select(sa.func.count(Vote.id)))


def test_an_extra_argument_on_the_consensus_namespace_is_invalid_input_and_casts_nothing(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    ballot = {"round_id": round_.id, "choice": "up", "request_id": "extra-1"}
    ack = sock.emit("cast_vote", ballot, {"choice": "down"})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
    assert votes() == 0
    assert sock.emit("sync", {"proposal_id": m.proposal.id}, 1)["error"]["code"] == (
        "invalid_input"
    )
    assert sock.is_connected()


def test_an_extra_argument_on_the_meeting_namespace_is_invalid_input_and_does_nothing(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    sock = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    ack = sock.emit("raise_hand", {"meeting_id": lm.meeting.id}, "again")
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
    assert db.session.scalar(sa.select(sa.func.count(SpeakingRequest.id))) == 0
    assert sock.emit("raise_hand", {"meeting_id": lm.meeting.id})["ok"]


def test_a_meeting_event_naming_another_meeting_of_the_same_team_is_not_found(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    other = Meeting(
        team_id=lm.team.id,
        title="Another meeting",
        starts_at=datetime(2030, 4, 1, 15, 0, tzinfo=UTC),
        duration_minutes=60,
    )
    db.session.add(other)
    db.session.commit()
    sock = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    for event in ("sync", "raise_hand"):
        ack = sock.emit(event, {"meeting_id": other.id})
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", (event, ack)
        assert "Another meeting" not in str(ack)
    assert sock.emit("sync", {"meeting_id": lm.meeting.id})["ok"]


def test_a_bad_choice_names_the_choice_field_and_a_bad_reason_the_reason_field(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    for choice in ("maybe", "reason"):  # the word "reason" must not make it the reason's fault
        ack = sock.emit("cast_vote", {"round_id": round_.id, "choice": choice, "request_id": "c"})
        assert ack["error"] == {**ack["error"], "code": "invalid_input", "field": "choice"}, ack
    ack = sock.emit(
        "cast_vote",
        {"round_id": round_.id, "choice": "down", "reason": "   ", "request_id": "r"},
    )
    assert ack["ok"] is False and ack["error"].get("field") == "reason", ack
    assert votes() == 0
