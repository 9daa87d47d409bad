"""The claim of one occurrence of a job: who runs it, when it started and ended, how it failed.

The row is inserted before the job runs; the primary key (job name, occurrence) is what makes
an occurrence run once however many workers fire it: the second insert fails and that worker
skips it. Old rows are purged (`TEAMWORK_PURGE_JOB_RUNS_DAYS`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from teamwork import retention
from teamwork.database import UTCDateTime, utcnow
from teamwork.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    # The scheduled time this run stands for (UTC), the same in every worker.
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    # The worker that claimed it (TEAMWORK_WORKER_NAME, else host and process id).
    worker: Mapped[str] = mapped_column(sa.String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the job reported ("Sent 3 meeting reminder(s)."), or its error.
    summary: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)


retention.register(
    "job run records",
    JobRun,
    lambda now, config: JobRun.started_at < now - config["TEAMWORK_PURGE_JOB_RUNS_AFTER"],
)
