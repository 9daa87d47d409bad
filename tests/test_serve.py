"""`teamwork.serve.yield_to_live_work`: work that can wait (a sign-in) lets the loop's other
greenlets (a vote's fan-out) run first, but never waits longer than its limit.

The tests run without gevent's patching; the check for it is forced, and gevent's hub runs in
the test's own thread.
"""

from __future__ import annotations

import time

import gevent
import pytest

from teamwork import serve


@pytest.fixture
def under_gevent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve.monkey, "is_module_patched", lambda _name: True)


def test_waiting_work_runs_only_after_the_greenlets_that_are_ready(under_gevent) -> None:
    steps: list[int] = []

    def fan_out() -> None:
        for step in range(200):  # each step yields, as a socket write does
            steps.append(step)
            gevent.sleep(0)

    sender = gevent.spawn(fan_out)
    gevent.sleep(0)  # the fan-out has started
    serve.yield_to_live_work(limit=5.0)
    assert len(steps) == 200
    assert sender.dead


def test_a_loop_that_is_never_idle_holds_the_work_back_only_for_the_limit(under_gevent) -> None:
    def never_idle() -> None:
        while True:
            gevent.sleep(0)

    busy = gevent.spawn(never_idle)
    gevent.sleep(0)
    started = time.monotonic()
    try:
        serve.yield_to_live_work(limit=0.05)
        waited = time.monotonic() - started
    finally:
        busy.kill()
    assert 0.04 <= waited < 1.0


def test_outside_gevent_nothing_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve.monkey, "is_module_patched", lambda _name: False)
    monkeypatch.setattr(serve.gevent, "idle", lambda: pytest.fail("waited for the loop"))
    serve.yield_to_live_work(limit=5.0)
