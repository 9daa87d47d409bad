"""argon2 off the gevent loop (teamwork/auth/hashing.py): under gevent, hashes and checks go to
a hashing process of the worker's own, at the lowest CPU priority; if it cannot be started, to
threads of the worker; outside gevent, the calling thread does them.

The tests run without gevent's patching, so `_under_gevent` is forced; gevent's subprocess,
events and thread pool work unpatched. What this does to a live meeting is measured by `make
bench-signin` (docs/performance.md), not timed here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from teamwork.auth import hashing

HASHER = PasswordHasher(time_cost=1, memory_cost=64)
PASSWORD = "violet tractor moonlight"


@pytest.fixture
def under_gevent(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(hashing, "_under_gevent", lambda: True)
    monkeypatch.setattr(hashing, "_processes", {})
    monkeypatch.setattr(hashing, "_pools", {})
    yield
    for process in hashing._processes.values():
        process.stop()
    for pool in hashing._pools.values():
        pool.kill()


def _child() -> hashing.HashingProcess:
    return hashing._processes[os.getpid()]


def test_the_hashing_process_answers_each_line_and_names_each_failure() -> None:
    stored = HASHER.hash(PASSWORD)
    requests = [
        {"id": 1, "op": "hash", "password": PASSWORD, "t": 1, "m": 64, "p": 1},
        {"id": 2, "op": "verify", "hash": stored, "password": PASSWORD},
        {"id": 3, "op": "verify", "hash": stored, "password": "a wrong guess"},
        {"id": 4, "op": "verify", "hash": "not a hash", "password": PASSWORD},
        {"id": 5, "op": "delete everything"},
        {"id": 6, "op": "hash", "password": PASSWORD},  # no parameters
    ]
    lines = "".join(json.dumps(r) + "\n" for r in requests) + "{not json\n"
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "teamwork.auth.hashing", "2"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    by_id = {reply.get("id"): reply for reply in replies}
    assert len(replies) == 7  # every line answered, the unreadable one too
    assert HASHER.verify(by_id[1]["ok"], PASSWORD)
    assert by_id[1]["ok"].startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert by_id[2] == {"id": 2, "ok": True}
    assert by_id[3]["error"] == "mismatch"
    assert by_id[4]["error"] == "invalid_hash"
    assert by_id[5]["error"] == by_id[6]["error"] == by_id[None]["error"] == "request"


def test_under_gevent_hashes_and_checks_run_in_a_process_of_their_own(under_gevent) -> None:
    stored = hashing.hash_password(HASHER, PASSWORD)
    assert HASHER.verify(stored, PASSWORD)
    assert hashing.verify_password(HASHER, stored, PASSWORD) is True
    with pytest.raises(VerifyMismatchError):
        hashing.verify_password(HASHER, stored, "a wrong guess")
    with pytest.raises(InvalidHashError):
        hashing.verify_password(HASHER, "not a hash", PASSWORD)
    child = _child()._proc
    assert child is not None and child.pid != os.getpid()
    if sys.platform == "linux":
        assert os.sched_getscheduler(child.pid) == os.SCHED_IDLE
    assert hashing._pools == {}  # no thread of the worker hashed anything


def test_a_hashing_process_that_dies_is_replaced_and_nothing_fails_meanwhile(
    under_gevent,
) -> None:
    stored = hashing.hash_password(HASHER, PASSWORD)
    first = _child()._proc
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # The request that finds it dead is answered all the same (by the worker's threads or a
    # new process); then a new process serves.
    assert hashing.verify_password(HASHER, stored, PASSWORD) is True
    assert hashing.verify_password(HASHER, stored, PASSWORD) is True
    second = _child()._proc
    assert second is not None and second.pid != first.pid and second.poll() is None


def test_when_no_hashing_process_can_start_the_workers_threads_hash(
    under_gevent, monkeypatch
) -> None:
    caller = threading.get_ident()
    seen: list[int] = []
    original = hashing._in_low_priority

    def watched(function, args):
        seen.append(threading.get_ident())
        return original(function, args)

    monkeypatch.setattr(hashing, "_in_low_priority", watched)
    hashing._processes[os.getpid()] = hashing.HashingProcess(1, command=["/nonexistent/hasher"])
    stored = hashing.hash_password(HASHER, PASSWORD)
    assert hashing.verify_password(HASHER, stored, PASSWORD) is True
    assert len(seen) == 2 and caller not in seen
    assert len(hashing._pools) == 1


def test_outside_gevent_hashing_runs_in_the_calling_thread(monkeypatch) -> None:
    monkeypatch.setattr(hashing, "_processes", {})
    stored = hashing.hash_password(HASHER, PASSWORD)
    assert hashing.verify_password(HASHER, stored, PASSWORD) is True
    assert hashing._processes == {}
