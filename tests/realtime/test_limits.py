"""Per-connection event limits and strict payloads on both namespaces (docs/realtime.md)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from teamwork.consensus import services
from teamwork.consensus.models import VoteEvent
from teamwork.extensions import db
from teamwork.realtime.limits import EXTENSION, EventLimits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refuses_beyond_its_burst_and_refills_at_its_rate() -> None:
    clock = FakeClock()
    buckets = EventLimits(rate=10, burst=30, clock=clock)
    assert all(buckets.take("a", "votes") == 0.0 for _ in range(30))
    assert buckets.take("a", "votes") > 0
    assert buckets.take("b", "votes") == 0.0  # another connection has its own
    assert buckets.take("a", "sync") == 0.0  # another family too
    clock.now += 0.1
    assert buckets.take("a", "votes") == 0.0
    buckets.forget("a")
    assert not [key for key in buckets.buckets if key[0] == "a"]


def test_a_vote_flood_is_refused_beyond_the_burst(app, meeting, signed_in, socket_client) -> None:
    m = meeting()
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    # The production defaults, and time standing still: no refill during the flood.
    app.extensions[EXTENSION] = EventLimits(rate=10, burst=30, clock=FakeClock())
    acks = [
        sock.emit(
            "cast_vote",
            {"round_id": round_id, "choice": "up", "request_id": uuid.uuid4().hex},
        )
        for _ in range(40)
    ]
    assert sum(ack["ok"] for ack in acks) == 30
    refused = [ack for ack in acks if not ack["ok"]]
    assert {ack["error"]["code"] for ack in refused} == {"rate_limited"}
    assert db.session.scalar(sa.select(sa.func.count(VoteEvent.id))) == 30


def test_an_extra_argument_is_invalid_input_on_both_namespaces(
    live_meeting, meeting, signed_in, socket_client, meeting_socket
) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.moderator.user), m.proposal.id)
    ack = sock.emit("open_round", {"proposal_id": m.proposal.id}, "extra")
    assert ack["error"]["code"] == "invalid_input"
    lm = live_meeting()
    msock = meeting_socket(signed_in(lm.lead.user), lm.meeting.id)
    ack = msock.emit("sync", {"meeting_id": lm.meeting.id}, 1)
    assert ack["error"]["code"] == "invalid_input"


def test_a_bad_choice_names_the_field_choice(meeting, signed_in, socket_client) -> None:
    m = meeting()
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    ack = sock.emit("cast_vote", {"round_id": round_id, "choice": "maybe", "request_id": "r1"})
    assert ack["error"]["code"] == "invalid_input" and ack["error"]["field"] == "choice"
