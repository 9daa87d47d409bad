"""Group commit: votes waiting at the same moment are written together, each caller gets its
own outcome only after the write, and a failed write reaches every caller of its group."""

from __future__ import annotations

import threading
import time

import pytest

from teamwork.consensus.group_commit import GroupCommit


def run_in_threads(target, items) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    return threads


def test_a_vote_alone_is_written_at_once_by_its_own_caller() -> None:
    groups: list[list[int]] = []
    writer = GroupCommit(lambda items: groups.append(list(items)) or [i * 10 for i in items])
    assert writer.submit(1) == 10
    assert writer.submit(2) == 20
    assert groups == [[1], [2]]


def test_votes_queued_during_a_write_are_written_together_by_the_next_writer() -> None:
    first_write_started = threading.Event()
    finish_first_write = threading.Event()
    groups: list[list[int]] = []
    results: dict[int, object] = {}
    released: list[int] = []

    def write(items: list[int]) -> list[int]:
        groups.append(list(items))
        if len(groups) == 1:
            first_write_started.set()
            assert finish_first_write.wait(5)
        return [i * 10 for i in items]

    writer = GroupCommit(write, release=lambda: released.append(1))

    def vote(item: int) -> None:
        results[item] = writer.submit(item)

    [leader] = run_in_threads(vote, [1])
    assert first_write_started.wait(5)
    others = run_in_threads(vote, [2, 3, 4, 5])
    # Wait until all four are queued behind the running write, then let it finish.
    for _ in range(500):
        if len(writer._queue) == 4:  # noqa: SLF001 - the test observes the queue filling
            break
        time.sleep(0.01)
    assert len(writer._queue) == 4  # noqa: SLF001
    finish_first_write.set()
    for thread in [leader, *others]:
        thread.join(5)
    assert groups[0] == [1]
    assert sorted(groups[1]) == [2, 3, 4, 5]  # one write for everyone who queued meanwhile
    assert len(groups) == 2
    assert results == {1: 10, 2: 20, 3: 30, 4: 40, 5: 50}
    assert len(released) == 4  # each waiting caller let go of its connection first


def test_each_caller_gets_its_own_outcome_even_an_error() -> None:
    class Refused(Exception):
        pass

    writer = GroupCommit(lambda items: [Refused(str(i)) if i % 2 else i for i in items])
    assert writer.submit(2) == 2
    with pytest.raises(Refused, match="3"):
        writer.submit(3)


def test_a_write_that_fails_fails_every_caller_of_its_group_and_the_next_group_goes_on() -> None:
    calls: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        calls.append(list(items))
        if len(calls) == 1:
            raise OSError("disk full")
        return list(items)

    writer = GroupCommit(write)
    with pytest.raises(OSError, match="disk full"):
        writer.submit(1)
    assert writer.submit(2) == 2  # the writer's role was handed back, not lost


def test_a_write_must_answer_every_vote() -> None:
    writer = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="one outcome per item"):
        writer.submit(1)
