"""Password hashing (argon2) off the gevent loop: in a process of its own, at the lowest CPU
priority.

One argon2 hash or check takes ~190 ms of CPU. On the gevent loop (the server: wsgi.py patches
the standard library) that would stall every socket of the worker. In threads of the worker
it still slowed the live meeting: argon2-cffi releases the GIL while it hashes, but each
hashing thread takes the GIL back to start and to finish, and a low-priority thread that is
preempted while it holds the GIL stalls the loop (priority inversion); 64 MiB of hashing
memory also evicts the loop's data from the caches. In a process of its own the hashes share
nothing with the loop but a pipe: measured with `make bench-signin`, votes' p99 with 30
sign-ins in flight went from ~1.75x to ~1.3x the quiet p99 (docs/performance.md).

So under gevent each worker process starts one hashing process (`python -m
teamwork.auth.hashing THREADS`) at its first sign-in; that process runs at SCHED_IDLE (Linux;
nice 19 elsewhere), hashes in THREADS threads (TEAMWORK_PASSWORD_HASH_THREADS, 0 = one per
CPU) and answers requests one JSON line each, in any order, over its stdin and stdout. Nothing
is kept in it: a request carries the password, and the hash or the check's outcome comes back.
If it cannot be started or dies, pending and later requests fall back to threads in the worker
(the way before), and the next request starts a new one. Outside gevent (tests, the CLI) hashes
run in the calling thread.

Imports: the standard library, argon2 and gevent (lazily, where it is the server) only; the
child side imports nothing of the app.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

log = logging.getLogger("teamwork.auth")
_T = TypeVar("_T")
HASH_THREAD_NICENESS = 19
# Longer than any hash takes, even queued behind a burst: past it the process is presumed stuck.
ANSWER_TIMEOUT_SECONDS = 60.0


class HashingUnavailable(RuntimeError):
    """The hashing process could not be started, died or did not answer."""


def hash_password(hasher: PasswordHasher, password: str, threads: int = 0) -> str:
    """`hasher.hash(password)`, off the loop when serving under gevent."""
    if not _under_gevent():
        return hasher.hash(password)
    params = {
        "t": hasher.time_cost,
        "m": hasher.memory_cost,
        "p": hasher.parallelism,
        "hash_len": hasher.hash_len,
        "salt_len": hasher.salt_len,
    }
    try:
        answer = _process(threads).ask({"op": "hash", "password": password, **params})
    except HashingUnavailable:
        return _in_threads(threads, hasher.hash, password)
    return str(answer)


def verify_password(
    hasher: PasswordHasher, password_hash: str, password: str, threads: int = 0
) -> bool:
    """`hasher.verify(password_hash, password)`, off the loop when serving under gevent: raises
    VerifyMismatchError, VerificationError or InvalidHashError as it does."""
    if not _under_gevent():
        return hasher.verify(password_hash, password)
    try:
        _process(threads).ask({"op": "verify", "hash": password_hash, "password": password})
    except HashingUnavailable:
        return _in_threads(threads, hasher.verify, password_hash, password)
    return True


def _under_gevent() -> bool:
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))


# --- The worker's side: one hashing process per worker process ------------------------------

ERRORS: dict[str, type[Exception]] = {
    "mismatch": VerifyMismatchError,
    "verification": VerificationError,
    "invalid_hash": InvalidHashError,
}


class HashingProcess:
    """The worker's client of its hashing process (gevent: pipes and waits are cooperative)."""

    def __init__(self, threads: int, command: list[str] | None = None) -> None:
        from gevent.lock import Semaphore

        self.command = command or [sys.executable, "-m", "teamwork.auth.hashing", str(threads)]
        self._proc: Any = None
        self._pending: dict[int, Any] = {}  # request id -> gevent AsyncResult
        self._ids = itertools.count(1)
        self._lock = Semaphore()

    def ask(self, request: dict[str, Any]) -> Any:
        from gevent.event import AsyncResult

        answer = AsyncResult()
        with self._lock:
            proc = self._running()
            request_id = next(self._ids)
            self._pending[request_id] = answer
            try:
                proc.stdin.write(json.dumps({"id": request_id, **request}).encode() + b"\n")
                proc.stdin.flush()
            except OSError as exc:
                self._pending.pop(request_id, None)
                self._lost(proc)
                raise HashingUnavailable(str(exc)) from None
        try:
            reply = answer.get(timeout=ANSWER_TIMEOUT_SECONDS)
        except Exception as exc:
            self._pending.pop(request_id, None)
            if isinstance(exc, HashingUnavailable):
                raise
            raise HashingUnavailable("the hashing process did not answer") from None
        if "error" in reply:
            raise ERRORS.get(reply["error"], HashingUnavailable)(reply.get("message", ""))
        return reply.get("ok")

    def _running(self) -> Any:
        """The process, started now if it is not running (call with the lock held)."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        import gevent
        from gevent.subprocess import PIPE, Popen

        try:
            proc = Popen(self.command, stdin=PIPE, stdout=PIPE, close_fds=True)
        except OSError as exc:
            log.warning("Could not start the password hashing process: %s", exc)
            raise HashingUnavailable(str(exc)) from None
        self._proc = proc
        gevent.spawn(self._read, proc)
        return proc

    def _read(self, proc: Any) -> None:
        """Hand each answer to its request; when the process ends, fail what is pending."""
        try:
            for line in proc.stdout:
                reply = json.loads(line)
                waiting = self._pending.pop(reply.get("id"), None)
                if waiting is not None:
                    waiting.set(reply)
        except (OSError, ValueError) as exc:
            log.warning("The password hashing process sent something unreadable: %s", exc)
        self._lost(proc)

    def _lost(self, proc: Any) -> None:
        if self._proc is proc:
            self._proc = None
            with contextlib.suppress(OSError):
                proc.kill()
            log.warning("The password hashing process ended; the next sign-in starts a new one")
        pending, self._pending = self._pending, {}
        for waiting in pending.values():
            waiting.set_exception(HashingUnavailable("the hashing process ended"))

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()


_processes: dict[int, HashingProcess] = {}  # worker process id -> its hashing process
_pools: dict[int, Any] = {}  # worker process id -> its fallback gevent ThreadPool


def _process(threads: int) -> HashingProcess:
    found = _processes.get(os.getpid())
    if found is None:
        found = _processes[os.getpid()] = HashingProcess(threads)
    return found


def _in_threads(threads: int, function: Callable[..., _T], *args: object) -> _T:
    """The fallback: `function(*args)` in a pool of real threads of this worker."""
    pool = _pools.get(os.getpid())
    if pool is None:
        from gevent.threadpool import ThreadPool

        pool = _pools[os.getpid()] = ThreadPool(maxsize=threads or os.cpu_count() or 1)
    result: _T = pool.apply(_in_low_priority, (function, args))
    return result


def _in_low_priority(function: Callable[..., _T], args: tuple[object, ...]) -> _T:
    lower_priority()
    return function(*args)


def lower_priority() -> None:
    """Put the calling thread (and the threads it starts later) at the lowest CPU priority: on
    Linux SCHED_IDLE, which a thread of normal priority that wakes (the loop, on a vote)
    preempts at once; elsewhere, or where that is refused, nice 19."""
    if sys.platform != "linux":  # there, 0 means this thread only
        return
    with contextlib.suppress(OSError):
        if os.sched_getscheduler(0) != os.SCHED_IDLE:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, 0) < HASH_THREAD_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, HASH_THREAD_NICENESS)


# --- The hashing process's side ----------------------------------------------------------------


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """One request's answer: {"id", "ok": ...} or {"id", "error": kind, "message"}."""
    reply: dict[str, Any] = {"id": request.get("id")}
    try:
        if request.get("op") == "hash":
            lengths = {k: int(request[k]) for k in ("hash_len", "salt_len") if k in request}
            hasher = PasswordHasher(
                time_cost=int(request["t"]),
                memory_cost=int(request["m"]),
                parallelism=int(request["p"]),
                **lengths,
            )
            reply["ok"] = hasher.hash(str(request["password"]))
        elif request.get("op") == "verify":
            reply["ok"] = PasswordHasher().verify(str(request["hash"]), str(request["password"]))
        else:
            reply.update(error="request", message="unknown op")
    except VerifyMismatchError as exc:
        reply.update(error="mismatch", message=str(exc))
    except InvalidHashError as exc:
        reply.update(error="invalid_hash", message=str(exc))
    except VerificationError as exc:
        reply.update(error="verification", message=str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        reply.update(error="request", message=type(exc).__name__)
    return reply


def serve(requests: IO[str], replies: IO[str], threads: int) -> None:
    """Answer each JSON line of `requests` on `replies`, `threads` at a time, until EOF."""
    lower_priority()  # before the threads start: they inherit it
    lock = threading.Lock()

    def work(line: str) -> None:
        try:
            request = json.loads(line)
        except ValueError:
            request = {}
        reply = answer(request) if isinstance(request, dict) else {"error": "request"}
        with lock:
            replies.write(json.dumps(reply) + "\n")
            replies.flush()

    with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool:
        for line in requests:
            if line.strip():
                pool.submit(work, line)


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout, int(sys.argv[1]) if len(sys.argv) > 1 else 0)
