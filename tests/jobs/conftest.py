"""Fixtures of the worker's tests: a job registry of the test's own."""

from __future__ import annotations

import pytest

from teamwork.jobs import services


@pytest.fixture(autouse=True)
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers exactly the jobs it runs (the registry is module-wide)."""
    monkeypatch.setattr(services, "_JOBS", {})
