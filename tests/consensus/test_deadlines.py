"""Rounds with a deadline: opening one, votes refused from the deadline on, the close at the
deadline (exactly once, judged by the rule), the reminder before it, and the live state."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.auth.models import User
from teamwork.consensus import live, services, voting
from teamwork.consensus.models import Decision, Proposal, ProposalStatus, Round, Vote, VoteEvent
from teamwork.consensus.rules import Outcome, RoundStatus
from teamwork.consensus.signals import (
    decision_recorded,
    round_closed,
    round_deadline_near,
    round_opened,
)
from teamwork.database import utcnow
from teamwork.errors import Conflict, DomainError, InvalidInput
from teamwork.extensions import db
from tests.consensus.test_concurrency import run_together

ZONE = "America/Los_Angeles"


@pytest.fixture
def team_meeting(meeting):
    """A team in Los Angeles with a proposal ready for a round."""

    def make(**kwargs: Any):
        m = meeting(**kwargs)
        m.team.timezone = ZONE
        db.session.commit()
        return m

    return make


def vote(member, round_id: int, choice: str = "up", tag: str = "v") -> voting.CastResult:
    return voting.cast_vote(
        member.user,
        round_id,
        choice=choice,
        reason="" if choice == "up" else "A concern",
        request_id=f"{tag}-{member.id}",
    )


def move_deadline(round_id: int, closes_at: datetime) -> None:
    """Put the deadline where a test needs it (open_round only takes future ones)."""
    db.session.execute(sa.update(Round).where(Round.id == round_id).values(closes_at=closes_at))
    db.session.commit()


class Received:
    """What a blinker signal was sent with, while the test runs."""

    def __init__(self, signal: Any) -> None:
        self.signal, self.calls = signal, []

    def __enter__(self) -> Received:
        self.signal.connect(self._receive)
        return self

    def _receive(self, sender: Any, **kwargs: Any) -> None:
        self.calls.append((sender, kwargs))

    def __exit__(self, *exc: Any) -> None:
        self.signal.disconnect(self._receive)


# --- Opening ---------------------------------------------------------------------------


def test_a_round_opened_without_a_deadline_has_none(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    assert round_.closes_at is None
    assert live.live_state(m.proposal)["round"]["closes_at"] is None


def test_the_closing_time_typed_on_the_console_is_read_in_the_teams_zone(team_meeting) -> None:
    m = team_meeting()
    local = (utcnow() + timedelta(days=3)).astimezone(UTC).strftime("%Y-%m-%d") + "T17:00"
    round_ = services.open_round(m.moderator.user, m.proposal.id, closes_at=local)
    stored = db.session.get(Round, round_.id, populate_existing=True).closes_at
    # 17:00 in Los Angeles is 01:00 (PST) or 00:00 (PDT) UTC the next day.
    assert stored.tzinfo is not None
    assert (stored.hour, stored.minute) in {(1, 0), (0, 0)}


def test_opening_a_round_sends_round_opened_with_the_new_round(team_meeting) -> None:
    m = team_meeting()
    closes_at = utcnow() + timedelta(days=2)
    with Received(round_opened) as received:
        round_ = services.open_round(m.moderator.user, m.proposal.id, closes_at=closes_at)
    [(sent, _kwargs)] = received.calls
    assert sent.id == round_.id and sent.closes_at == closes_at


@pytest.mark.parametrize(
    ("closes_at", "message"),
    [
        (timedelta(minutes=-1), "Choose a closing time in the future."),
        (timedelta(days=91), "Choose a closing time within 90 days."),
        ("next friday", "Give the closing date and time, e.g. 2026-12-11 and 17:00."),
        ("2026-02-30T17:00", "Give the closing date and time, e.g. 2026-12-11 and 17:00."),
    ],
)
def test_a_bad_closing_time_is_refused_and_opens_no_round(team_meeting, closes_at, message) -> None:
    m = team_meeting()
    if isinstance(closes_at, timedelta):
        closes_at = utcnow() + closes_at
    with pytest.raises(InvalidInput) as refused:
        services.open_round(m.moderator.user, m.proposal.id, closes_at=closes_at)
    assert refused.value.message == message and refused.value.field == "closes_at"
    assert db.session.scalar(sa.select(sa.func.count(Round.id))) == 0
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.DISCUSSION


def test_the_moderator_moves_or_removes_the_deadline_of_an_open_round(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=2)
    )
    later = utcnow() + timedelta(days=5)
    assert services.set_round_deadline(m.moderator.user, round_.id, later).closes_at == later
    assert services.set_round_deadline(m.moderator.user, round_.id, "").closes_at is None


def test_a_member_cannot_change_the_deadline(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    with pytest.raises(DomainError) as refused:
        services.set_round_deadline(m.members[0].user, round_.id, utcnow() + timedelta(days=1))
    assert refused.value.code == "forbidden"
    assert db.session.get(Round, round_.id, populate_existing=True).closes_at is None


def test_a_deadline_that_has_passed_can_no_longer_be_moved(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    move_deadline(round_.id, utcnow() - timedelta(seconds=1))
    with pytest.raises(Conflict, match="Voting closed at"):
        services.set_round_deadline(m.moderator.user, round_.id, utcnow() + timedelta(days=1))


# --- Votes and the deadline ------------------------------------------------------------


def test_a_vote_at_or_after_the_deadline_is_refused_and_changes_nothing(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=1)
    )
    vote(m.members[0], round_.id)
    deadline = utcnow() - timedelta(seconds=1)
    move_deadline(round_.id, deadline)
    with pytest.raises(services.RoundClosed) as refused:
        vote(m.members[1], round_.id)
    local = deadline.astimezone(ZoneInfo(ZONE))
    assert refused.value.message in {
        f"Voting closed at {local:%H:%M}.",
        f"Voting closed at {local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}.",
    }
    with pytest.raises(services.RoundClosed):
        vote(m.members[0], round_.id, choice="down", tag="change")
    assert db.session.scalar(sa.select(sa.func.count(VoteEvent.id))) == 1
    [stored] = db.session.scalars(sa.select(Vote)).all()
    assert stored.membership_id == m.members[0].id and stored.choice.value == "up"


# --- Closing at the deadline -----------------------------------------------------------


def test_the_deadline_closes_the_round_once_judged_by_its_rule(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=1)
    )
    for voter in m.voters:
        vote(voter, round_.id)
    deadline = utcnow() - timedelta(seconds=1)
    move_deadline(round_.id, deadline)
    version_before = db.session.get(Proposal, m.proposal.id, populate_existing=True).live_version
    with Received(round_closed) as closes, Received(decision_recorded) as decisions:
        [closed] = services.close_due_rounds()
        assert services.close_due_rounds() == []
    assert closed.id == round_.id
    assert len(closes.calls) == 1 and len(decisions.calls) == 1
    stored = db.session.get(Round, round_.id, populate_existing=True)
    assert stored.status is RoundStatus.CLOSED and stored.outcome is Outcome.CONSENSUS
    assert stored.closed_by_id is None and stored.closed_at_deadline
    assert stored.closed_at == deadline and stored.up_count == len(m.voters)
    proposal = db.session.get(Proposal, m.proposal.id, populate_existing=True)
    assert proposal.status is ProposalStatus.CONSENSUS
    # The version beacon tells every screen, whichever process closed it.
    assert proposal.live_version > version_before
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 1


def test_a_round_closed_at_its_deadline_without_quorum_has_no_consensus(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=1)
    )
    vote(m.members[0], round_.id)
    move_deadline(round_.id, utcnow() - timedelta(seconds=1))
    [closed] = services.close_due_rounds()
    assert closed.outcome is Outcome.NO_CONSENSUS and closed.eligible_count == len(m.voters)
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.DISCUSSION


def test_rounds_not_yet_due_or_without_a_deadline_stay_open(team_meeting) -> None:
    m, other = team_meeting(), team_meeting()
    future = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(minutes=5)
    )
    by_hand = services.open_round(other.moderator.user, other.proposal.id)
    assert services.close_due_rounds() == []
    for round_id in (future.id, by_hand.id):
        assert db.session.get(Round, round_id, populate_existing=True).status is RoundStatus.OPEN


def test_the_worker_job_closes_due_rounds(app: Flask, team_meeting) -> None:
    from teamwork.cli import register_jobs
    from teamwork.jobs.services import registered_jobs, run_due

    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=1)
    )
    move_deadline(round_.id, utcnow() - timedelta(seconds=1))
    register_jobs(app)
    job = {job.name: job for job in registered_jobs()}["round-deadlines"]
    assert job.schedule.seconds == app.config["TEAMWORK_ROUND_DEADLINE_INTERVAL_SECONDS"]
    assert run_due("round-deadlines")
    assert db.session.get(Round, round_.id, populate_existing=True).closed_at_deadline


def test_last_second_votes_and_two_closers_close_once_counting_every_acknowledged_vote(
    app: Flask, team_meeting
) -> None:
    m = team_meeting(members=10)
    round_id = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=1)
    ).id
    # Votes and closers released together around a deadline a moment away.
    deadline = utcnow() + timedelta(milliseconds=300)
    move_deadline(round_id, deadline)
    user_ids = [v.user_id for v in m.voters]

    def at(offset_ms: int):
        time.sleep(max(0.0, (deadline - utcnow()).total_seconds() + offset_ms / 1000))

    def voter(index: int, user_id: int):
        def call() -> Any:
            at((index % 5) * 10 - 20)  # from 20 ms before the deadline to 20 ms after
            return voting.cast_vote(
                db.session.get(User, user_id), round_id, choice="up", reason="", request_id="r"
            )

        return call

    def closer() -> Any:
        at(0)
        closed = []
        while not closed and utcnow() < deadline + timedelta(seconds=5):
            closed = services.close_due_rounds()
            if not closed and db.session.get(Round, round_id, populate_existing=True).closed_at:
                break  # the other closer did it
        return [r.id for r in closed]

    results = run_together(app, [voter(i, u) for i, u in enumerate(user_ids)] + [closer, closer])
    closers, votes = results[-2:], results[:-2]
    assert sorted(closers, key=len) == [[], [round_id]], closers
    accepted = [r for r in votes if isinstance(r, voting.CastResult)]
    refused = [r for r in votes if isinstance(r, DomainError)]
    assert len(accepted) + len(refused) == len(user_ids), votes
    assert all(r.code == "round_closed" for r in refused)
    stored = db.session.get(Round, round_id, populate_existing=True)
    assert stored.closed_at_deadline and stored.closed_at == deadline
    # Every acknowledged vote is stored and counted; none was taken after the close.
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == len(accepted)
    assert stored.up_count == len(accepted)


# --- The reminder ----------------------------------------------------------------------


def test_the_reminder_is_sent_once_naming_who_has_not_voted(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=30)
    )
    vote(m.lead, round_.id)
    vote(m.members[0], round_.id)
    with Received(round_deadline_near) as received:
        assert services.remind_due_rounds(hours=24) == []  # 30 hours ahead: not yet
        [reminded] = services.remind_due_rounds(hours=31)
        assert services.remind_due_rounds(hours=31) == []
    [(sent, kwargs)] = received.calls
    assert sent.id == reminded.id == round_.id
    not_voted = {m.moderator.id, m.members[1].id, m.members[2].id}
    assert kwargs == {"membership_ids": frozenset(not_voted)}
    assert db.session.get(Round, round_.id, populate_existing=True).reminded_at is not None


def test_moving_the_deadline_allows_a_new_reminder(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=2)
    )
    assert len(services.remind_due_rounds(hours=24)) == 1
    services.set_round_deadline(m.moderator.user, round_.id, utcnow() + timedelta(hours=3))
    assert len(services.remind_due_rounds(hours=24)) == 1


def test_no_reminder_for_rounds_without_a_deadline_or_already_closed(team_meeting) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    assert services.remind_due_rounds(hours=24) == []
    services.set_round_deadline(m.moderator.user, round_.id, utcnow() + timedelta(hours=1))
    services.close_round(m.moderator.user, round_.id)
    assert services.remind_due_rounds(hours=24) == []


# --- The live state --------------------------------------------------------------------


def test_the_live_state_and_vote_cast_carry_the_deadline_in_the_teams_zone(team_meeting) -> None:
    m = team_meeting()
    closes_at = datetime(2031, 12, 12, 1, 0, tzinfo=UTC)  # Thu 11 Dec 2031, 17:00 PST
    round_ = services.open_round(m.moderator.user, m.proposal.id, utcnow() + timedelta(days=1))
    move_deadline(round_.id, closes_at)
    state = live.live_state(db.session.get(Proposal, m.proposal.id))["round"]
    assert state["closes_at"] == "2031-12-11T17:00:00-08:00"
    assert state["closes_at_text"] == "Thu 11 Dec, 17:00 PST"
    assert state["closed_at_deadline"] is False
    update = vote(m.members[0], round_.id).update["round"]
    assert update["closes_at"] == state["closes_at"]
    assert update["closes_at_text"] == state["closes_at_text"]


# --- Over Socket.IO and on the console -------------------------------------------------


def test_the_console_opens_a_round_until_a_time_over_the_socket(
    team_meeting, signed_in, socket_client
) -> None:
    m = team_meeting()
    sock = socket_client(signed_in(m.moderator.user), m.proposal.id)
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d") + "T17:00"
    ack = sock.emit("open_round", {"proposal_id": m.proposal.id, "closes_at": when})
    assert ack["ok"], ack
    [opened] = sock.events("round_opened")
    assert opened["state"]["round"]["closes_at"].startswith(when)
    bad = sock.emit("open_round", {"proposal_id": m.proposal.id, "closes_at": "soon"})
    assert bad["ok"] is False


def test_a_bad_closing_time_over_the_socket_names_its_field(
    team_meeting, signed_in, socket_client
) -> None:
    m = team_meeting()
    sock = socket_client(signed_in(m.moderator.user), m.proposal.id)
    ack = sock.emit("open_round", {"proposal_id": m.proposal.id, "closes_at": "2001-01-01T09:00"})
    assert ack["ok"] is False
    assert ack["error"]["field"] == "closes_at"
    assert ack["error"]["message"] == "Choose a closing time in the future."


def test_a_sync_after_the_deadline_closes_the_round_and_tells_the_room(
    team_meeting, signed_in, socket_client
) -> None:
    m = team_meeting()
    round_ = services.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=1)
    )
    watcher = socket_client(signed_in(m.members[1].user), m.proposal.id)
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    move_deadline(round_.id, utcnow() - timedelta(seconds=1))
    ack = sock.emit("sync", {"proposal_id": m.proposal.id})
    assert ack["ok"] and ack["state"]["round"]["status"] == "closed"
    assert ack["state"]["round"]["closed_at_deadline"] is True
    [closed] = watcher.events("round_closed")
    assert closed["state"]["round"]["id"] == round_.id
    refused = sock.emit(
        "cast_vote", {"round_id": round_.id, "choice": "up", "request_id": "late-1"}
    )
    assert refused["ok"] is False and refused["error"]["code"] == "round_closed"


def test_the_moderator_moves_the_deadline_over_the_socket(
    team_meeting, signed_in, socket_client
) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    sock = socket_client(signed_in(m.moderator.user), m.proposal.id)
    when = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d") + "T09:30"
    ack = sock.emit("set_deadline", {"round_id": round_.id, "closes_at": when})
    assert ack["ok"], ack
    [changed] = sock.events("deadline_changed")
    assert changed["state"]["round"]["closes_at"].startswith(when)
    assert sock.emit("set_deadline", {"round_id": round_.id})["ok"]
    assert db.session.get(Round, round_.id, populate_existing=True).closes_at is None


def test_the_console_offers_an_open_until_date_and_time_in_the_teams_zone(
    team_meeting, signed_in
) -> None:
    m = team_meeting()
    browser = signed_in(m.moderator.user)
    page = browser.get(f"/teams/{m.team.id}/proposals/{m.proposal.id}/console").get_data(
        as_text=True
    )
    assert 'id="cs-closes-date"' in page and 'id="cs-closes-time"' in page
    assert '<label for="cs-closes-date"' in page and '<label for="cs-closes-time"' in page
    assert "America/Los_Angeles" in page


def test_the_voting_screen_shows_the_deadline(team_meeting, signed_in) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id, utcnow() + timedelta(days=1))
    move_deadline(round_.id, datetime(2031, 12, 12, 1, 0, tzinfo=UTC))
    page = (
        signed_in(m.members[0].user)
        .get(f"/teams/{m.team.id}/proposals/{m.proposal.id}")
        .get_data(as_text=True)
    )
    assert "Open until Thu 11 Dec, 17:00 PST" in page


def test_the_demo_has_one_round_open_until_a_few_days_ahead(demo: Any) -> None:
    from teamwork.consensus.demo import DAYS_AHEAD, TITLE

    [round_] = db.session.scalars(
        sa.select(Round).where(Round.status == RoundStatus.OPEN, Round.closes_at.is_not(None))
    ).all()
    assert round_.proposal.title == TITLE
    local = round_.closes_at.astimezone(ZoneInfo(round_.proposal.team.timezone or "UTC"))
    assert (local.hour, local.minute) == (17, 0)
    assert (
        timedelta(days=DAYS_AHEAD - 1)
        < round_.closes_at - utcnow()
        < timedelta(days=DAYS_AHEAD + 1)
    )
    assert db.session.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.round_id == round_.id))


def test_connecting_after_the_deadline_brings_the_closed_round(
    team_meeting, signed_in, socket_client
) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id, utcnow() + timedelta(hours=1))
    move_deadline(round_.id, utcnow() - timedelta(seconds=1))
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    [snapshot] = sock.events("snapshot")
    assert snapshot["state"]["round"]["status"] == "closed"
    assert snapshot["state"]["round"]["closed_at_deadline"] is True


def test_a_page_opened_after_the_deadline_shows_the_round_closed_at_it(
    team_meeting, signed_in
) -> None:
    m = team_meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id, utcnow() + timedelta(hours=1))
    move_deadline(round_.id, utcnow() - timedelta(seconds=1))
    page = (
        signed_in(m.members[0].user)
        .get(f"/teams/{m.team.id}/proposals/{m.proposal.id}")
        .get_data(as_text=True)
    )
    assert "Closed at its deadline" in page
    assert db.session.get(Round, round_.id, populate_existing=True).closed_at_deadline
