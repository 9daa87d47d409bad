"""The consensus loop's rules as the services apply them, without sockets."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from teamwork.consensus import services, voting
from teamwork.consensus.models import Concern, Decision, Proposal, ProposalStatus, Round, Vote
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.teams.rules import Role


def vote_all(m, round_id: int, choices: dict[int, str], tag: str = "v") -> None:
    voters = {v.id: v for v in m.voters}
    for member_id, choice in choices.items():
        reason = "A concern" if choice != "up" else ""
        voting.cast_vote(
            voters[member_id].user,
            round_id,
            choice=choice,
            reason=reason,
            request_id=f"{tag}-{member_id}",
        )


def test_quorum_is_a_majority_of_voting_members_by_default(meeting) -> None:
    m = meeting()  # lead, moderator and three members vote; the observer does not
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    vote_all(m, round_.id, {m.lead.id: "up", m.members[0].id: "up"})
    closed = services.close_round(m.moderator.user, round_.id)
    assert closed.eligible_count == 5
    assert closed.outcome.value == "no_consensus"
    assert any("Quorum not met" in reason for reason in closed.outcome_reasons)
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0


def test_consensus_records_the_decision_with_the_text_voted_on(meeting) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    vote_all(m, round_.id, {v.id: "up" for v in m.voters})
    services.close_round(m.moderator.user, round_.id)
    decision = db.session.scalar(sa.select(Decision))
    assert decision.text == "Within five days." and decision.team_id == m.team.id
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.CONSENSUS


def test_down_vote_becomes_a_concern_the_next_version_can_answer(meeting) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    vote_all(m, round_.id, {m.lead.id: "up", m.members[0].id: "down", m.members[1].id: "up"})
    services.close_round(m.moderator.user, round_.id)
    [concern] = db.session.scalars(sa.select(Concern)).all()
    assert concern.membership_id == m.members[0].id and concern.text == "A concern"
    version = services.amend_proposal(
        m.moderator.user,
        m.proposal.id,
        title="Share polygraph results",
        text="Within ten days.",
        addressed_concern_ids=[concern.id],
    )
    db.session.refresh(concern)
    assert concern.addressed_in_version_id == version.id
    assert version.number == 2 and "+Within ten days." in version.diff


def test_amending_during_an_open_round_is_refused(meeting) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    with pytest.raises(Conflict):
        services.amend_proposal(m.moderator.user, m.proposal.id, title="T", text="New")
    assert len(db.session.get(Proposal, m.proposal.id).versions) == 1


def test_unchanged_amendment_is_refused(meeting) -> None:
    m = meeting()
    with pytest.raises(InvalidInput):
        services.amend_proposal(
            m.moderator.user,
            m.proposal.id,
            title="Share polygraph results",
            text="Within five days.",
        )


def test_only_one_round_is_open_at_a_time(meeting) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    with pytest.raises(Conflict):
        services.open_round(m.moderator.user, m.proposal.id)
    assert db.session.scalar(sa.select(sa.func.count(Round.id))) == 1


def test_only_the_moderator_in_office_moderates_not_a_lead_or_a_member(meeting) -> None:
    m = meeting()
    for someone in (m.members[0], m.lead):
        with pytest.raises(Forbidden):
            services.open_round(someone.user, m.proposal.id)
    assert services.open_round(m.moderator.user, m.proposal.id).number == 1


def test_a_lead_moderates_while_no_one_holds_the_term(make_team, make_member) -> None:
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    member = make_member(team)
    proposal = services.create_proposal(lead.user, team.id, title="P", text="Text.")
    with pytest.raises(Forbidden):
        services.open_round(member.user, proposal.id)
    assert services.open_round(lead.user, proposal.id).number == 1


def test_the_rule_in_force_when_a_round_opened_is_kept_with_it(meeting) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    m.team.decision_rule = {"block_threshold": 2}
    db.session.commit()
    vote_all(m, round_.id, {v.id: "up" for v in m.voters[:-1]} | {m.voters[-1].id: "down"})
    closed = services.close_round(m.moderator.user, round_.id)
    assert closed.rule["block_threshold"] == 1
    assert closed.outcome.value == "no_consensus"


def test_fallback_tables_the_proposal_after_n_rounds(meeting) -> None:
    m = meeting(rule={"fallback_after_rounds": 2, "fallback": "table"})
    for n in range(2):
        round_ = services.open_round(m.moderator.user, m.proposal.id)
        vote_all(m, round_.id, {m.members[0].id: "down"}, tag=f"r{n}")
        services.close_round(m.moderator.user, round_.id)
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.TABLED


def test_fallback_escalates_to_the_parent_team(meeting, make_team) -> None:
    m = meeting(rule={"fallback_after_rounds": 1, "fallback": "escalate"})
    parent = make_team("Statewide network")
    m.team.parent_id = parent.id
    db.session.commit()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    vote_all(m, round_.id, {m.members[0].id: "down"})
    services.close_round(m.moderator.user, round_.id)
    escalated = db.session.scalar(sa.select(Proposal).where(Proposal.team_id == parent.id))
    assert escalated is not None and escalated.escalated_from_id == m.proposal.id
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.ESCALATED


def test_withdrawn_round_records_no_outcome_judgement(meeting) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    vote_all(m, round_.id, {m.members[0].id: "down"})
    services.withdraw_round(m.moderator.user, round_.id)
    assert db.session.get(Round, round_.id).outcome.value == "withdrawn"
    assert db.session.scalar(sa.select(sa.func.count(Concern.id))) == 0
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.DISCUSSION


def test_movement_shows_each_members_path_across_rounds(meeting) -> None:
    m = meeting()
    for n, choice in enumerate(["down", "sideways", "up"]):
        round_ = services.open_round(m.moderator.user, m.proposal.id)
        vote_all(m, round_.id, {m.members[0].id: choice}, tag=f"m{n}")
        services.close_round(m.moderator.user, round_.id)
    path = services.vote_movement(db.session.get(Proposal, m.proposal.id))[m.members[0].id]
    assert [c.value for c in path] == ["down", "sideways", "up"]


def test_proposals_of_another_team_are_not_found(meeting, make_team, make_member) -> None:
    m = meeting()
    outsider = make_member(make_team("Harbor County"))
    with pytest.raises(NotFound):
        services.proposal_access(outsider.user, m.proposal.id)
    with pytest.raises(NotFound):
        services.open_round(outsider.user, m.proposal.id)


def test_observers_cannot_put_proposals(meeting) -> None:
    m = meeting()
    with pytest.raises(Forbidden):
        services.create_proposal(m.observer.user, m.team.id, title="T", text="X")


def test_withdrawn_round_keeps_the_eligible_count(meeting) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    services.withdraw_round(m.moderator.user, round_.id)
    assert db.session.get(Round, round_.id).eligible_count == len(m.voters)


def test_moderator_cannot_enter_a_vote_for_a_deactivated_member(meeting) -> None:
    from teamwork.database import utcnow

    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    m.members[0].user.deactivated_at = utcnow()
    db.session.commit()
    with pytest.raises(InvalidInput):
        voting.cast_vote(
            m.moderator.user,
            round_.id,
            choice="up",
            reason="",
            request_id="hand",
            member_id=m.members[0].id,
        )


def test_designee_votes_need_the_norms_to_allow_them(meeting) -> None:
    from teamwork.norms.models import OperatingNorms

    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    with pytest.raises(Forbidden):
        voting.cast_vote(
            m.moderator.user,
            round_.id,
            choice="up",
            reason="",
            request_id="d1",
            member_id=m.members[0].id,
            designee=True,
        )
    db.session.rollback()
    db.session.add(
        OperatingNorms(
            team_id=m.team.id,
            number=1,
            cadence="monthly",
            designees_may_attend=True,
            designees_may_vote=True,
            author_id=m.lead.user_id,
        )
    )
    db.session.commit()
    result = voting.cast_vote(
        m.moderator.user,
        round_.id,
        choice="up",
        reason="",
        request_id="d2",
        member_id=m.members[0].id,
        designee=True,
    )
    vote = db.session.scalar(sa.select(Vote).where(Vote.membership_id == result.membership_id))
    assert vote.cast_via.value == "designee" and vote.cast_by_id == m.moderator.user_id


def test_a_designee_vote_must_name_the_member(meeting) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    with pytest.raises(InvalidInput):
        voting.cast_vote(
            m.moderator.user, round_.id, choice="up", reason="", request_id="d", designee=True
        )


def test_an_open_round_waits_for_each_voter_until_they_vote_and_never_for_the_observer(
    meeting,
) -> None:
    m = meeting()
    assert services.rounds_awaiting_vote(m.members[0].user) == []
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    assert [r.id for r in services.open_rounds(m.team.id)] == [round_.id]
    assert [r.id for r in services.rounds_awaiting_vote(m.members[0].user)] == [round_.id]
    assert services.rounds_awaiting_vote(m.observer.user) == []
    vote_all(m, round_.id, {m.members[0].id: "up"})
    assert services.rounds_awaiting_vote(m.members[0].user) == []
    assert [r.id for r in services.rounds_awaiting_vote(m.members[1].user)] == [round_.id]
    services.close_round(m.moderator.user, round_.id)
    assert services.rounds_awaiting_vote(m.members[1].user) == []
    assert services.open_rounds(m.team.id) == []
