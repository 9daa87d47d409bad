"""The database layer's logging: psycopg's "error ignored terminating" aftermath of an aborted
pipeline is dropped (the first error propagates and is handled); its other warnings are kept."""

from __future__ import annotations

import logging

import pytest

from teamwork.database import PipelineAftermath, quiet_pipeline_aftermath


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("psycopg", logging.WARNING, __file__, 1, msg, args, None)


def test_the_aftermath_of_an_aborted_pipeline_is_dropped() -> None:
    aftermath = record(
        "error ignored terminating %r: %s", "<psycopg.Pipeline [INERROR]>", "pipeline aborted"
    )
    assert PipelineAftermath().filter(aftermath) is False


@pytest.mark.parametrize(
    "kept",
    [
        record("error ignored terminating %r: %s", "<psycopg.Copy>", "connection lost"),
        record("some other psycopg warning: %s", "pipeline aborted"),
    ],
)
def test_every_other_psycopg_warning_is_kept(kept: logging.LogRecord) -> None:
    assert PipelineAftermath().filter(kept) is True


def test_the_filter_is_installed_once_on_psycopgs_logger(app) -> None:
    quiet_pipeline_aftermath()
    filters = logging.getLogger("psycopg").filters
    assert sum(isinstance(f, PipelineAftermath) for f in filters) == 1
