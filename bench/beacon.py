"""`make bench-beacon`: what the version beacon costs a worker holding 1,000 idle connections.

One worker of the real server (`python wsgi.py`, gevent, SQLite in a temporary instance folder)
with 1,000 WebSocket connections (BENCH_MEMBERS) in 50 proposal rooms (BENCH_MEETINGS): each
team's lead signs in once and opens its share of the connections to its team's proposal. Nothing
else happens: the worker's CPU time over BENCH_WINDOW seconds (60) is measured twice, with the
beacon every TEAMWORK_LIVE_BEACON_SECONDS=5 (the default) and with it practically off (3600 s),
on a fresh worker each time. The beacon goes to the worker's own clients only (not through the
message queue), so Redis is left out. Reported: the worker's CPU share of one core in each run,
the difference per beacon pass, and the beacons the clients counted.

The last line printed is one JSON object. Everything it starts is stopped, and the temporary
folder is gone afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import (
    HOST,
    Children,
    cpu_seconds,
    env_int,
    free_port,
    gather_limited,
    log,
    run_step,
    sign_in,
    wait_listening,
)

PASSWORD = "bench beacon passphrase"  # noqa: S105 - a throwaway database's only account


async def one_run(
    children: Children, env: dict[str, str], seed: dict[str, Any], beacon: int, window: int
) -> dict[str, Any]:
    import socketio

    port = free_port()
    worker_env = {**env, "TEAMWORK_LIVE_BEACON_SECONDS": str(beacon), "PORT": str(port)}
    logfile = Path(env["TEAMWORK_INSTANCE_PATH"]) / f"worker-{beacon}.log"
    proc = children.start([sys.executable, "wsgi.py"], worker_env, logfile)
    clients: list[Any] = []
    beacons = [0]
    try:
        await wait_listening(port, proc, 60)
        base = f"http://{HOST}:{port}"
        meetings = seed["meetings"]
        per_room = env_int("BENCH_MEMBERS", 1000) // len(meetings)
        cookies = await gather_limited(
            [(lambda m=m: sign_in(base, m["lead"], PASSWORD)) for m in meetings], 8
        )

        def counted(_payload: Any = None) -> None:
            beacons[0] += 1

        jobs = []
        for meeting, cookie in zip(meetings, cookies, strict=True):
            for _ in range(per_room):
                client = socketio.AsyncClient(reconnection=False, request_timeout=60)
                client.on("version_announced", counted)
                clients.append(client)
                url = f"{base}/?proposal={meeting['proposal_id']}"
                jobs.append(
                    lambda c=client, u=url, k=cookie: c.connect(
                        u, headers={"Cookie": k}, transports=["websocket"], wait_timeout=60
                    )
                )
        await gather_limited(jobs, 16)
        log(f"beacon {beacon} s: {len(clients)} connections open; settling")
        await asyncio.sleep(5)
        start_cpu, start_wall = cpu_seconds(proc.pid), time.perf_counter()
        beacons[0] = 0
        await asyncio.sleep(window)
        cpu = cpu_seconds(proc.pid) - start_cpu
        wall = time.perf_counter() - start_wall
        return {
            "beacon_s": beacon,
            "connections": len(clients),
            "worker_cpu_share": round(cpu / wall, 4),
            "beacons_received": beacons[0],
        }
    finally:
        await asyncio.gather(
            *(asyncio.wait_for(c.disconnect(), 5) for c in clients), return_exceptions=True
        )
        children.stop(proc)


async def bench(children: Children, workdir: Path) -> dict[str, Any]:
    members, meetings = env_int("BENCH_MEMBERS", 1000), env_int("BENCH_MEETINGS", 50)
    window = env_int("BENCH_WINDOW", 60)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMWORK_")}
    env.update(
        TEAMWORK_INSTANCE_PATH=str(workdir),
        TEAMWORK_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        TEAMWORK_ARGON2_TIME_COST="1",
        TEAMWORK_ARGON2_MEMORY_KIB="64",
        TEAMWORK_LOG_LEVEL="WARNING",
        TEAMWORK_LOGIN_LIMIT_ADDRESS="100000 per minute",
        TEAMWORK_RATELIMIT_STORAGE_URL="memory://",
        BENCH_PASSWORD=PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    python = sys.executable
    run_step([python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env, 120)
    seeding = [python, "-m", "bench.seed", "--meetings", str(meetings), str(members)]
    out = run_step(seeding, env, 300)
    seed = json.loads(out.strip().splitlines()[-1])
    on = await one_run(children, env, seed, 5, window)
    off = await one_run(children, env, seed, 3600, window)
    passes = window / 5
    extra = on["worker_cpu_share"] - off["worker_cpu_share"]
    return {
        "connections": on["connections"],
        "rooms": meetings,
        "window_s": window,
        "cpu_share_beacon_5s": on["worker_cpu_share"],
        "cpu_share_beacon_off": off["worker_cpu_share"],
        "ms_per_beacon_pass": round(extra * window / passes * 1000, 1),
        "beacons_received": on["beacons_received"],
        "beacons_expected": on["connections"] * int(passes),
    }


def main() -> int:
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix="teamwork-bench-beacon-"))
    try:
        result = asyncio.run(bench(children, workdir))
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
