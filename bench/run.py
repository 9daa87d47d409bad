"""`make bench`: the live voting path of the real server against a bare python-socketio reference.

One run, on 127.0.0.1 only, with one load generator (python-socketio's asyncio client over
aiohttp, every simulated member in this one process):

1. the app: a fresh instance folder, `flask db upgrade`, one team with N voting members and a
   moderator (bench/seed.py), the real server (`python wsgi.py`: gevent, SQLite, one process);
   every member signs in over HTTP and connects over WebSocket with its session cookie;
2. the reference (bench/reference.py): no Flask, no database, a tally in memory broadcast after
   every vote, served the same way (gevent pywsgi, TCP_NODELAY);
3. for each: a sequential round (members vote one after another) and a burst round (all at
   once). The definitions of the figures are in docs/performance.md.

The last line printed is one JSON object with the figures. Settings (environment):
BENCH_MEMBERS (200), BENCH_TIMEOUT (seconds for the whole run, 240), BENCH_VOTE_TIMEOUT
(seconds one vote may take to reach everyone, 30). TEAMWORK_BROADCAST_WINDOW_MS passes through
to the app. Everything it starts is stopped, and its temporary folder removed, even on failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything else: the benchmark's traffic stays on this machine
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    value = int(raw) if raw else default
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}")
    return value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- Processes and clean-up ----------------------------------------------------------------


class Children:
    """The subprocesses this run started; each in its own session, stopped by its own id."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def start(self, args: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
        with logfile.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with self._lock:
            self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace)
        with self._lock, contextlib.suppress(ValueError):
            self._procs.remove(proc)

    def stop_all(self, grace: float = 5.0) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(Exception):
                self.stop(proc, grace)


def run_step(args: list[str], env: dict[str, str], timeout: float) -> str:
    """A setup command; its output is shown only when it fails."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=max(timeout, 1),
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"{' '.join(args[1:4])} failed with exit code {done.returncode}")
    return done.stdout


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- What every client has seen ------------------------------------------------------------


class Tracker:
    """For one round: when every client had first seen a state with `voted` >= v, for each v.

    `reached[v]` counts the clients whose highest `voted` seen in this round is at least v
    (v = 0 means the client has seen the round at all); `all_seen[v]` is when it reached the
    number of clients. The round is the first one seen other than `previous_round`.
    """

    def __init__(self, clients: int, members: int, previous_round: Any) -> None:
        self.clients = clients
        self.previous_round = previous_round
        self.round: Any = None
        self.best = [-1] * clients
        self.reached = [0] * (members + 1)
        self.all_seen: list[float | None] = [None] * (members + 1)
        self._waiters: dict[int, asyncio.Future[float]] = {}

    def observe(self, client: int, round_id: Any, voted: int, now: float) -> None:
        if round_id is None or round_id == self.previous_round:
            return
        if self.round is None:
            self.round = round_id
        elif round_id != self.round:
            return
        voted = min(voted, len(self.reached) - 1)
        before = self.best[client]
        if voted <= before:
            return
        self.best[client] = voted
        for v in range(before + 1, voted + 1):
            self.reached[v] += 1
            if self.reached[v] == self.clients:
                self.all_seen[v] = now
                waiter = self._waiters.pop(v, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)

    async def wait(self, v: int, timeout: float) -> float:
        seen = self.all_seen[v]
        if seen is not None:
            return seen
        waiter = self._waiters.get(v)
        if waiter is None:
            waiter = self._waiters[v] = asyncio.get_running_loop().create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            short = sum(1 for best in self.best if best < v)
            raise TimeoutError(
                f"{short} of {self.clients} clients never saw voted >= {v} in {timeout:.0f} s"
            ) from None


def app_state(payload: Any) -> tuple[Any, int]:
    """(round id, voted) from the app's payloads: {"version", "state": {"round": {...}}}, or
    {"version", "text_version", "round": {...}} for `vote_cast`."""
    if not isinstance(payload, dict):
        return None, 0
    round_ = payload.get("round") or (payload.get("state") or {}).get("round")
    if not round_:
        return None, 0
    return round_.get("id"), int(round_.get("voted") or 0)


def reference_state(payload: Any) -> tuple[Any, int]:
    """(round id, voted) from the reference's payload: {"round", "version", "voted", "tally"}."""
    if not isinstance(payload, dict) or not payload.get("round"):
        return None, 0
    return payload["round"], int(payload.get("voted") or 0)


STATE_EVENTS = ("snapshot", "round_opened", "vote_cast", "round_revealed", "round_closed")


