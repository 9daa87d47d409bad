"""The message queue's listener is deaf for a few seconds at most: after losing Redis it
subscribes again on a back-off capped at `retry_max`, a connection that stops answering is
given up, and every confirmed subscription has the worker's screens resync (`on_subscribed`).

Runs `teamwork.realtime.queue.HealingRedisManager`'s loop against a fake Redis, with a fake
clock and sleep, so it also fails if python-socketio renames the hook it overrides."""

from __future__ import annotations

from typing import Any

import pytest

from teamwork.realtime.queue import HealingRedisManager


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakePubSub:
    """Answers `get_message` from a script: dicts, None (nothing within the timeout, one
    second passes) or an exception to raise."""

    def __init__(self, clock: FakeClock, script: list[Any], subscribe_error: bool = False):
        self.clock = clock
        self.script = list(script)
        self.subscribe_error = subscribe_error
        self.pings = 0
        self.closed = False

    def subscribe(self, channel: str) -> None:
        if self.subscribe_error:
            raise ConnectionError("Connection refused")

    def get_message(self, timeout: float = 0.0) -> Any:
        step = self.script.pop(0) if self.script else None
        if isinstance(step, Exception):
            raise step
        if step is None:
            self.clock.now += timeout
        return step

    def ping(self) -> None:
        self.pings += 1

    def close(self) -> None:
        self.closed = True


class FakeRedis:
    def __init__(self, pubsubs: list[FakePubSub]) -> None:
        self.pubsubs = list(pubsubs)

    def pubsub(self, **_options: Any) -> FakePubSub:
        return self.pubsubs.pop(0)


def subscribed() -> dict[str, Any]:
    return {"type": "subscribe", "channel": b"ch", "data": 1}


def message(data: bytes) -> dict[str, Any]:
    return {"type": "message", "channel": b"ch", "data": data}


def manager(clock: FakeClock, pubsubs: list[FakePubSub], **options: Any) -> Any:
    sleeps: list[float] = []
    calls: list[str] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    queue = HealingRedisManager(
        "redis://fake",
        channel="ch",
        sleep=sleep,
        clock=clock,
        on_subscribed=lambda: calls.append("subscribed"),
        **options,
    )
    queue.redis = FakeRedis(pubsubs)
    return queue, sleeps, calls


def test_after_losing_redis_the_listener_retries_at_most_retry_max_apart_and_resyncs() -> None:
    clock = FakeClock()
    first = FakePubSub(clock, [subscribed(), message(b"one"), ConnectionError("gone")])
    down = [FakePubSub(clock, [], subscribe_error=True) for _ in range(5)]
    back = FakePubSub(clock, [subscribed(), message(b"two")])
    queue, sleeps, calls = manager(clock, [first, *down, back], retry_first=0.25, retry_max=2)

    listened = queue._listen()

    assert next(listened) == b"one"
    assert calls == ["subscribed"]
    assert next(listened) == b"two"
    assert sleeps == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert calls == ["subscribed", "subscribed"]
    assert first.closed and all(p.closed for p in down)


def test_a_connection_that_stops_answering_is_given_up_and_replaced() -> None:
    clock = FakeClock()
    silent = FakePubSub(clock, [subscribed(), *[None] * 20])
    fresh = FakePubSub(clock, [subscribed(), message(b"after")])
    queue, sleeps, calls = manager(
        clock, [silent, fresh], ping_after=5, answer_within=3, retry_first=0.25
    )

    assert next(queue._listen()) == b"after"

    assert silent.pings == 1 and silent.closed
    assert sleeps == [0.25]
    assert calls == ["subscribed", "subscribed"]


def test_an_answered_ping_keeps_the_connection() -> None:
    clock = FakeClock()
    pong = {"type": "pong", "channel": None, "data": b""}
    quiet = FakePubSub(clock, [subscribed(), *[None] * 6, pong, *[None] * 6, message(b"kept")])
    queue, sleeps, _calls = manager(clock, [quiet], ping_after=5, answer_within=3)

    assert next(queue._listen()) == b"kept"

    assert quiet.pings == 2 and not quiet.closed
    assert sleeps == []


def test_a_failing_resync_does_not_stop_the_listener() -> None:
    clock = FakeClock()
    pubsub = FakePubSub(clock, [subscribed(), message(b"still")])
    queue, _sleeps, _calls = manager(clock, [pubsub])

    def fail() -> None:
        raise RuntimeError("the database is restarting")

    queue.on_subscribed = fail

    assert next(queue._listen()) == b"still"
    assert queue.subscriptions == 1


@pytest.mark.parametrize("retry_max", [1, 2, 5])
def test_the_back_off_never_exceeds_retry_max(retry_max: int) -> None:
    clock = FakeClock()
    down = [FakePubSub(clock, [], subscribe_error=True) for _ in range(12)]
    back = FakePubSub(clock, [subscribed(), message(b"x")])
    queue, sleeps, _calls = manager(clock, [*down, back], retry_max=retry_max)

    assert next(queue._listen()) == b"x"
    assert max(sleeps) == retry_max
