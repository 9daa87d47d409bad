"""Coalescing: a quiet room hears each vote at once; a burst is gathered into a few sends."""

from __future__ import annotations

import threading
import time

import pytest


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def vote(version: int, voter: int | None, round_id: int = 1) -> dict:
    """A `vote_cast` payload as the vote path builds it (only the fields merging reads)."""
    return {
        "version": version,
        "text_version": 1,
        "round": {
            "id": round_id,
            "voted": version,
            "new_voters": None if voter is None else [voter],
        },
    }


def test_votes_arriving_during_a_send_are_gathered_into_one_more_send() -> None:
    from teamwork.consensus.broadcast import Coalescer

    sending = threading.Event()
    release = threading.Event()
    sends: list[dict] = []
    threads: list[threading.Thread] = []

    def send(_proposal_id, payload) -> None:
        sends.append(payload)
        if len(sends) == 1:
            sending.set()
            release.wait(5)

    def spawn(target, *args) -> None:
        thread = threading.Thread(target=target, args=args)
        threads.append(thread)
        thread.start()

    slept: list[float] = []
    coalescer = Coalescer(send=send, spawn=spawn, sleep=slept.append)
    # Quiet room: the request sends at once, itself (on its own thread here, as the send
    # blocks until released).
    first = threading.Thread(target=coalescer.request, args=(7, vote(1, 101), 0.05))
    first.start()
    assert sending.wait(5)
    # A burst while the first send is under way; one of them arrives out of order, as votes
    # committed by several greenlets may.
    for version, voter in [(2, 102), (4, 104), (3, 103), (5, 105), (6, 102)]:
        coalescer.request(7, vote(version, voter), 0.05)
    assert threads == []  # nothing else was sent or started meanwhile
    release.set()
    first.join(5)
    for thread in threads:
        thread.join(5)
    assert len(threads) == 1  # one sender for the burst, however many votes
    assert [s["version"] for s in sends] == [1, 6]  # the first at once, then the latest state
    # Everyone who voted meanwhile, once each.
    assert sorted(sends[1]["round"]["new_voters"]) == [102, 103, 104, 105]
    assert slept == [0.05]  # the burst waited one window


def test_merging_keeps_the_later_state_and_drops_votes_of_an_earlier_round() -> None:
    from teamwork.consensus.broadcast import merge_votes

    assert merge_votes(vote(9, 1), vote(8, 2)) == {
        **vote(9, 1),
        "round": {**vote(9, 1)["round"], "new_voters": [2, 1]},
    }
    assert merge_votes(vote(3, 1, round_id=1), vote(4, 2, round_id=2)) == vote(4, 2, round_id=2)
    # Anonymous rounds name no one, merged or not.
    assert merge_votes(vote(3, None), vote(4, None))["round"]["new_voters"] is None


def test_a_room_that_went_quiet_sends_the_next_vote_at_once() -> None:
    from teamwork.consensus.broadcast import Coalescer

    sends: list[int] = []
    coalescer = Coalescer(
        send=lambda _proposal_id, payload: sends.append(payload["version"]),
        spawn=lambda *_args: pytest.fail("a quiet room needs no sender task"),
        sleep=lambda _seconds: pytest.fail("a quiet room must not wait"),
    )
    for version in (1, 2, 3):
        coalescer.request(7, vote(version, version), 0.05)
    assert sends == [1, 2, 3]


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
    assert events[-1]["round"]["voted"] == 1
