"""The declarative base and column helpers shared by every capability's models.

Naming conventions give every constraint a stable name, so Alembic migrations can alter them on
SQLite (batch mode) and PostgreSQL alike. Part of the foundation: imports nothing of Teamwork.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC; the default of every timestamp column."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always UTC and timezone-aware in Python.

    SQLite has no time zone type, so values are stored there as naive UTC; PostgreSQL gets a
    `timestamp with time zone`. Either way the application only ever sees aware UTC datetimes,
    so comparisons never mix naive and aware values.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_cls: type[StrEnum], **kwargs: Any) -> sa.Enum:
    """A portable string column for a StrEnum, storing the member values (not their names)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        # A fixed width, so adding a member later needs no column change.
        length=32,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
        **kwargs,
    )


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write UTCDateTime into migrations as a plain DateTime, so they never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Predicates f(name, type_) -> True for database objects the models leave out on purpose,
# registered by the capability that makes them (search: its full-text index).
_NOT_MIGRATED: list[Callable[[str | None, str], bool]] = []


def exclude_from_migrations(predicate: Callable[[str | None, str], bool]) -> None:
    """Have Alembic's autogenerate ignore the objects `predicate` answers True for."""
    if predicate not in _NOT_MIGRATED:
        _NOT_MIGRATED.append(predicate)


def include_in_migrations(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's `include_name`: leave out what the models do not describe on purpose (what
    `exclude_from_migrations` registered, such as the full-text search index)."""
    return not any(predicate(name, type_) for predicate in _NOT_MIGRATED)


class PipelineAftermath(logging.Filter):
    """Drops psycopg's "error ignored terminating <psycopg.Pipeline [INERROR]>: pipeline
    aborted" warning. psycopg runs `executemany` in pipeline mode; when a statement of it fails
    (a retried vote's duplicate request id, which `consensus.voting` handles), the pipeline's
    exit logs this second error while the first one propagates. Only that pairing is dropped: a
    pipeline aborted on its own still raises, and every other warning is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("error ignored terminating"):
            return True
        return "pipeline aborted" not in record.getMessage().lower()


def quiet_pipeline_aftermath() -> None:
    """Install `PipelineAftermath` on psycopg's logger once (create_app calls it)."""
    psycopg_log = logging.getLogger("psycopg")
    if not any(isinstance(f, PipelineAftermath) for f in psycopg_log.filters):
        psycopg_log.addFilter(PipelineAftermath())
