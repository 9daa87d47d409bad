"""Registering jobs, running each occurrence exactly once, and the worker that fires them.

A job is a state-driven sweep: a function that finds in the database everything due and does
it (the reminders due today, the emails due now, the rows past retention), and returns a line
for the log. So a run missed while every worker was down is no loss: the next run finds the
same work still due. The worker (`flask worker`, `run_worker`) fires the jobs with APScheduler
(a BlockingScheduler, in-memory: the schedule is code, not data) and, at start, runs each job's
latest occurrence at once (`catch_up`), which is the catch-up after a down time.

Several workers may run at once (two machines, a restart overlapping the old process): each
occurrence is claimed first by inserting its `JobRun` row, unique per (job, occurrence), in a
transaction of its own; a worker whose insert fails skips it. That holds on SQLite and
PostgreSQL alike, since it rests only on a unique constraint. A worker that dies while running
a job leaves the occurrence claimed and unfinished: it is not run again, and the next occurrence
does the sweep (the row, with no `finished_at`, shows it in `flask jobs`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.jobs.models import JobRun
from teamwork.jobs.rules import EPOCH, Daily, Every, Schedule

log = logging.getLogger("teamwork.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], str | None]  # runs inside an app context; returns a summary or None
    schedule: Schedule


_JOBS: dict[str, Job] = {}


def register_job(name: str, func: Callable[[], str | None], trigger: Schedule) -> Job:
    """Have the worker run `func` on `trigger` (`Every(seconds)` or `Daily(hour, zone)`).
    Registering a name again replaces the job (an app created again, in tests)."""
    if not name or len(name) > 64:
        raise ValueError("A job's name is 1 to 64 characters.")
    job = Job(name, func, trigger)
    _JOBS[name] = job
    return job


def registered_jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


def unregister_job(name: str) -> None:
    _JOBS.pop(name, None)


def worker_name() -> str:
    configured = current_app.config.get("TEAMWORK_WORKER_NAME")
    return str(configured) if configured else f"{socket.gethostname()}:{os.getpid()}"


def run_occurrence(name: str, occurrence: datetime, *, worker: str | None = None) -> bool:
    """Claim the occurrence of the job `name` and run it: True when this call ran it, False
    when another worker (or an earlier call) had claimed it. A job that raises is logged and
    its error kept on the claim; the occurrence is not retried (the next one sweeps again)."""
    job = _JOBS[name]
    db.session.rollback()  # start from a clean transaction: the claim commits on its own
    claim = JobRun(
        job=name, occurrence=occurrence, worker=(worker or worker_name())[:255], started_at=utcnow()
    )
    db.session.add(claim)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.debug("Job %s at %s: claimed by another worker, skipped.", name, occurrence)
        return False
    claim_id = claim.id
    outcome: dict[str, Any]
    try:
        summary = job.func()
    except Exception as exc:  # a job's failure must not stop the worker
        db.session.rollback()
        log.exception("Job %s at %s failed.", name, occurrence)
        outcome = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    else:
        db.session.commit()  # whatever the job left pending is its work
        outcome = {"summary": summary}
        if summary:
            log.info("Job %s at %s: %s", name, occurrence, summary)
    db.session.execute(
        sa.update(JobRun).where(JobRun.id == claim_id).values(finished_at=utcnow(), **outcome)
    )
    db.session.commit()
    return True


def run_due(name: str, now: datetime | None = None) -> bool:
    """Run the latest occurrence of `name` at or before `now`, unless it is claimed already."""
    return run_occurrence(name, _JOBS[name].schedule.latest(now or utcnow()))


def catch_up(now: datetime | None = None) -> list[str]:
    """Run each registered job's latest occurrence that nobody ran (the worker does this at
    start: what was due while every worker was down is done now); the names it ran."""
    now = now or utcnow()
    return [job.name for job in registered_jobs() if run_due(job.name, now)]


def _apscheduler_trigger(schedule: Schedule) -> Any:
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if isinstance(schedule, Every):
        # From the epoch, like Every.latest: a fire time is exactly an occurrence.
        return IntervalTrigger(seconds=schedule.seconds, start_date=EPOCH, timezone=UTC)
    if isinstance(schedule, Daily):
        from zoneinfo import ZoneInfo

        return CronTrigger(hour=schedule.hour, minute=0, timezone=ZoneInfo(schedule.zone))
    raise TypeError(f"Not a schedule: {schedule!r}")


def _fire(app: Flask, name: str) -> None:
    with app.app_context():
        try:
            run_due(name)
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> Any:
    """A BlockingScheduler firing every registered job on its trigger (not started)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    # A late fire still runs once (coalesce), never overlaps itself (max_instances), however
    # late it is (misfire_grace_time None): the claim, not the clock, decides.
    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for job in registered_jobs():
        scheduler.add_job(
            _fire, _apscheduler_trigger(job.schedule), args=(app, job.name), id=job.name
        )
    return scheduler


def run_worker(app: Flask) -> None:
    """Catch up, then fire the jobs until SIGTERM or Ctrl+C (`flask worker`)."""
    with app.app_context():
        ran = catch_up()
        db.session.remove()
    log.info("Worker started; caught up: %s.", ", ".join(ran) or "nothing was due")
    scheduler = build_scheduler(app)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
    log.info("Worker stopped.")
