"""Faults on the scale-out setup lose nothing: a worker killed with SIGKILL in the middle of a
round, and Redis stopped for 15 seconds during one.

Like tests/scale/test_cross_process.py: real `python wsgi.py` workers (gevent) sharing a fresh
PostgreSQL schema and a Redis message queue, and members on python-socketio's asyncio client.

- Worker killed: members on both workers vote as fast as they can, changing their votes; at a
  random moment worker B is killed with SIGKILL; its members reconnect to worker A (as a load
  balancer would send them) and go on. Three trials, a round each. Every acknowledged vote is
  in the database exactly once, and every client's screen matches the database within 10 s of
  reconnecting.
- Redis stopped (a redis-server of the test's own, on a free port): votes cast during the
  outage are acknowledged and stored; once Redis is back, every client resyncs to the stored
  state and broadcasts cross the workers again.

Runs in the PostgreSQL pass of `make test` when Redis answers (and, for the outage, when the
`redis-server` program is installed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import database_schema
from tests.scale.test_cross_process import (
    PASSWORD,
    REDIS_URL,
    SEED,
    _run,
    _sign_in,
    _state,
    _unreachable_reason,
)
from tests.servers import answers, database_url, free_port, stop

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[2]
MEMBERS = 6
TIMEOUT = 30.0
RESYNC_WITHIN = 10.0  # seconds after reconnecting


@dataclass
class Workers:
    """N workers on fixed ports, which the test may kill and start again."""

    env: dict[str, str]
    instance: Path
    ports: list[int]
    processes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self, index: int) -> None:
        port = self.ports[index]
        log_path = self.instance / f"worker-{index}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                [sys.executable, "wsgi.py"],
                cwd=REPO,
                env={**self.env, "HOST": "127.0.0.1", "PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while len(self.processes) <= index:
            self.processes.append(None)
        self.processes[index] = process
        deadline = time.monotonic() + TIMEOUT
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {index} did not start:\n{self.logs()}")
            time.sleep(0.1)

    def kill(self, index: int) -> None:
        process = self.processes[index]
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process is not None:
                stop(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')}"
            for path in sorted(self.instance.glob("worker-*.log"))
        )


@contextlib.contextmanager
def running_cluster(
    queue_url: str, settings: dict[str, str] | None = None, seed_script: str = SEED
) -> Iterator[tuple[Workers, dict[str, Any]]]:
    """Two workers on a fresh schema, seeded by `seed_script` (its last line: JSON), with
    extra TEAMWORK_* `settings`."""
    instance = Path(tempfile.mkdtemp(prefix="teamwork-faults-"))
    workers: Workers | None = None
    try:
        with database_schema() as schema:
            assert schema
            env = {n: v for n, v in os.environ.items() if not n.startswith("TEAMWORK_")}
            env.update(
                TEAMWORK_INSTANCE_PATH=str(instance),
                TEAMWORK_DATABASE_URL=database_url(schema),
                TEAMWORK_MESSAGE_QUEUE=queue_url,
                # This test's own channel: nothing else on the same Redis hears it.
                TEAMWORK_MESSAGE_QUEUE_CHANNEL=f"teamwork-faults-{uuid.uuid4().hex[:8]}",
                TEAMWORK_RATELIMIT_STORAGE_URL="memory://",
                TEAMWORK_ARGON2_TIME_COST="1",
                TEAMWORK_ARGON2_MEMORY_KIB="64",
                TEAMWORK_LOG_LEVEL="WARNING",
                PYTHONUNBUFFERED="1",
            )
            env.update(settings or {})
            _run(env, "-m", "flask", "--app", "wsgi", "db", "upgrade")
            seed = json.loads(_run(env, "-c", seed_script, str(MEMBERS), PASSWORD).splitlines()[-1])
            seed["database_url"] = env["TEAMWORK_DATABASE_URL"]
            workers = Workers(env, instance, [free_port(), free_port()])
            try:
                workers.start(0)
                workers.start(1)
                yield workers, seed
            finally:
                workers.stop_all()  # before the schema is dropped
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def query(seed: dict[str, Any], sql: str, **params: Any) -> list[Any]:
    import sqlalchemy as sa

    engine = sa.create_engine(seed["database_url"])
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params).all())
    finally:
        engine.dispose()


# ---- Clients ---------------------------------------------------------------------------------


@dataclass
class Member:
    email: str
    cookie: str
    worker: int
    sio: Any = None
    voted: dict[Any, int] = field(default_factory=dict)  # round id -> latest `voted` seen
    events: int = 0
    acked: list[str] = field(default_factory=list)  # request ids acknowledged ok

    def on_state(self, payload: Any = None) -> None:
        round_id, voted = _state(payload)
        self.events += 1
        if round_id is not None:
            # The latest state, not the highest: a screen shows what it was last told.
            self.voted[round_id] = voted

    async def connect(self, urls: list[str], proposal_id: int, worker: int) -> None:
        import socketio

        if self.sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sio.disconnect(), 2)
        self.worker = worker
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT)
        for event in ("snapshot", "round_opened", "vote_cast", "round_revealed", "round_closed"):
            self.sio.on(event, self.on_state)
        await self.sio.connect(
            f"{urls[worker]}/?proposal={proposal_id}",
            headers={"Cookie": self.cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )

    async def vote(self, round_id: int, choice: str, timeout: float = 5.0) -> bool:
        request_id = uuid.uuid4().hex
        try:
            ack = await self.sio.call(
                "cast_vote",
                {"round_id": round_id, "choice": choice, "reason": "", "request_id": request_id},
                timeout=timeout,
            )
        except Exception:  # noqa: BLE001 - a dead worker: no acknowledgement, nothing promised
            return False
        if isinstance(ack, dict) and ack.get("ok"):
            self.acked.append(request_id)
            return True
        return False


async def people(urls: list[str], seed: dict[str, Any]) -> tuple[Member, list[Member]]:
    lead = Member(seed["lead"], await _sign_in(urls[0], seed["lead"]), 0)
    members = [
        Member(email, await _sign_in(urls[n % 2], email), n % 2)
        for n, email in enumerate(seed["members"])
    ]
    for person in [lead, *members]:
        await person.connect(urls, seed["proposal_id"], person.worker)
    return lead, members


async def until(check: Any, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def open_round(lead: Member, proposal_id: int) -> int:
    ack = await lead.sio.call("open_round", {"proposal_id": proposal_id}, timeout=TIMEOUT)
    assert isinstance(ack, dict) and ack.get("ok"), ack
    return int(ack["round_id"])


def stored_count(seed: dict[str, Any], round_id: int) -> int:
    return int(query(seed, "SELECT COUNT(*) FROM votes WHERE round_id = :r", r=round_id)[0][0])


def assert_acknowledged_votes_stored_once(seed: dict[str, Any], members: list[Member]) -> None:
    acked = [rid for m in members for rid in m.acked]
    assert acked, "no vote was acknowledged"
    rows = query(
        seed,
        "SELECT request_id, COUNT(*) FROM vote_events WHERE request_id = ANY(:ids)"
        " GROUP BY request_id",
        ids=acked,
    )
    counts = {request_id: count for request_id, count in rows}
    missing = [rid for rid in acked if rid not in counts]
    assert missing == [], f"{len(missing)} acknowledged votes are not in the database"
    assert all(count == 1 for count in counts.values())


# ---- Worker killed ---------------------------------------------------------------------------


async def _kill_trials(workers: Workers, seed: dict[str, Any], trials: int) -> None:
    urls, proposal_id = workers.urls, seed["proposal_id"]
    lead, members = await people(urls, seed)
    rng = random.Random(seed["proposal_id"])  # noqa: S311 - a test's random moments
    try:
        for trial in range(trials):
            round_id = await open_round(lead, proposal_id)
            killed = asyncio.Event()

            async def keep_voting(
                member: Member, round_id: int = round_id, killed: asyncio.Event = killed
            ) -> None:
                choices = ["up", "sideways"]
                reconnected = False
                for n in range(40):
                    voted = await member.vote(round_id, choices[n % 2], timeout=3)
                    if not voted and member.worker == 1 and killed.is_set() and not reconnected:
                        await member.connect(urls, proposal_id, 0)  # fail over to A
                        reconnected = True
                    await asyncio.sleep(rng.uniform(0, 0.03))

            async def kill_at_random(killed: asyncio.Event = killed) -> None:
                await asyncio.sleep(rng.uniform(0.2, 1.2))
                workers.kill(1)
                killed.set()

            await asyncio.gather(kill_at_random(), *(keep_voting(m) for m in members))
            # Anyone whose last calls all went to the dead worker fails over now.
            for member in members:
                if member.worker == 1:
                    await member.connect(urls, proposal_id, 0)
            reconnected_at = time.monotonic()
            stored = stored_count(seed, round_id)
            assert stored == MEMBERS, f"trial {trial}: {stored} votes stored"
            await until(
                lambda r=round_id, s=stored: all(m.voted.get(r) == s for m in members),
                f"trial {trial}: every screen shows the stored {stored} votes "
                f"(seen: {[(m.email, m.voted.get(round_id)) for m in members]})",
                timeout=RESYNC_WITHIN,
            )
            assert time.monotonic() - reconnected_at <= RESYNC_WITHIN
            ack = await lead.sio.call("withdraw_round", {"round_id": round_id}, timeout=TIMEOUT)
            assert ack.get("ok"), ack
            # Worker B comes back for the next trial; its members return to it.
            workers.start(1)
            for n, member in enumerate(members):
                if n % 2:
                    await member.connect(urls, proposal_id, 1)
        assert_acknowledged_votes_stored_once(seed, members)
    finally:
        for person in [lead, *members]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(person.sio.disconnect(), 2)


def test_killing_a_worker_mid_round_loses_no_acknowledged_vote() -> None:
    reason = _unreachable_reason()
    if reason:
        pytest.skip(reason)
    with running_cluster(REDIS_URL) as (workers, seed):
        asyncio.run(asyncio.wait_for(_kill_trials(workers, seed, trials=3), 240))


# ---- Redis stopped ---------------------------------------------------------------------------


@contextlib.contextmanager
def own_redis(port: int) -> Iterator[Any]:
    """A redis-server on `port` keeping nothing on disk; yields a function restarting it."""
    process: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        process.append(
            subprocess.Popen(  # noqa: S603 - the installed redis-server, fixed arguments
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],  # fmt: skip
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port, socket_connect_timeout=1).ping()
                return
            except Exception:  # noqa: BLE001
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def halt() -> None:
        for proc in process:
            stop(proc)
        process.clear()

    start()
    try:
        yield start, halt
    finally:
        halt()


async def _outage(workers: Workers, seed: dict[str, Any], halt: Any, start: Any) -> None:
    urls, proposal_id = workers.urls, seed["proposal_id"]
    lead, members = await people(urls, seed)
    try:
        round_id = await open_round(lead, proposal_id)
        await until(lambda: all(round_id in m.voted for m in members), "round seen by all")
        halt()
        stopped_at = time.monotonic()
        oks = await asyncio.gather(*(m.vote(round_id, "up", timeout=TIMEOUT) for m in members))
        assert all(oks), "a vote cast while Redis was down was not acknowledged"
        assert stored_count(seed, round_id) == MEMBERS
        await asyncio.sleep(max(0.0, 15 - (time.monotonic() - stopped_at)))
        start()
        # Screens resync from the database (the client's `sync`, as the page does when it
        # comes back): everyone sees every vote, whatever broadcasts were lost.
        for member in members:
            ack = await member.sio.call("sync", {"proposal_id": proposal_id}, timeout=TIMEOUT)
            member.on_state(ack)
        assert all(m.voted.get(round_id) == MEMBERS for m in members)
        # Broadcasts cross the workers again: a vote changed on worker A reaches everyone
        # (python-socketio's listener reconnects with a backoff, so this may take a while).
        before = [m.events for m in members]
        deadline = time.monotonic() + 60
        n = 0
        while not all(m.events > b for m, b in zip(members, before, strict=True)):
            assert time.monotonic() < deadline, "broadcasts did not resume after Redis returned"
            n += 1
            await members[0].vote(round_id, "sideways" if n % 2 else "up", timeout=TIMEOUT)
            await asyncio.sleep(1)
        assert_acknowledged_votes_stored_once(seed, members)
    finally:
        for person in [lead, *members]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(person.sio.disconnect(), 2)


def test_redis_stopped_for_15_seconds_loses_no_vote_and_broadcasts_resume() -> None:
    reason = _unreachable_reason()
    if reason:
        pytest.skip(reason)
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server program to run a Redis of the test's own")
    port = free_port()
    with (
        own_redis(port) as (start, halt),
        running_cluster(f"redis://127.0.0.1:{port}/0") as (workers, seed),
    ):
        asyncio.run(asyncio.wait_for(_outage(workers, seed, halt, start), 180))