class Client:
    """One simulated member (or the moderator): a Socket.IO connection that reports every state
    it receives to the current tracker."""

    def __init__(self, index: int, run: Target) -> None:
        import socketio

        self.index = index
        self.run = run
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=60)
        self.received = 0
        self.last: Any = None  # the latest state received (its size is reported)
        for event in STATE_EVENTS:
            self.sio.on(event, self._on_state)

    def _on_state(self, payload: Any = None) -> None:
        now = time.perf_counter()
        self.received += 1
        self.last = payload
        tracker = self.run.tracker
        if tracker is not None:
            round_id, voted = self.run.extract(payload)
            tracker.observe(self.index, round_id, voted, now)

    async def connect(self, url: str, cookie: str | None) -> None:
        headers = {"Cookie": cookie} if cookie else {}
        await self.sio.connect(url, headers=headers, transports=["websocket"], wait_timeout=30)

    async def disconnect(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


@dataclass
class Target:
    """One server under test and its clients (members first, the moderator last)."""

    name: str
    extract: Callable[[Any], tuple[Any, int]]
    clients: list[Client] = field(default_factory=list)
    tracker: Tracker | None = None
    last_round: Any = None
    proposal_id: int = 0  # the app's proposal (the reference ignores it)
    server_pid: int = 0


@dataclass
class Phase:
    latencies: list[float]  # seconds, one per vote
    final: float = 0.0  # burst: first emit -> every client saw voted == N
    busy: float = 0.0  # burst: first emit -> last acknowledgement
    messages: int = 0  # state messages the clients received during the phase
    wall: float = 0.0  # seconds the phase took, round opening and withdrawal included
    server_cpu: float = 0.0  # CPU seconds the server used meanwhile
    loadgen_cpu: float = 0.0  # CPU seconds this process (the load generator) used meanwhile
    machine_cpu: float = 0.0  # CPU seconds the whole machine used meanwhile (all processes)
    steal: float = 0.0  # CPU seconds the hypervisor gave to other machines meanwhile
    message_bytes: int = 0  # size of the last state message (JSON), i.e. with voted == N


# --- Loads -----------------------------------------------------------------------------------


async def open_round(target: Target, members: int, vote_timeout: float) -> tuple[Any, Tracker]:
    """The moderator opens a new round; returns once every client has seen it (voted 0)."""
    tracker = Tracker(len(target.clients), members, target.last_round)
    target.tracker = tracker
    moderator = target.clients[-1]
    ack = await moderator.sio.call("open_round", {"proposal_id": target.proposal_id}, timeout=30)
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"{target.name}: open_round refused: {ack!r}")
    await tracker.wait(0, vote_timeout)
    if tracker.round != ack["round_id"]:
        raise RuntimeError(f"{target.name}: clients saw round {tracker.round}, not {ack}")
    target.last_round = tracker.round
    return ack["round_id"], tracker


async def withdraw_round(target: Target, round_id: Any) -> None:
    """The moderator ends the round (the next phase opens a new one)."""
    target.tracker = None
    ack = await target.clients[-1].sio.call("withdraw_round", {"round_id": round_id}, timeout=30)
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"{target.name}: withdraw_round refused: {ack!r}")


def _vote(round_id: Any) -> dict[str, Any]:
    return {"round_id": round_id, "choice": "up", "request_id": uuid.uuid4().hex}


def _check_ack(target: Target, ack: Any) -> None:
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"{target.name}: a vote was refused: {ack!r}")


async def sequential(target: Target, members: int, vote_timeout: float) -> Phase:
    round_id, tracker = await open_round(target, members, vote_timeout)
    received = sum(c.received for c in target.clients)
    acks: list[Any] = []
    latencies = []
    for k in range(1, members + 1):
        client = target.clients[k - 1]
        emitted = time.perf_counter()
        await client.sio.emit("cast_vote", _vote(round_id), callback=acks.append)
        seen = await tracker.wait(k, vote_timeout)
        latencies.append(seen - emitted)
    deadline = time.perf_counter() + vote_timeout
    while len(acks) < members and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    if len(acks) < members:
        raise RuntimeError(f"{target.name}: {members - len(acks)} votes never acknowledged")
    for ack in acks:
        _check_ack(target, ack)
    messages = sum(c.received for c in target.clients) - received
    await withdraw_round(target, round_id)
    return Phase(latencies, messages=messages)


