"""`make bench-scale`: many meetings voting at once on the scale-out setup.

1,000 simulated members (BENCH_MEMBERS) in 50 concurrent meetings (BENCH_MEETINGS), each meeting
a team of its own with a lead who opens the round, served by 2 worker processes
(BENCH_WORKERS) of the real server (`python wsgi.py`, gevent) sharing PostgreSQL and Redis:

1. a fresh PostgreSQL database of its own (created, then dropped) and a Redis channel of its own,
   so nothing else on the servers is touched; `flask db upgrade`, then bench/seed.py;
2. the workers start on free ports with the same instance folder (one secret key); every member
   signs in over HTTP and connects over WebSocket; the members of one meeting alternate between
   the workers, so every tally crosses Redis from one worker to the other;
3. every lead opens a round and waits until all of its meeting sees it; then every member of
   every meeting votes at once. A vote's latency runs from its emit until every client of its
   meeting has seen a tally counting at least as many votes as had been acknowledged when its
   own acknowledgement arrived (the same definition as `make bench`'s burst, docs/performance.md);
4. the votes stored in the database are counted; each worker's peak resident memory (VmHWM)
   less its resident memory before the clients connected, divided by its connections, gives
   the memory per connection.

The last line printed is one JSON object. BENCH_DATABASE_ADMIN_URL (the `test` database on
127.0.0.1) and BENCH_REDIS_URL (redis://127.0.0.1:6379/0) say where the servers are;
BENCH_TIMEOUT (seconds, 600) bounds the run. Everything it starts is stopped, and the database,
the temporary folder and the channel are gone afterwards, even on failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.run import (
    HOST,
    Children,
    Client,
    Target,
    Tracker,
    _check_ack,
    _vote,
    app_state,
    disconnect_all,
    env_int,
    free_port,
    gather_limited,
    log,
    p50,
    p99,
    run_step,
    sign_in,
    tail,
    wait_listening,
)

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def memory_kib(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory figure (VmRSS, VmHWM) in KiB; 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def create_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count_votes(url: str, round_ids: list[int]) -> int:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM votes WHERE round_id = ANY(%s)", (round_ids,)
        ).fetchone()
    return int(row[0]) if row else 0


async def open_rounds(meetings: list[Target], vote_timeout: float) -> list[tuple[int, Tracker]]:
    """Every lead opens a round at once; returns when every client has seen its round."""

    async def one(target: Target) -> tuple[int, Tracker]:
        members = len(target.clients) - 1
        tracker = Tracker(len(target.clients), members, None)
        target.tracker = tracker
        lead = target.clients[-1]
        ack = await lead.sio.call("open_round", {"proposal_id": target.proposal_id}, timeout=60)
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise RuntimeError(f"{target.name}: open_round refused: {ack!r}")
        await tracker.wait(0, vote_timeout)
        return int(ack["round_id"]), tracker

    return await asyncio.gather(*(one(t) for t in meetings))


async def vote_everywhere(
    meetings: list[Target], rounds: list[tuple[int, Tracker]], vote_timeout: float
) -> tuple[list[float], float]:
    """Every member of every meeting votes at once; (latencies in s, seconds to the last ack)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    total = sum(len(t.clients) - 1 for t in meetings)
    acked = 0
    records: list[tuple[Tracker, float, list[int], int]] = []
    last_ack = [0.0]

    def on_ack(target: Target, rank: list[int], counter: list[int]) -> Any:
        def callback(ack: Any = None) -> None:
            nonlocal acked
            _check_ack(target, ack)
            counter[0] += 1
            rank.append(counter[0])
            acked += 1
            last_ack[0] = time.perf_counter()
            if acked == total and not done.done():
                done.set_result(None)

        return callback

    start = time.perf_counter()
    for target, (round_id, tracker) in zip(meetings, rounds, strict=True):
        counter = [0]
        for client in target.clients[:-1]:
            rank: list[int] = []
            emitted = time.perf_counter()
            records.append((tracker, emitted, rank, len(target.clients) - 1))
            callback = on_ack(target, rank, counter)
            await client.sio.emit("cast_vote", _vote(round_id), callback=callback)
    await asyncio.wait_for(done, vote_timeout)
    for target, (_round_id, tracker) in zip(meetings, rounds, strict=True):
        await tracker.wait(len(target.clients) - 1, vote_timeout)
    latencies = []
    for tracker, emitted, rank, _members in records:
        seen = tracker.all_seen[rank[0]]
        assert seen is not None  # noqa: S101 - waited for every count above
        latencies.append(max(0.0, seen - emitted))
    return latencies, last_ack[0] - start


