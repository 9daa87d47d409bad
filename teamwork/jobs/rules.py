"""When a job's occurrences fall: pure arithmetic on aware datetimes (standard library only).

An occurrence is named by its scheduled time, the same in every worker that computes it, so
that the workers can agree, through one unique row, on which of them runs it. Each schedule
answers `latest(now)`: the last occurrence at or before `now`. A worker that fires on time gets
the occurrence it fired for; a worker that starts after a down time gets the one it missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Every:
    """Every `seconds` seconds, counted from the Unix epoch (so every worker has the same grid)."""

    seconds: int

    def __post_init__(self) -> None:
        if self.seconds < 1:
            raise ValueError("A job runs at most once a second.")

    def latest(self, now: datetime) -> datetime:
        elapsed = int((now - EPOCH).total_seconds())
        return EPOCH + timedelta(seconds=elapsed - elapsed % self.seconds)


@dataclass(frozen=True)
class Daily:
    """Once a day at `hour`:00 in the time zone `zone` (an IANA name)."""

    hour: int
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not 0 <= self.hour <= 23:
            raise ValueError("The hour of a daily job is 0 to 23.")
        ZoneInfo(self.zone)  # an unknown zone fails here, at registration

    def latest(self, now: datetime) -> datetime:
        zone = ZoneInfo(self.zone)
        local = now.astimezone(zone)
        day = local.date()
        for _ in range(3):  # today, else yesterday (a zone's odd day may skip the hour: the next)
            at = datetime.combine(day, time(self.hour), tzinfo=zone)
            if at.astimezone(UTC) <= now.astimezone(UTC):
                return at.astimezone(UTC)
            day -= timedelta(days=1)
        return at.astimezone(UTC)


Schedule = Every | Daily
