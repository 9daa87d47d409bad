"""`make bench-flood`: can one member's socket flood a meeting? Others' votes' latency with
and without a member sending `cast_vote` as fast as a socket will carry it.

The real server as `make bench` starts it (`python wsgi.py`: gevent, SQLite, one process):
one team of BENCH_MEMBERS (50) members and a moderator, all signed in and connected over
WebSocket. Member 1 votes first; then members 2..N vote one after another (as in `make
bench`'s sequential round), in a quiet round and in a flooded one, BENCH_FLOOD_ROUNDS (3) of
each. In a flooded round a separate process, signed in as member 1 on a socket of its own,
sends BENCH_FLOOD_EVENTS (500) `cast_vote`s back to back (each changing the vote), again
every BENCH_FLOOD_EVERY_MS (250 ms), until the round ends: the attack of issue #15 (500 in
8 ms), kept up for the whole round. A vote's latency is from its emit until every client has
seen it counted (bench/run.py's Tracker).

Printed: both p99s (the aim: others' votes under 100 ms p99 during the flood), how the
flood's events were answered (stored, `rate_limited`, other), and the CPU the flooding
process used; the last line is one JSON object. BENCH_TIMEOUT (300) bounds the whole run.
docs/performance.md records the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench.run import (
    HOST,
    Children,
    Phase,
    Settings,
    Target,
    app_state,
    connect_all,
    disconnect_all,
    env_int,
    free_port,
    gather_limited,
    log,
    open_round,
    p50,
    p99,
    run_bench,
    run_step,
    sign_in,
    tail,
    wait_listening,
    withdraw_round,
)


class Flooder:
    """The flooding member, in a process of its own (its encoding must not slow the process
    that watches the votes)."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.args = [sys.executable, "-m", "bench.flood", "--flood", base]
        self.setup = {"email": email, "password": password}
        self.answers: Counter[str] = Counter()
        self.sent = 0
        self.reconnections = 0
        self.cpu_seconds = 0.0
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self, proposal_id: int, round_id: int) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        stdin, stdout = self._proc.stdin, self._proc.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the flooding process has no pipes")
        setup = {**self.setup, "proposal_id": proposal_id, "round_id": round_id}
        stdin.write((json.dumps(setup) + "\n").encode())
        await stdin.drain()
        line = await asyncio.wait_for(stdout.readline(), 60)
        if line.strip() != b"started":
            raise RuntimeError(f"the flooding process did not start: {line!r}")

    async def stop(self) -> None:
        if self._proc is None or self._proc.stdin is None:
            raise RuntimeError("the flooding process was not started")
        self._proc.stdin.write(b"stop\n")
        out, _err = await self._proc.communicate()
        result = json.loads(out.decode().strip().splitlines()[-1])
        self.answers.update(result["answers"])
        self.sent += result["sent"]
        self.reconnections += result["reconnections"]
        self.cpu_seconds += result["cpu_seconds"]


async def _flood(base: str) -> None:
    """The child: floods until a line arrives on stdin; prints how the events were answered."""
    import socketio

    loop = asyncio.get_running_loop()
    setup = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    events, every = env_int("BENCH_FLOOD_EVENTS", 500), env_int("BENCH_FLOOD_EVERY_MS", 250)
    cookie = await sign_in(base, setup["email"], setup["password"])
    url = f"{base}/?proposal={setup['proposal_id']}"

    async def connect() -> Any:
        client = socketio.AsyncClient(reconnection=False, request_timeout=60)
        headers = {"Cookie": cookie}
        await client.connect(url, headers=headers, transports=["websocket"], wait_timeout=30)
        return client

    sio = await connect()
    answers: Counter[str] = Counter()
    sent = connections = 0

    def answered(ack: Any = None) -> None:
        if isinstance(ack, dict) and ack.get("ok"):
            answers["stored"] += 1
        elif isinstance(ack, dict) and isinstance(ack.get("error"), dict):
            code = str(ack["error"].get("code"))
            if code not in answers and code != "rate_limited":
                sys.stderr.write(f"[flood] first {code}: {ack['error'].get('message')}\n")
            answers[code] += 1
        else:
            answers["other"] += 1

    stop = loop.run_in_executor(None, sys.stdin.readline)
    cpu = time.process_time()
    print("started", flush=True)
    choices = ("sideways", "up")  # each a change of mind (a thumbs down needs a reason)
    while not stop.done():
        if not sio.connected:  # the server closed it: a determined flooder comes straight back
            sio = await connect()
            connections += 1
        for _ in range(events):
            vote = {
                "round_id": setup["round_id"],
                "choice": choices[sent % 2],
                "request_id": uuid.uuid4().hex,
            }
            try:
                await sio.emit("cast_vote", vote, callback=answered)
            except socketio.exceptions.SocketIOError:
                break
            sent += 1
        await asyncio.wait([stop], timeout=every / 1000)
    await asyncio.sleep(1)  # the last answers
    await sio.disconnect()
    result = {
        "answers": dict(answers),
        "sent": sent,
        "reconnections": connections,
        "cpu_seconds": time.process_time() - cpu,
    }
    print(json.dumps(result), flush=True)