async def burst(target: Target, members: int, vote_timeout: float) -> Phase:
    round_id, tracker = await open_round(target, members, vote_timeout)
    received = sum(c.received for c in target.clients)
    emitted = [0.0] * members
    acked_at = [0.0] * members
    rank = [0] * members  # acknowledged votes when this one's acknowledgement arrived
    acks: list[Any] = []
    all_acked = asyncio.get_running_loop().create_future()

    def on_ack(i: int) -> Callable[..., None]:
        def callback(ack: Any = None) -> None:
            acked_at[i] = time.perf_counter()
            acks.append(ack)
            rank[i] = len(acks)
            if len(acks) == members and not all_acked.done():
                all_acked.set_result(None)

        return callback

    start = time.perf_counter()
    for i in range(members):  # queued back to back; each client's writer sends at once
        emitted[i] = time.perf_counter()
        await target.clients[i].sio.emit("cast_vote", _vote(round_id), callback=on_ack(i))
    final = await tracker.wait(members, vote_timeout)
    await asyncio.wait_for(all_acked, vote_timeout)
    for ack in acks:
        _check_ack(target, ack)
    latencies = []
    for i in range(members):
        seen = tracker.all_seen[rank[i]]
        assert seen is not None  # noqa: S101 - every count up to N was seen (waited above)
        latencies.append(max(0.0, seen - emitted[i]))
    messages = sum(c.received for c in target.clients) - received
    await withdraw_round(target, round_id)
    return Phase(
        latencies,
        final=final - start,
        busy=max(acked_at) - start,
        messages=messages,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine so far, all cores (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / tick, steal / tick


async def timed(target: Target, load: Callable[[], Any]) -> Phase:
    """Run one phase with the load generator's garbage collector paused (its pauses would show
    up as latency of whichever server is measured), and account the CPU both sides used."""
    gc.collect()
    gc.freeze()
    gc.disable()
    wall, server, own = time.perf_counter(), cpu_seconds(target.server_pid), time.process_time()
    machine, steal = machine_seconds()
    try:
        phase: Phase = await load()
    finally:
        gc.enable()
        gc.unfreeze()
    phase.wall = time.perf_counter() - wall
    phase.server_cpu = cpu_seconds(target.server_pid) - server
    phase.loadgen_cpu = time.process_time() - own
    machine_after, steal_after = machine_seconds()
    phase.machine_cpu, phase.steal = machine_after - machine, steal_after - steal
    phase.message_bytes = len(json.dumps(target.clients[0].last, separators=(",", ":")))
    return phase


async def measure(target: Target, members: int, vote_timeout: float) -> tuple[Phase, Phase]:
    log(f"{target.name}: sequential round ({members} votes, one at a time)")
    seq = await timed(target, lambda: sequential(target, members, vote_timeout))
    log(f"{target.name}: burst round ({members} votes at once)")
    bst = await timed(target, lambda: burst(target, members, vote_timeout))
    return seq, bst


# --- Connecting ------------------------------------------------------------------------------


async def sign_in(base: str, email: str, password: str) -> str:
    """Sign in like a browser; returns the Cookie header carrying the session."""
    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/login") as response:
            page = await response.text()
        match = CSRF.search(page)
        if match is None:
            raise RuntimeError("no csrf_token on /login")
        form = {"email": email, "password": password, "csrf_token": match[1] or match[2]}
        async with http.post(f"{base}/login", data=form, allow_redirects=False) as response:
            if response.status != 302:
                raise RuntimeError(f"sign-in of {email} answered {response.status}")
        cookies = {c.key: c.value for c in jar}
    if "teamwork_session" not in cookies:
        raise RuntimeError(f"sign-in of {email} set no teamwork_session cookie")
    return f"teamwork_session={cookies['teamwork_session']}"


async def gather_limited(jobs: list[Callable[[], Any]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Any]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


async def connect_all(target: Target, url: str, cookies: list[str | None]) -> None:
    target.clients = [Client(i, target) for i in range(len(cookies))]
    jobs = [
        (lambda c=client, k=cookie: c.connect(url, k))
        for client, cookie in zip(target.clients, cookies, strict=True)
    ]
    await gather_limited(jobs, 16)


async def disconnect_all(target: Target) -> None:
    await asyncio.gather(*(c.disconnect() for c in target.clients))
    target.clients = []


async def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            _reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        return
    raise RuntimeError(f"nothing listening on {HOST}:{port} after {timeout:.0f} s")


# --- Figures ---------------------------------------------------------------------------------


def p99(values: list[float]) -> float:
    """Nearest-rank 99th percentile, in milliseconds."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] * 1000


def p50(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.50 * len(ordered)) - 1)] * 1000


STEAL_LIMIT_S = 0.1


def describe(name: str, seq: Phase, bst: Phase, members: int) -> list[str]:
    lines = [
        f"{name:9} sequential  p50 {p50(seq.latencies):7.1f} ms  p99 {p99(seq.latencies):7.1f} ms"
        f"  max {max(seq.latencies) * 1000:7.1f} ms",
        f"{name:9} burst       p50 {p50(bst.latencies):7.1f} ms  p99 {p99(bst.latencies):7.1f} ms"
        f"  max {max(bst.latencies) * 1000:7.1f} ms",
        f"{name:9} burst       final tally seen by all after {bst.final * 1000:.1f} ms;"
        f" last ack after {bst.busy * 1000:.1f} ms ({members / bst.busy:.0f} votes/s)",
    ]
    for label, phase in (("sequential", seq), ("burst", bst)):
        others = phase.machine_cpu - phase.server_cpu - phase.loadgen_cpu
        lines.append(
            f"{name:9} {label:11} {phase.wall:.2f} s; CPU s: server {phase.server_cpu:.2f},"
            f" load generator {phase.loadgen_cpu:.2f}, rest of the machine {others:.2f}"
            f" (stolen {phase.steal:.2f}); {phase.messages} messages received,"
            f" last one {phase.message_bytes} bytes"
        )
        if others > 0.25 * phase.wall:
            lines.append(
                f"{name:9} {label:11} NOTE: other processes used {others:.2f} CPU s of the 2"
                " cores meanwhile; this phase's figures are disturbed"
            )
        # On a virtual machine the host can take the CPU away; a tenth of a second of it lands
        # on a few votes, which is all a p99 of 200 votes looks at.
        if phase.steal > STEAL_LIMIT_S:
            lines.append(
                f"{name:9} {label:11} NOTE: the host took {phase.steal:.2f} CPU s from this"
                " machine meanwhile; this phase's figures are disturbed"
            )
    return lines


def count_votes(database: Path) -> dict[int, int]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows = conn.execute("SELECT round_id, COUNT(*) FROM votes GROUP BY round_id").fetchall()
    return {int(round_id): int(count) for round_id, count in rows}


# --- The run ---------------------------------------------------------------------------------


@dataclass
class Settings:
    members: int
    timeout: float
    vote_timeout: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        left = self.timeout - (time.monotonic() - self.started)
        if left <= 0:
            raise TimeoutError(f"the benchmark ran out of its {self.timeout:.0f} s")
        return left


def bench(settings: Settings, children: Children, workdir: Path) -> dict[str, Any]:
    members = settings.members
    python = sys.executable
    instance = workdir / "instance"
    instance.mkdir()
    database = instance / "teamwork.db"
    password = uuid.uuid4().hex
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TEAMWORK_") or key == "TEAMWORK_BROADCAST_WINDOW_MS"
    }
    env.update(
        TEAMWORK_INSTANCE_PATH=str(instance),
        TEAMWORK_DATABASE_URL=f"sqlite:///{database}",
        # Fast sign-in for hundreds of members; production keeps the slow defaults.
        TEAMWORK_ARGON2_TIME_COST="1",
        TEAMWORK_ARGON2_MEMORY_KIB="64",
        TEAMWORK_LOG_LEVEL="WARNING",
        BENCH_PASSWORD=password,
        HOST=HOST,
        PYTHONUNBUFFERED="1",
    )
    window = env.get("TEAMWORK_BROADCAST_WINDOW_MS", "50 (default)")
    log(f"{members} members; app broadcast window {window} ms; temporary folder {workdir}")

    log("app: flask db upgrade")
    run_step([python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, settings.remaining())
    log("app: seeding the team, its members and a proposal")
    seeded = json.loads(
        run_step([python, "-m", "bench.seed", str(members)], env, settings.remaining())
        .strip()
        .splitlines()[-1]
    )
    proposal_id = int(seeded["proposal_id"])

    app_port = free_port()
    app_log = workdir / "app-server.log"
    app_env = {**env, "PORT": str(app_port)}
    app_proc = children.start([python, "wsgi.py"], app_env, app_log)
    app = Target("app", app_state, proposal_id=proposal_id, server_pid=app_proc.pid)
    base = f"http://{HOST}:{app_port}"

    async def run_app() -> tuple[Phase, Phase]:
        await wait_listening(app_port, app_proc, 60)
        log(f"app: signing in {members + 1} accounts over HTTP")
        emails = [*seeded["members"], seeded["moderator"]]
        cookies = await gather_limited(
            [(lambda e=email: sign_in(base, e, password)) for email in emails], 8
        )
        log(f"app: connecting {members + 1} Socket.IO clients")
        try:
            await connect_all(app, f"{base}/?proposal={proposal_id}", cookies)
            return await measure(app, members, settings.vote_timeout)
        finally:
            await disconnect_all(app)

    try:
        app_seq, app_burst = asyncio.run(asyncio.wait_for(run_app(), settings.remaining()))
    except BaseException:
        sys.stderr.write(f"--- app server log (last lines)\n{tail(app_log)}\n")
        raise
    children.stop(app_proc)
    if app_proc.returncode not in (0, -signal.SIGTERM):
        log(f"app server exited with {app_proc.returncode}:\n{tail(app_log)}")
    stored = count_votes(database)
    log(f"app: votes stored per round: {stored}")

    ref_port = free_port()
    ref_log = workdir / "reference-server.log"
    ref_proc = children.start(
        [python, "-m", "bench.reference"], {**env, "PORT": str(ref_port)}, ref_log
    )
    ref = Target("reference", reference_state, server_pid=ref_proc.pid)

    async def run_reference() -> tuple[Phase, Phase]:
        await wait_listening(ref_port, ref_proc, 60)
        log(f"reference: connecting {members + 1} Socket.IO clients")
        try:
            await connect_all(ref, f"http://{HOST}:{ref_port}/", [None] * (members + 1))
            return await measure(ref, members, settings.vote_timeout)
        finally:
            await disconnect_all(ref)

    try:
        ref_seq, ref_burst = asyncio.run(asyncio.wait_for(run_reference(), settings.remaining()))
    except BaseException:
        sys.stderr.write(f"--- reference server log (last lines)\n{tail(ref_log)}\n")
        raise
    children.stop(ref_proc)

    for line in [
        *describe("app", app_seq, app_burst, members),
        *describe("reference", ref_seq, ref_burst, members),
    ]:
        print(line, flush=True)

    rounds = sorted(stored)
    if len(rounds) != 2 or any(stored[r] != members for r in rounds):
        raise RuntimeError(f"expected {members} votes stored in each of 2 rounds, got {stored}")
    seq_app, seq_ref = p99(app_seq.latencies), p99(ref_seq.latencies)
    burst_app, burst_ref = p99(app_burst.latencies), p99(ref_burst.latencies)
    return {
        "members": members,
        "seq_app_p99_ms": round(seq_app, 1),
        "seq_ref_p99_ms": round(seq_ref, 1),
        "seq_ratio_p99": round(seq_app / seq_ref, 2),
        "burst_app_p99_ms": round(burst_app, 1),
        "burst_ref_p99_ms": round(burst_ref, 1),
        "burst_ratio_p99": round(burst_app / burst_ref, 2),
        "votes_per_s": round(members / app_burst.busy, 1),
        "votes_stored": stored[rounds[-1]],
    }


def run_bench(
    bench: Callable[[Settings, Children, Path], dict[str, Any]], settings: Settings, prefix: str
) -> int:
    """Run `bench` with its children, a work folder and a watchdog, as every `make bench*`
    does: prints its result as the last line (one JSON object); 1 when it failed."""
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix=prefix))

    def clean_up() -> None:
        children.stop_all(grace=3)
        shutil.rmtree(workdir, ignore_errors=True)

    def backstop() -> None:  # the run hung past its budget: stop everything, exit at once
        log(f"still running after {settings.timeout + 30:.0f} s; stopping")
        clean_up()
        os._exit(124)

    def terminate(_signum: int, _frame: Any) -> None:
        # Handled as Ctrl+C: asyncio cancels the running load (clients disconnect), then the
        # clean-up below runs.
        os.kill(os.getpid(), signal.SIGINT)

    # SIGINT may arrive ignored (a background job of a non-interactive shell): restore Ctrl+C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, terminate)
    watchdog = threading.Timer(settings.timeout + 30, backstop)
    watchdog.daemon = True
    watchdog.start()
    try:
        result = bench(settings, children, workdir)
    except (Exception, TimeoutError) as exc:
        reason = str(exc) or f"the run did not finish within BENCH_TIMEOUT ({settings.timeout} s)"
        log(f"FAILED: {type(exc).__name__}: {reason}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted")
        return 130
    finally:
        watchdog.cancel()
        clean_up()
    print(json.dumps(result), flush=True)
    return 0


def main() -> int:
    settings = Settings(
        members=env_int("BENCH_MEMBERS", 200),
        timeout=env_int("BENCH_TIMEOUT", 240),
        vote_timeout=env_int("BENCH_VOTE_TIMEOUT", 30),
    )
    return run_bench(bench, settings, "teamwork-bench-")


if __name__ == "__main__":
    sys.exit(main())
