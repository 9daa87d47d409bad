"""Group commit: votes waiting at the same moment are written in one transaction.

When a room votes at once, one transaction per vote (take the proposal's lock, re-check the
round, write, count, commit) makes the last member wait for every other vote's transaction.
Here a vote that has passed its checks joins a queue. The first vote to find no writer at work
becomes the writer: it lets the other requests already running reach the queue, takes every
vote queued by then, and writes them with one call of `write` (consensus.voting writes them
in one transaction). Every caller gets its own outcome only after that call returned, so an
acknowledgement still means committed. The writer then hands the role to the first vote queued
meanwhile, which does the same for the next group.

A vote alone (a quiet room) is written at once: the writer looks for company only as long as
the queue keeps growing. Nothing here is state of record: the queue holds only votes that
nobody was told about yet. If the process dies, their clients never got an acknowledgement and
send them again with the same request id. Across processes the proposal's row lock orders the
writers. Works with greenlets (gevent patches the lock, the event and `time.sleep`) and threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")

# How many times a writer yields while the queue keeps growing: enough for the requests that a
# burst made runnable to queue, bounded so that a stream of votes cannot hold a group open.
GATHER_ROUNDS = 4


class _Waiting(Generic[Item]):
    __slots__ = ("done", "item", "lead", "outcome")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.outcome: Any = None
        self.lead = False  # handed the writer's role instead of an outcome
        self.done = threading.Event()

    def result(self) -> Any:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class GroupCommit(Generic[Item]):
    """`submit(item)` returns `write`'s outcome for that item, after `write` returned.

    `write(items)` returns one outcome per item, in order: a value, or an exception to raise in
    that item's caller. If `write` itself raises, every item of the group gets that exception.
    `release()` runs before a caller waits for another's write (it should let go of database
    connections, so that a crowd of waiting callers cannot drain the pool).
    """

    def __init__(
        self,
        write: Callable[[list[Item]], Sequence[Any]],
        release: Callable[[], None] = lambda: None,
        pause: Callable[[float], Any] = time.sleep,
    ) -> None:
        self._write = write
        self._release = release
        self._pause = pause
        self._lock = threading.Lock()
        self._queue: list[_Waiting[Item]] = []
        self._writing = False

    def submit(self, item: Item) -> Any:
        waiting = _Waiting(item)
        with self._lock:
            self._queue.append(waiting)
            lead = not self._writing
            self._writing = True
        if not lead:
            self._release()
            waiting.done.wait()
            if not waiting.lead:
                return waiting.result()
        self._lead()
        return waiting.result()

    def _lead(self) -> None:
        try:
            self._gather()
            with self._lock:
                group, self._queue = self._queue, []
            try:
                outcomes = list(self._write([w.item for w in group]))
                if len(outcomes) != len(group):
                    raise RuntimeError("write() must return one outcome per item")
            except Exception as exc:  # every caller of the group learns it failed
                outcomes = [exc] * len(group)
            for waiting, outcome in zip(group, outcomes, strict=True):
                waiting.outcome = outcome
                waiting.done.set()
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._writing = False

    def _gather(self) -> None:
        seen = len(self._queue)
        for _ in range(GATHER_ROUNDS):
            self._pause(0)  # let requests that are ready to run reach the queue
            if len(self._queue) == seen:
                return
            seen = len(self._queue)
