"""argon2 off the gevent loop: under gevent, hashes and checks run in the hashing threads.

The tests run without gevent's patching, so `_under_gevent` is forced; gevent's ThreadPool
works unpatched. What it does to a live meeting is measured by `make bench-signin`
(docs/performance.md), not timed here.
"""

from __future__ import annotations

import threading

import pytest

from teamwork.auth import services


@pytest.fixture
def under_gevent(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(services, "_under_gevent", lambda: True)
    monkeypatch.setattr(services, "_hash_pools", {})
    yield
    for pool in services._hash_pools.values():
        pool.kill()


def test_password_hashing_runs_in_the_hashing_threads_under_gevent(app, under_gevent) -> None:
    caller = threading.get_ident()
    seen: list[int] = []

    def where(value: str) -> str:
        seen.append(threading.get_ident())
        return value.upper()

    with app.app_context():
        assert services._off_loop(where, "checked") == "CHECKED"
        password_hash = services.hash_password("violet tractor moonlight")
        assert services._verify(services._hasher(), password_hash, "violet tractor moonlight")
    assert seen and seen[0] != caller
    assert len(services._hash_pools) == 1


def test_outside_gevent_hashing_runs_in_the_calling_thread(app) -> None:
    caller = threading.get_ident()
    seen: list[int] = []
    with app.app_context():
        services._off_loop(lambda: seen.append(threading.get_ident()))
    assert seen == [caller]
