"""Coalescing: a quiet room hears each vote at once; a burst is gathered into a few sends."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_burst_of_votes_is_coalesced_and_the_last_send_has_them_all(
    app, meeting, signed_in, socket_client
) -> None:
    app.config["TEAMWORK_BROADCAST_WINDOW_MS"] = 200
    m = meeting(members=10)
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    round_id = moderator.emit("open_round", {"proposal_id": m.proposal.id})["round_id"]
    voters = [socket_client(signed_in(v.user), m.proposal.id) for v in m.members]
    moderator.received()
    for n, sock in enumerate(voters):
        ack = sock.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": f"b{n}"})
        assert ack["ok"]
    seen: list[dict] = []

    def all_seen() -> bool:
        seen.extend(moderator.events("vote_cast"))
        return bool(seen) and seen[-1]["state"]["round"]["voted"] == len(voters)

    assert wait_for(all_seen)
    assert len(seen) < len(voters)  # coalesced, not one send per vote
    versions = [event["version"] for event in seen]
    assert versions == sorted(versions)


def test_a_vote_in_a_quiet_room_is_sent_without_waiting_for_the_window(
    app, meeting, signed_in, socket_client
) -> None:
    app.config["TEAMWORK_BROADCAST_WINDOW_MS"] = 5000
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    round_id = moderator.emit("open_round", {"proposal_id": m.proposal.id})["round_id"]
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    moderator.received()
    member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "q1"})
    events: list[dict] = []
    # Far less than the 5 s window: the room was quiet, so the send is immediate.
    assert wait_for(lambda: bool(events.extend(moderator.events("vote_cast")) or events), 2.0)
    assert events[-1]["state"]["round"]["voted"] == 1