def bench(children: Children, workdir: Path, started: float, timeout: float) -> dict[str, Any]:
    members = env_int("BENCH_MEMBERS", 1000)
    meeting_count = env_int("BENCH_MEETINGS", 50)
    workers = env_int("BENCH_WORKERS", 2)
    vote_timeout = float(env_int("BENCH_VOTE_TIMEOUT", 120))
    admin_url = os.environ.get("BENCH_DATABASE_ADMIN_URL", ADMIN_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", REDIS_URL)
    python = sys.executable

    def remaining() -> float:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            raise TimeoutError(f"the benchmark ran out of its {timeout:.0f} s")
        return left

    name = f"teamwork_bench_{uuid.uuid4().hex[:12]}"
    database_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    create_database(admin_url, name)
    children.cleanups.append(lambda: drop_database(admin_url, name))
    instance = workdir / "instance"
    instance.mkdir()
    password = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMWORK_")}
    env.update(
        TEAMWORK_INSTANCE_PATH=str(instance),
        TEAMWORK_DATABASE_URL=database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        TEAMWORK_MESSAGE_QUEUE=redis_url,
        TEAMWORK_MESSAGE_QUEUE_CHANNEL=f"teamwork-bench-{uuid.uuid4().hex[:12]}",
        TEAMWORK_ARGON2_TIME_COST="1",
        TEAMWORK_ARGON2_MEMORY_KIB="64",
        TEAMWORK_LOG_LEVEL="WARNING",
        # The load generator signs in a thousand accounts from one address.
        TEAMWORK_LOGIN_LIMIT_ADDRESS="100000 per minute",
        TEAMWORK_RATELIMIT_STORAGE_URL="memory://",
        BENCH_PASSWORD=password,
        HOST=HOST,
        PYTHONUNBUFFERED="1",
    )
    log(f"{members} members in {meeting_count} meetings on {workers} workers; database {name}")
    run_step([python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, remaining())
    seeded = json.loads(
        run_step(
            [python, "-m", "bench.seed", "--meetings", str(meeting_count), str(members)],
            env,
            remaining(),
        )
        .strip()
        .splitlines()[-1]
    )["meetings"]

    ports = [free_port() for _ in range(workers)]
    procs = [
        children.start([python, "wsgi.py"], {**env, "PORT": str(p)}, workdir / f"worker-{p}.log")
        for p in ports
    ]
    bases = [f"http://{HOST}:{p}" for p in ports]
    targets = [
        Target(f"meeting {m + 1}", app_state, proposal_id=int(meeting["proposal_id"]))
        for m, meeting in enumerate(seeded)
    ]

    async def run() -> dict[str, Any]:
        for port, proc in zip(ports, procs, strict=True):
            await wait_listening(port, proc, 60)
        baseline = [memory_kib(p.pid, "VmRSS") for p in procs]
        accounts = [(m, e) for m, meeting in enumerate(seeded) for e in meeting["members"]]
        accounts += [(m, meeting["lead"]) for m, meeting in enumerate(seeded)]
        log(f"signing in {len(accounts)} accounts over HTTP")
        cookies = await gather_limited(
            [
                (lambda e=email, i=i: sign_in(bases[i % workers], e, password))
                for i, (_m, email) in enumerate(accounts)
            ],
            16,
        )
        by_meeting: list[list[tuple[int, str]]] = [[] for _ in seeded]
        for i, ((m, _email), cookie) in enumerate(zip(accounts, cookies, strict=True)):
            by_meeting[m].append((i % workers, cookie))
        log(f"connecting {len(accounts)} Socket.IO clients, alternating between the workers")
        try:
            for target, clients in zip(targets, by_meeting, strict=True):
                target.clients = [Client(i, target) for i in range(len(clients))]
            jobs = []
            for target, clients in zip(targets, by_meeting, strict=True):
                for client, (w, cookie) in zip(target.clients, clients, strict=True):
                    url = f"{bases[w]}/?proposal={target.proposal_id}"
                    jobs.append(lambda c=client, u=url, k=cookie: c.connect(u, k))
            await gather_limited(jobs, 16)
            log("every lead opens a round")
            rounds = await open_rounds(targets, vote_timeout)
            log(f"{members} members vote at once")
            latencies, busy = await vote_everywhere(targets, rounds, vote_timeout)
            peaks = [memory_kib(p.pid, "VmHWM") for p in procs]
            connections = len(accounts)
            stored = count_votes(admin_url.rsplit("/", 1)[0] + f"/{name}", [r for r, _t in rounds])
            grown = sum(max(0, peak - base) for peak, base in zip(peaks, baseline, strict=True))
            return {
                "members": members,
                "meetings": meeting_count,
                "workers": workers,
                "p50_ms": round(p50(latencies), 1),
                "p99_ms": round(p99(latencies), 1),
                "votes_per_s": round(members / busy, 1),
                "votes_stored": stored,
                "peak_rss_mib_per_worker": [round(p / 1024, 1) for p in peaks],
                "peak_kib_per_connection": round(grown / connections, 1),
            }
        finally:
            await asyncio.gather(*(disconnect_all(t) for t in targets))

    try:
        result = asyncio.run(asyncio.wait_for(run(), remaining()))
    except BaseException:
        for port in ports:
            last = tail(workdir / f"worker-{port}.log")
            sys.stderr.write(f"--- worker {port} log (last lines)\n{last}\n")
        raise
    return result


class ScaleChildren(Children):
    """The subprocesses, plus clean-up steps (dropping the database) run after stopping them."""

    def __init__(self) -> None:
        super().__init__()
        self.cleanups: list[Any] = []

    def stop_all(self, grace: float = 5.0) -> None:
        super().stop_all(grace)
        for cleanup in self.cleanups:
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - clean-up goes on; the reason is shown
                log(f"clean-up step failed: {exc}")
        self.cleanups.clear()


def main() -> int:
    timeout = float(env_int("BENCH_TIMEOUT", 600))
    started = time.monotonic()
    children = ScaleChildren()
    workdir = Path(tempfile.mkdtemp(prefix="teamwork-bench-scale-"))

    def clean_up() -> None:
        children.stop_all(grace=3)
        shutil.rmtree(workdir, ignore_errors=True)

    def backstop() -> None:
        log(f"still running after {timeout + 30:.0f} s; stopping")
        clean_up()
        os._exit(124)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    watchdog = threading.Timer(timeout + 30, backstop)
    watchdog.daemon = True
    watchdog.start()
    try:
        result = bench(children, workdir, started, timeout)
    except (Exception, TimeoutError) as exc:
        log(f"FAILED: {type(exc).__name__}: {exc}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted")
        return 130
    finally:
        watchdog.cancel()
        clean_up()
    print(json.dumps(result), flush=True)
    return 0 if result["votes_stored"] == result["members"] else 1


if __name__ == "__main__":
    sys.exit(main())
