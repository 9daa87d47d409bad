"""`make serve-cluster`: several worker processes sharing PostgreSQL and Redis, for local trials.

Runs `flask db upgrade` and `flask demo` once, then starts WORKERS copies of `python wsgi.py` on
consecutive ports from PORT (5000, 5001, ...) and one background worker (`flask worker`: queued
email, reminders, the purge), prints their addresses and waits. Ctrl+C (or SIGTERM) stops every
process it started, by process id. A process that exits stops the others.

Environment (the Makefile passes its variables through):

- WORKERS (2), HOST (127.0.0.1), PORT (5000);
- TEAMWORK_DATABASE_URL (postgresql+psycopg://postgres@127.0.0.1:5432/test);
- TEAMWORK_MESSAGE_QUEUE (redis://127.0.0.1:6379/0);
- any other TEAMWORK_* setting (docs/configuration.md) passes through to every worker.

All workers use the same instance folder, hence the same generated secret key: `flask db upgrade`
creates `<instance folder>/secret_key` before any worker starts (unless TEAMWORK_SECRET_KEY is
set), so the workers only read it. This is a trial setup: docs/deploy.md describes production.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_QUEUE = "redis://127.0.0.1:6379/0"


def fail(message: str) -> None:
    print(f"serve-cluster: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def number(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < minimum:
        fail(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
    return int(raw)


def flask(env: dict[str, str], *args: str) -> None:
    print(f"serve-cluster: flask --app wsgi {' '.join(args)}", flush=True)
    done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=False
    )
    if done.returncode != 0:
        fail(f"`flask {' '.join(args)}` failed (exit code {done.returncode})")


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                worker.send_signal(signal.SIGINT)  # serve.py stops gracefully on Ctrl+C
    deadline = time.monotonic() + 5
    for worker in workers:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


def main() -> None:
    count = number("WORKERS", 2, 1)
    first = number("PORT", 5000, 1)
    if first + count - 1 > 65535:
        fail("PORT + WORKERS - 1 must be at most 65535")
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    env = dict(os.environ)
    env["TEAMWORK_DATABASE_URL"] = env.get("TEAMWORK_DATABASE_URL", "").strip() or DEFAULT_DATABASE
    env["TEAMWORK_MESSAGE_QUEUE"] = env.get("TEAMWORK_MESSAGE_QUEUE", "").strip() or DEFAULT_QUEUE
    if env["TEAMWORK_DATABASE_URL"].startswith("sqlite"):
        fail("several workers need a shared database: set TEAMWORK_DATABASE_URL to PostgreSQL")
    print(f"serve-cluster: database {env['TEAMWORK_DATABASE_URL']}", flush=True)
    print(f"serve-cluster: message queue {env['TEAMWORK_MESSAGE_QUEUE']}", flush=True)

    flask(env, "db", "upgrade")  # also creates the instance folder's secret key, once
    flask(env, "demo")

    workers: list[subprocess.Popen[bytes]] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for port in range(first, first + count):
            worker_env = {**env, "HOST": host, "PORT": str(port)}
            workers.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                    [sys.executable, "wsgi.py"],
                    cwd=ROOT,
                    env=worker_env,
                    # Own process group: Ctrl+C in the terminal reaches this script only, which
                    # then stops each worker itself.
                    start_new_session=True,
                )
            )
        # One background worker beside the web workers (more would be safe: each job
        # occurrence and each email is claimed in the database by exactly one of them).
        workers.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        )
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
        print(
            f"serve-cluster: {count} web workers and a background worker sharing the database"
            " and Redis:",
            flush=True,
        )
        for port in range(first, first + count):
            print(f"  http://{shown}:{port}/", flush=True)
        print("serve-cluster: Ctrl+C stops them all.", flush=True)
        while not stopping:
            exited = [w for w in workers if w.poll() is not None]
            if exited:
                print(
                    f"serve-cluster: worker {exited[0].pid} exited with code "
                    f"{exited[0].returncode}; stopping the others.",
                    file=sys.stderr,
                    flush=True,
                )
                stop(workers)
                raise SystemExit(1)
            time.sleep(0.5)
    finally:
        stop(workers)
    print("serve-cluster: all workers stopped.", flush=True)


if __name__ == "__main__":
    main()
