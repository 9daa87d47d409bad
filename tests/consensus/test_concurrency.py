"""Votes racing each other and the moderator's close, on real threads and connections."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from teamwork.consensus import services, voting
from teamwork.consensus.models import Round, Vote, VoteEvent
from teamwork.errors import DomainError
from teamwork.extensions import db


def run_together(app: Flask, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call on its own thread and app context (its own session and connection),
    released at the same moment; return results or the DomainErrors raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = call()
            except DomainError as exc:
                db.session.rollback()
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_vote_sent_many_times_at_once_counts_once(app: Flask, meeting) -> None:
    m = meeting(members=8)
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    user_ids = [v.user_id for v in m.voters]

    def vote(user_id: int) -> Callable[[], Any]:
        def call() -> Any:
            from teamwork.auth.models import User

            user = db.session.get(User, user_id)
            return voting.cast_vote(
                user, round_id, choice="up", reason="", request_id=f"req-{user_id}"
            )

        return call

    results = run_together(app, [vote(u) for u in user_ids for _ in range(3)])
    assert all(isinstance(r, voting.CastResult) for r in results), results
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == len(user_ids)
    assert db.session.scalar(sa.select(sa.func.count(VoteEvent.id))) == len(user_ids)
    assert sum(not r.replayed for r in results) == len(user_ids)


def test_votes_racing_the_close_are_either_counted_or_refused(app: Flask, meeting) -> None:
    m = meeting(members=12)
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    moderator_id = m.moderator.user_id

    def vote(user_id: int) -> Callable[[], Any]:
        def call() -> Any:
            from teamwork.auth.models import User

            return voting.cast_vote(
                db.session.get(User, user_id),
                round_id,
                choice="up",
                reason="",
                request_id=f"race-{user_id}",
            )

        return call

    def close() -> Any:
        from teamwork.auth.models import User

        closed = services.close_round(db.session.get(User, moderator_id), round_id)
        return (closed.up_count, closed.closed_at)

    voters = [v.user_id for v in m.voters if v.user_id != moderator_id]
    results = run_together(app, [vote(u) for u in voters] + [close])
    close_result = results[-1]
    assert isinstance(close_result, tuple), close_result
    accepted = [r for r in results[:-1] if isinstance(r, voting.CastResult)]
    refused = [r for r in results[:-1] if isinstance(r, DomainError)]
    assert len(accepted) + len(refused) == len(voters)
    assert all(r.code == "round_closed" for r in refused)
    stored = db.session.scalar(sa.select(sa.func.count(Vote.id)))
    # Every acknowledged vote is stored and counted by the close; nothing came after it.
    assert stored == len(accepted) == close_result[0]
    closed_at = db.session.get(Round, round_id).closed_at
    latest = db.session.scalar(sa.select(sa.func.max(Vote.cast_at)))
    assert latest is None or latest <= closed_at
