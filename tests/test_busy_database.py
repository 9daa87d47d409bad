"""SQLite under a held write lock: a vote is retried and stored, a page answers "busy, try
again" (503, never a 500), a socket event gets a `busy` acknowledgement, and nothing is
half-saved. (SQLite only: PostgreSQL locks rows, not the database.)"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.consensus.models import Proposal, Vote
from teamwork.extensions import db
from tests.pages import text


@pytest.fixture
def short_wait(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database lock only (PostgreSQL locks rows)")
    app.config["TEAMWORK_SQLITE_BUSY_TIMEOUT_MS"] = 50
    db.engine.dispose()  # new connections take the shorter busy timeout
    from teamwork import database_events

    database_events.init_app(app)


@contextmanager
def write_lock(app: Flask, release_after: float | None = None) -> Iterator[None]:
    """Another writer holding SQLite's lock (for `release_after` seconds, or the block)."""
    path = db.engine.url.database
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = None
    if release_after is not None:
        timer = threading.Timer(release_after, lambda: other.execute("ROLLBACK"))
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.join()
        else:
            other.execute("ROLLBACK")
        other.close()


def votes() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Vote.id))) or 0)


def test_a_vote_waits_out_a_short_lock_and_is_stored(app, short_wait, meeting) -> None:
    m = meeting()
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    with write_lock(app, release_after=0.1):
        result = voting.cast_vote(
            m.members[0].user, round_.id, choice="up", reason="", request_id="busy-1"
        )
    assert result.choice == "up"
    assert votes() == 1


def test_a_page_answers_busy_not_a_server_error_and_saves_nothing(
    app, short_wait, meeting, signed_in
) -> None:
    m = meeting()
    browser = signed_in(m.members[0].user)
    before = db.session.scalar(sa.select(sa.func.count(Proposal.id)))
    with write_lock(app):
        response = browser.post(
            f"/teams/{m.team.id}/proposals", data={"title": "New", "text": "Some text."}
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "busy" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == before
    again = browser.post(f"/teams/{m.team.id}/proposals", data={"title": "New", "text": "Text."})
    assert again.status_code == 302


def test_a_socket_event_gets_a_busy_acknowledgement(
    app, short_wait, meeting, signed_in, socket_client
) -> None:
    m = meeting()
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    sock = socket_client(signed_in(m.moderator.user), m.proposal.id)
    with write_lock(app):
        ack = sock.emit("close_round", {"round_id": round_.id})
    assert ack["ok"] is False and ack["error"]["code"] == "busy"
    assert db.session.get(type(round_), round_.id).status.value == "open"
