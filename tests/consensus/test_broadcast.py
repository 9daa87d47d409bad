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


def test_votes_arriving_during_a_send_are_gathered_into_one_more_send() -> None:
    from teamwork.consensus.broadcast import Coalescer

    sending = threading.Event()
    release = threading.Event()
    sends: list[int] = []
    changes = {"count": 0}
    threads: list[threading.Thread] = []

    def send(_app, _proposal_id) -> None:
        sends.append(changes["count"])  # what this send reads from the "database"
        if len(sends) == 1:
            sending.set()
            release.wait(5)

    def spawn(target, *args) -> None:
        thread = threading.Thread(target=target, args=args)
        threads.append(thread)
        thread.start()

    slept: list[float] = []
    coalescer = Coalescer(send=send, spawn=spawn, sleep=slept.append)
    changes["count"] = 1
    coalescer.request(None, 7, 0.05)  # quiet room: the send starts at once
    assert sending.wait(5)
    for _ in range(9):  # a burst while the first send is under way
        changes["count"] += 1
        coalescer.request(None, 7, 0.05)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(threads) == 1  # one sender, however many votes
    assert sends == [1, 10]  # the first vote at once, then one send with all the others
    assert slept == [0.05]  # the burst waited one window


def test_a_room_that_went_quiet_sends_the_next_vote_at_once() -> None:
    from teamwork.consensus.broadcast import Coalescer

    sends: list[int] = []
    coalescer = Coalescer(
        send=lambda _app, proposal_id: sends.append(proposal_id),
        spawn=lambda target, *args: target(*args),
        sleep=lambda _seconds: pytest.fail("a quiet room must not wait"),
    )
    for _ in range(3):
        coalescer.request(None, 7, 0.05)
    assert sends == [7, 7, 7]


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
