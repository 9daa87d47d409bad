"""Rate limits on client-to-server socket events: a token bucket per connection and event
family; an event beyond it answers `rate_limited` and changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from teamwork.config import load_config
from teamwork.consensus import services
from teamwork.consensus.models import Vote
from teamwork.extensions import db
from teamwork.meetings.live import services as live
from teamwork.meetings.models import SpeakingRequest
from teamwork.realtime.limits import EXTENSION, EventLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app) -> Clock:
    """The real default limits (10 a second, 30 at once) on a clock the test moves."""
    fake = Clock()
    app.extensions[EXTENSION] = EventLimits(rate=10.0, burst=30, clock=fake)
    return fake


def test_a_bucket_admits_its_burst_then_one_event_per_refill() -> None:
    clock = Clock()
    buckets = EventLimits(rate=10.0, burst=30, clock=clock)
    assert [buckets.take("sid", "votes") for _ in range(30)] == [0.0] * 30
    assert buckets.take("sid", "votes") == pytest.approx(0.1)
    clock.now += 0.1
    assert buckets.take("sid", "votes") == 0.0
    assert buckets.take("sid", "votes") > 0
    # Other families and other connections have buckets of their own.
    assert buckets.take("sid", "sync") == 0.0
    assert buckets.take("other", "votes") == 0.0
    # A long pause refills to the burst, not beyond it.
    clock.now += 3600
    assert [buckets.take("sid", "votes") for _ in range(31)].count(0.0) == 30


def test_forgetting_a_connection_drops_its_buckets_only() -> None:
    buckets = EventLimits(rate=10.0, burst=2, clock=Clock())
    for sid in ("a", "b"):
        buckets.take(sid, "votes")
        buckets.take(sid, "sync")
    buckets.forget("a")
    assert set(buckets.buckets) == {("b", "votes"), ("b", "sync")}


def test_limits_are_configurable_and_default_to_ten_a_second_thirty_at_once(tmp_path) -> None:
    defaults = load_config(tmp_path, {})
    assert defaults["TEAMWORK_SOCKET_EVENTS_PER_SECOND"] == 10
    assert defaults["TEAMWORK_SOCKET_EVENT_BURST"] == 30
    tuned = load_config(
        tmp_path,
        {"TEAMWORK_SOCKET_EVENTS_PER_SECOND": "2", "TEAMWORK_SOCKET_EVENT_BURST": "5"},
    )
    assert (tuned["TEAMWORK_SOCKET_EVENTS_PER_SECOND"], tuned["TEAMWORK_SOCKET_EVENT_BURST"]) == (
        2,
        5,
    )


def test_a_vote_flood_is_rate_limited_and_the_refused_votes_change_nothing(
    clock, meeting, signed_in, socket_client
) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    acks = [
        sock.emit("cast_vote", {"round_id": round_.id, "choice": "up", "request_id": f"f{n}"})
        for n in range(40)
    ]
    assert all(ack["ok"] for ack in acks[:30]), acks[:30]
    refused = acks[30:]
    assert {ack["error"]["code"] for ack in refused} == {"rate_limited"}, refused
    assert all(0 < ack["error"]["retry_after"] <= 0.1 for ack in refused), refused
    before = db.session.scalar(sa.select(sa.func.count(Vote.id)))
    ballot = {"round_id": round_.id, "choice": "sideways", "request_id": "late"}
    assert sock.emit("cast_vote", ballot)["error"]["code"] == "rate_limited"
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == before
    # Another family of the same connection is not held up; after a tenth of a second the
    # next vote goes through.
    assert sock.emit("sync", {"proposal_id": m.proposal.id})["ok"]
    clock.now += 0.1
    ack = sock.emit("cast_vote", ballot)
    assert ack["ok"], ack
    assert sock.is_connected()


def test_one_flooding_connection_does_not_limit_another(
    clock, meeting, signed_in, socket_client
) -> None:
    m = meeting()
    flood = socket_client(signed_in(m.members[0].user), m.proposal.id)
    calm = socket_client(signed_in(m.members[1].user), m.proposal.id)
    for _ in range(31):
        flood.emit("sync", {"proposal_id": m.proposal.id})
    assert flood.emit("sync", {"proposal_id": m.proposal.id})["error"]["code"] == "rate_limited"
    assert calm.emit("sync", {"proposal_id": m.proposal.id})["ok"]


def test_meeting_actions_share_one_bucket_and_a_refused_one_does_nothing(
    app, clock, live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    sock = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    mid = {"meeting_id": lm.meeting.id}
    for n in range(30):
        assert sock.emit("lower_hand" if n % 2 else "raise_hand", mid)["ok"]
    assert db.session.scalar(sa.select(sa.func.count(SpeakingRequest.id))) == 15
    ack = sock.emit("raise_hand", mid)
    assert ack["ok"] is False and ack["error"]["code"] == "rate_limited", ack
    assert db.session.scalar(sa.select(sa.func.count(SpeakingRequest.id))) == 15
    assert sock.emit("sync", mid)["ok"]  # sync is a family of its own
    sid = sock.inner.eio_sid if hasattr(sock.inner, "eio_sid") else None
    sock.disconnect()
    assert not [key for key in app.extensions[EXTENSION].buckets if key[1] == "meeting"], sid


def test_a_refused_event_gets_no_request_context_no_session_and_no_user(
    app, clock, meeting, signed_in, socket_client, monkeypatch
) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    for _ in range(30):
        assert sock.emit("sync", {"proposal_id": m.proposal.id})["ok"]
    opened: list[object] = []
    original = app.session_interface.open_session

    def counting(*args: object) -> object:
        opened.append(args)
        return original(*args)

    monkeypatch.setattr(app.session_interface, "open_session", counting)
    ack = sock.emit("sync", {"proposal_id": m.proposal.id})
    assert ack["error"]["code"] == "rate_limited", ack
    assert opened == []  # refused before Flask-SocketIO pushed a request context
    clock.now += 0.1
    assert sock.emit("sync", {"proposal_id": m.proposal.id})["ok"]
    assert len(opened) == 1  # an event let through has its context as before


def test_a_connection_that_keeps_sending_past_its_limit_is_closed(
    app, clock, meeting, signed_in, socket_client
) -> None:
    app.config["TEAMWORK_SOCKET_CLOSE_AFTER_REFUSALS"] = 5
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    flood = socket_client(signed_in(m.members[0].user), m.proposal.id)
    calm = socket_client(signed_in(m.members[1].user), m.proposal.id)
    ballot = {"round_id": round_.id, "choice": "up"}
    assert calm.emit("sync", {"proposal_id": m.proposal.id})["ok"]
    answers = [flood.emit("cast_vote", {**ballot, "request_id": f"f{n}"}) for n in range(34)]
    assert all(ack["ok"] for ack in answers[:30])
    assert [ack["error"]["code"] for ack in answers[30:]] == ["rate_limited"] * 4
    assert flood.is_connected()  # four refusals in a row: still below the five that close it
    assert len({sid for sid, _family in app.extensions[EXTENSION].buckets}) == 2
    last = flood.emit("cast_vote", {**ballot, "request_id": "f34"})
    assert last is None or last["error"]["code"] == "rate_limited"
    assert not flood.is_connected()
    assert calm.is_connected()
    assert calm.emit("cast_vote", {**ballot, "request_id": "c1"})["ok"]
    # The closed connection's buckets went with it, as on any disconnect: calm's alone are left.
    assert len({sid for sid, _family in app.extensions[EXTENSION].buckets}) == 1


def test_socket_handshakes_beyond_the_users_minute_are_refused_on_both_namespaces(
    app, meeting, signed_in, socket_client, live_meeting, meeting_socket
) -> None:
    app.config["TEAMWORK_SOCKET_CONNECTS_PER_MINUTE"] = 3
    m = meeting()
    browser = signed_in(m.members[0].user)
    socks = [socket_client(browser, m.proposal.id) for _ in range(3)]
    assert all(sock.is_connected() for sock in socks)
    assert not socket_client(browser, m.proposal.id).is_connected()
    # Another member's handshakes are counted apart.
    assert socket_client(signed_in(m.members[1].user), m.proposal.id).is_connected()
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    member = signed_in(lm.members[0].user)
    assert all(meeting_socket(member, lm.meeting.id).is_connected() for _ in range(3))
    assert not meeting_socket(member, lm.meeting.id).is_connected()


def test_connection_limits_default_to_thirty_a_minute_and_closing_after_sixty_refusals(
    tmp_path,
) -> None:
    defaults = load_config(tmp_path, {})
    assert defaults["TEAMWORK_SOCKET_CONNECTS_PER_MINUTE"] == 30
    assert defaults["TEAMWORK_SOCKET_CLOSE_AFTER_REFUSALS"] == 60