async def others_vote(target: Target, members: int, vote_timeout: float, flooder: Any) -> Phase:
    """Member 1 votes; then, with `flooder` (or nothing) going, members 2..N one by one."""
    round_id, tracker = await open_round(target, members, vote_timeout)
    first = await target.clients[0].sio.call("cast_vote", _vote(round_id), timeout=30)
    if not (isinstance(first, dict) and first.get("ok")):
        raise RuntimeError(f"member 1's vote was refused: {first!r}")
    await tracker.wait(1, vote_timeout)
    if flooder is not None:
        await flooder.start(target.proposal_id, round_id)
    latencies, acks = [], []
    try:
        for k in range(2, members + 1):
            emitted = time.perf_counter()
            await target.clients[k - 1].sio.emit("cast_vote", _vote(round_id), callback=acks.append)
            latencies.append(await tracker.wait(k, vote_timeout) - emitted)
    finally:
        if flooder is not None:
            await flooder.stop()
    deadline = time.perf_counter() + vote_timeout
    while len(acks) < members - 1 and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    refused = [ack for ack in acks if not (isinstance(ack, dict) and ack.get("ok"))]
    if len(acks) < members - 1 or refused:
        raise RuntimeError(f"others' votes not all stored: {len(acks)} answers, {refused[:3]}")
    await withdraw_round(target, round_id)
    return Phase(latencies)


def _vote(round_id: Any) -> dict[str, Any]:
    return {"round_id": round_id, "choice": "up", "request_id": uuid.uuid4().hex}


def bench(settings: Settings, children: Children, workdir: Path) -> dict[str, Any]:
    members = settings.members
    rounds = env_int("BENCH_FLOOD_ROUNDS", 3)
    python = sys.executable
    instance = workdir / "instance"
    instance.mkdir()
    password = uuid.uuid4().hex
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEAMWORK_")}
    env.update(
        TEAMWORK_INSTANCE_PATH=str(instance),
        TEAMWORK_DATABASE_URL=f"sqlite:///{instance / 'teamwork.db'}",
        TEAMWORK_LOG_LEVEL="WARNING",
        # Cheap password hashing: what is measured here is the socket, not sign-ins.
        TEAMWORK_ARGON2_TIME_COST="1",
        TEAMWORK_ARGON2_MEMORY_KIB="1024",
        HOST=HOST,
        PYTHONUNBUFFERED="1",
    )  # the socket limits at their production defaults: that is what is measured
    log(f"{members} members, {rounds} rounds of each kind; member 1 floods in the loaded ones")
    run_step([python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, settings.remaining())
    seeded = json.loads(
        run_step(
            [python, "-m", "bench.seed", str(members)],
            {**env, "BENCH_PASSWORD": password},
            settings.remaining(),
        )
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    app_log = workdir / "app-server.log"
    proc = children.start([python, "wsgi.py"], {**env, "PORT": str(port)}, app_log)
    app = Target("app", app_state, proposal_id=int(seeded["proposal_id"]), server_pid=proc.pid)
    base = f"http://{HOST}:{port}"
    quiet: list[float] = []
    flooded: list[float] = []
    flooder = Flooder(base, seeded["members"][0], password)

    async def run() -> None:
        await wait_listening(port, proc, 60)
        emails = [*seeded["members"], seeded["moderator"]]
        log(f"signing in and connecting {len(emails)} accounts")
        cookies = await gather_limited(
            [(lambda e=email: sign_in(base, e, password)) for email in emails], 4
        )
        await connect_all(app, f"{base}/?proposal={app.proposal_id}", cookies)
        try:
            for n in range(1, rounds + 1):
                log(f"round {n}: quiet")
                phase = await others_vote(app, members, settings.vote_timeout, None)
                quiet.extend(phase.latencies)
                log(f"round {n}: member 1 flooding")
                phase = await others_vote(app, members, settings.vote_timeout, flooder)
                flooded.extend(phase.latencies)
        finally:
            await disconnect_all(app)

    try:
        asyncio.run(asyncio.wait_for(run(), settings.remaining()))
    except BaseException:
        sys.stderr.write(f"--- app server log (last lines)\n{tail(app_log)}\n")
        raise
    children.stop(proc)
    if proc.returncode not in (0, -signal.SIGTERM):
        log(f"app server exited with {proc.returncode}:\n{tail(app_log)}")
    quiet_p99, flooded_p99 = p99(quiet), p99(flooded)
    answers = ", ".join(f"{n} {code}" for code, n in flooder.answers.most_common())
    lines = [
        f"votes, quiet           p50 {p50(quiet):7.1f} ms  p99 {quiet_p99:7.1f} ms"
        f"  max {max(quiet) * 1000:7.1f} ms  ({len(quiet)} votes)",
        f"votes, while flooded   p50 {p50(flooded):7.1f} ms  p99 {flooded_p99:7.1f} ms"
        f"  max {max(flooded) * 1000:7.1f} ms  ({len(flooded)} votes; the aim: p99 < 100 ms)",
        f"the flood              {flooder.sent} cast_vote sent; answered: {answers};"
        f" {flooder.reconnections} reconnections after the server closed the socket",
        f"the flooding process   {flooder.cpu_seconds:.1f} s of CPU",
    ]
    for line in lines:
        print(line, flush=True)
    return {
        "members": members,
        "votes_each": len(quiet),
        "quiet_p99_ms": round(quiet_p99, 1),
        "flooded_p99_ms": round(flooded_p99, 1),
        "flooded_max_ms": round(max(flooded) * 1000, 1),
        "flood_sent": flooder.sent,
        "flood_answers": dict(flooder.answers),
        "flood_reconnections": flooder.reconnections,
        "flooder_cpu_s": round(flooder.cpu_seconds, 2),
    }


def main() -> int:
    if sys.argv[1:2] == ["--flood"]:
        asyncio.run(_flood(sys.argv[2]))
        return 0
    settings = Settings(
        members=env_int("BENCH_MEMBERS", 50),
        timeout=env_int("BENCH_TIMEOUT", 300),
        vote_timeout=env_int("BENCH_VOTE_TIMEOUT", 30),
    )
    return run_bench(bench, settings, "teamwork-bench-flood-")


if __name__ == "__main__":
    sys.exit(main())
