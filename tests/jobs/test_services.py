"""Running jobs: each occurrence once however many workers fire it, catch-up at start, the
worker's own jobs, and APScheduler firing at exactly the occurrences the claims are named by."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from teamwork.cli import register_jobs
from teamwork.extensions import db
from teamwork.jobs import services
from teamwork.jobs.models import JobRun
from teamwork.jobs.rules import Daily, Every

OCCURRENCE = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def runs(job: str) -> list[Any]:
    with db.engine.connect() as connection:
        table = JobRun.__table__
        query = sa.select(table).where(table.c.job == job).order_by(table.c.occurrence)
        return list(connection.execute(query))


def test_two_workers_claiming_one_occurrence_at_once_run_it_once(app: Flask) -> None:
    calls: list[str] = []
    services.register_job("sweep", lambda: calls.append("ran") or "swept", Every(60))
    start = threading.Barrier(2)
    results: dict[str, bool] = {}

    def worker(name: str) -> None:
        with app.app_context():
            start.wait(10)
            results[name] = services.run_occurrence("sweep", OCCURRENCE, worker=name)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert calls == ["ran"]
    assert sorted(results.values()) == [False, True]
    (run,) = runs("sweep")
    winner = next(name for name, ran in results.items() if ran)
    assert run.worker == winner and run.finished_at is not None and run.summary == "swept"


def test_an_occurrence_another_worker_claimed_is_skipped(app: Flask) -> None:
    calls: list[str] = []
    services.register_job("sweep", lambda: calls.append("ran") and None, Every(60))
    assert services.run_occurrence("sweep", OCCURRENCE, worker="first")
    assert not services.run_occurrence("sweep", OCCURRENCE, worker="second")
    assert calls == ["ran"]
    # The next occurrence is a new claim.
    assert services.run_occurrence("sweep", OCCURRENCE + timedelta(minutes=1), worker="second")
    assert [run.worker for run in runs("sweep")] == ["first", "second"]


def test_a_failing_job_keeps_its_error_and_does_not_stop_the_next(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("the sweep broke")

    services.register_job("broken", broken, Every(60))
    services.register_job("fine", lambda: "fine", Every(60))
    assert services.catch_up(OCCURRENCE) == ["broken", "fine"]
    (failed,) = runs("broken")
    assert failed.error == "RuntimeError: the sweep broke" and failed.finished_at is not None
    assert runs("fine")[0].summary == "fine"


def test_at_start_the_worker_runs_the_occurrence_missed_while_it_was_down(app: Flask) -> None:
    calls: list[datetime] = []
    services.register_job("daily", lambda: calls.append(OCCURRENCE) and None, Daily(7, "UTC"))
    yesterday = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    assert services.run_occurrence("daily", yesterday, worker="before the outage")
    # Down from before today's 07:00 until 09:30: starting, the worker runs today's at once.
    started = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert services.catch_up(started) == ["daily"]
    assert services.catch_up(started + timedelta(minutes=5)) == []  # a restart: done already
    assert [run.occurrence for run in runs("daily")] == [
        yesterday,
        datetime(2026, 12, 7, 7, 0, tzinfo=UTC),
    ]
    assert len(calls) == 2


def test_the_worker_runs_the_outbox_the_reminders_the_purge_and_round_deadlines(
    app: Flask,
) -> None:
    app.config["TEAMWORK_REMINDERS_HOUR"] = 6
    register_jobs(app)
    names = ["digests", "outbox", "purge", "reminders", "round-deadlines"]
    assert [job.name for job in services.registered_jobs()] == names
    assert services.catch_up() == names
    (reminders,) = runs("reminders")
    assert reminders.error is None
    assert "meeting reminder(s)" in reminders.summary
    assert reminders.occurrence.astimezone(UTC).hour == 6  # the test deployment's zone is UTC
    assert "ended sign-in sessions" in runs("purge")[0].summary


def test_apscheduler_fires_at_the_occurrences_the_claims_are_named_by(app: Flask) -> None:
    services.register_job("often", lambda: None, Every(5))
    services.register_job("daily", lambda: None, Daily(7, "America/Los_Angeles"))
    scheduler = services.build_scheduler(app)
    now = datetime(2026, 12, 7, 2, 0, 3, tzinfo=UTC)
    fires = {
        job.id: job.trigger.get_next_fire_time(None, now).astimezone(UTC)
        for job in scheduler.get_jobs()
    }
    assert fires["often"] == datetime(2026, 12, 7, 2, 0, 5, tzinfo=UTC)
    assert fires["daily"] == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    for name, fire in fires.items():
        # Fired at that moment, a worker claims exactly that occurrence.
        assert services._JOBS[name].schedule.latest(fire) == fire
