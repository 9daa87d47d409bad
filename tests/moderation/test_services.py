"""Moderator terms through the services: rotation, elections by a real consensus round, the
handover of powers on the end date (with a controlled clock), stand-ins, overlaps, notices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.consensus.models import Proposal, ProposalStatus
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.meetings.models import Meeting, MeetingStatus
from teamwork.moderation import notices, services
from teamwork.moderation import terms as moderator_terms
from teamwork.moderation.models import Election, ElectionStatus, ModeratorTerm, StandIn
from teamwork.moderation.rules import Method, StandInKind, TermSource, add_months
from teamwork.notifications.models import Notification
from teamwork.notifications.rules import Kind
from teamwork.teams import services as teams
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action, Role

TODAY = date(2026, 3, 10)


@dataclass
class World:
    team: Team
    lead: Membership
    holder: Membership  # Treatment; moderator from TODAY - 2 months to TODAY + 4 months
    same_agency: Membership  # Treatment too
    police: Membership
    advocate: Membership
    observer: Membership
    outsider: Membership

    @property
    def voters(self) -> list[Membership]:
        return [self.lead, self.holder, self.same_agency, self.police, self.advocate]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Set "today" for the app (the moderator's powers read it through teams.services)."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(teams, "today", lambda: day)

    set_day(TODAY)
    return set_day


@pytest.fixture
def world(app: Flask, make_team, make_member, clock) -> World:
    team = make_team("Northfield County SOM Team")
    other = make_team("Harbor County Team")
    lead = make_member(team, role=Role.LEAD, agency="Probation")
    holder = make_member(team, agency="Riverbend Treatment")
    same_agency = make_member(team, agency="riverbend  treatment")
    police = make_member(team, agency="Police")
    advocate = make_member(team, agency="Victim Advocacy")
    observer = make_member(team, role=Role.OBSERVER, agency="District Court")
    outsider = make_member(other, role=Role.LEAD)
    start = add_months(TODAY, -2)
    db.session.add(
        ModeratorTerm(
            team=team,
            membership=holder,
            starts_on=start,
            ends_on=add_months(start, 6),
            source=TermSource.ROTATION,
        )
    )
    db.session.commit()
    return World(team, lead, holder, same_agency, police, advocate, observer, outsider)


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with message_queued.connected_to(record, app):
        yield sent


def terms(team: Team) -> list[tuple[int, date, date | None, TermSource]]:
    rows = db.session.scalars(
        sa.select(ModeratorTerm)
        .where(ModeratorTerm.team_id == team.id)
        .order_by(ModeratorTerm.starts_on, ModeratorTerm.id)
    )
    return [(t.membership_id, t.starts_on, t.ends_on, t.source) for t in rows]


def rows(model: type[Any]) -> list[tuple[Any, ...]]:
    with db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(model.__table__))]


def rotation(world: World, *, cycle: bool, order: list[Membership], backup=None) -> None:
    services.save_policy(
        world.lead.user,
        world.team.id,
        term_months=6,
        method=Method.ROTATION,
        cycle_agencies=cycle,
        notice_days=30,
        backup_membership_id=backup.id if backup else None,
    )
    services.set_rotation_order(
        world.lead.user, world.team.id, {m.id: n for n, m in enumerate(order, start=1)}
    )


def election_policy(world: World, backup: Membership | None = None) -> None:
    services.save_policy(
        world.lead.user,
        world.team.id,
        term_months=6,
        method=Method.ELECTION,
        cycle_agencies=False,
        notice_days=30,
        backup_membership_id=backup.id if backup else None,
    )


def decide(proposal_id: int, moderator: Membership, voters: list[Membership], down=None) -> None:
    """A real round of thumbs: the moderator opens it, everyone votes, the moderator closes."""
    round_ = consensus.open_round(moderator.user, proposal_id)
    for n, voter in enumerate(voters):
        if voter is down:
            voting.cast_vote(
                voter.user, round_.id, choice="down", reason="Not now.", request_id=f"v{n}"
            )
        else:
            voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"v{n}")
    consensus.close_round(moderator.user, round_.id)


def new_proposal(world: World, title: str = "Adopt the agenda") -> Proposal:
    return consensus.create_proposal(world.lead.user, world.team.id, title=title, text="Text.")


# --- Rotation ----------------------------------------------------------------------------


def test_rotation_prepares_the_next_person_in_order_from_the_end_of_the_current_term(world):
    rotation(world, cycle=False, order=[world.holder, world.same_agency, world.police])
    prepared = services.prepare_next_term(world.lead.user, world.team.id)
    assert prepared.created and prepared.note is None
    ends = add_months(add_months(TODAY, -2), 6)
    assert terms(world.team)[-1] == (
        world.same_agency.id,
        ends,
        add_months(ends, 6),
        TermSource.ROTATION,
    )


def test_agency_cycling_skips_people_of_the_holders_agency(world):
    rotation(world, cycle=True, order=[world.holder, world.same_agency, world.police])
    prepared = services.prepare_next_term(world.lead.user, world.team.id)
    assert prepared.term.membership_id == world.police.id


def test_agency_cycling_takes_the_next_anyway_when_only_that_agency_is_left_and_says_so(world):
    rotation(world, cycle=True, order=[world.holder, world.same_agency])
    prepared = services.prepare_next_term(world.lead.user, world.team.id)
    assert prepared.term.membership_id == world.same_agency.id
    assert "riverbend" in prepared.note.lower() and "stays with that agency" in prepared.note


def test_preparing_the_next_term_twice_prepares_it_once(world):
    rotation(world, cycle=True, order=[world.holder, world.police, world.advocate])
    first = services.prepare_next_term(world.lead.user, world.team.id)
    second = services.prepare_next_term(world.lead.user, world.team.id)
    assert not second.created and second.term.id == first.term.id
    assert len(terms(world.team)) == 2


def test_the_term_after_the_prepared_one_follows_the_order_once_it_begins(world, clock):
    rotation(world, cycle=True, order=[world.holder, world.police, world.advocate])
    first = services.prepare_next_term(world.lead.user, world.team.id)
    clock(first.term.starts_on)
    second = services.prepare_next_term(world.lead.user, world.team.id)
    assert second.created and second.term.membership_id == world.advocate.id
    assert second.term.starts_on == first.term.ends_on


def test_rotation_skips_members_who_left_or_became_observers(world):
    rotation(world, cycle=False, order=[world.holder, world.same_agency, world.police])
    teams.remove_member(world.lead.user, world.team.id, world.same_agency.id)
    prepared = services.prepare_next_term(world.lead.user, world.team.id)
    assert prepared.term.membership_id == world.police.id


def test_rotation_needs_an_order_and_the_rotation_method(world):
    election_policy(world)
    with pytest.raises(Conflict, match="elects"):
        services.prepare_next_term(world.lead.user, world.team.id)
    services.save_policy(
        world.lead.user,
        world.team.id,
        term_months=6,
        method=Method.ROTATION,
        cycle_agencies=False,
        notice_days=30,
        backup_membership_id=None,
    )
    with pytest.raises(Conflict, match="rotation order"):
        services.prepare_next_term(world.lead.user, world.team.id)


def test_the_rotation_order_refuses_observers_and_repeated_places(world):
    with pytest.raises(InvalidInput) as observer:
        services.set_rotation_order(world.lead.user, world.team.id, {world.observer.id: 1})
    assert observer.value.field == f"position-{world.observer.id}"
    with pytest.raises(InvalidInput, match="twice"):
        services.set_rotation_order(
            world.lead.user, world.team.id, {world.police.id: 1, world.advocate.id: 1}
        )
    assert services.rotation_order(world.team.id) == []


# --- Policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"term_months": 0}, "term_months"), ({"term_months": 25}, "term_months")]
    + [({"notice_days": -1}, "notice_days"), ({"method": "lottery"}, "method")],
)
def test_policy_refuses_bad_values_and_changes_nothing(world, changes, field):
    values = {
        "term_months": 6,
        "method": "rotation",
        "cycle_agencies": True,
        "notice_days": 30,
        "backup_membership_id": None,
    } | changes
    with pytest.raises(InvalidInput) as error:
        services.save_policy(world.lead.user, world.team.id, **values)
    assert error.value.field == field
    assert services.policy_of(world.team.id).saved is False


def test_only_leads_set_the_policy_and_outsiders_do_not_see_the_team(world):
    values = {
        "term_months": 6,
        "method": "rotation",
        "cycle_agencies": True,
        "notice_days": 30,
        "backup_membership_id": None,
    }
    with pytest.raises(Forbidden):
        services.save_policy(world.holder.user, world.team.id, **values)
    with pytest.raises(NotFound):
        services.save_policy(world.outsider.user, world.team.id, **values)
    with pytest.raises(Forbidden):
        services.set_rotation_order(world.police.user, world.team.id, {world.police.id: 1})
    with pytest.raises(Forbidden):
        services.prepare_next_term(world.police.user, world.team.id)


def test_a_new_backup_becomes_the_backup_of_the_term_in_office_not_of_past_terms(world):
    past = ModeratorTerm(
        team=world.team,
        membership=world.police,
        starts_on=add_months(TODAY, -8),
        ends_on=add_months(TODAY, -2),
    )
    db.session.add(past)
    db.session.commit()
    election_policy(world, backup=world.advocate)
    assert moderator_terms.current_term(world.team.id).backup_membership_id == world.advocate.id
    assert db.session.get(ModeratorTerm, past.id).backup_membership_id is None


def test_an_observer_cannot_be_the_backup(world):
    with pytest.raises(InvalidInput) as error:
        election_policy(world, backup=world.observer)
    assert error.value.field == "backup"


# --- Overlaps ----------------------------------------------------------------------------


def test_a_term_overlapping_another_is_refused_and_nothing_changes(world):
    before = terms(world.team)
    with pytest.raises(Conflict) as error:
        services.schedule_term(
            world.lead.user, world.team.id, world.police.id, TODAY + timedelta(days=30)
        )
    assert error.value.field == "starts_on"
    assert terms(world.team) == before


def test_a_term_planned_from_the_end_of_the_current_one_is_accepted(world):
    ends = moderator_terms.current_term(world.team.id).ends_on
    term = services.schedule_term(world.lead.user, world.team.id, world.police.id, ends)
    assert (term.starts_on, term.ends_on, term.source) == (
        ends,
        add_months(ends, 6),
        TermSource.DESIGNATED,
    )


def test_a_planned_term_ends_an_open_ended_designation_on_its_first_day(world):
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.advocate.id)
    assert moderator_terms.current_term(world.team.id).ends_on is None
    starts = TODAY + timedelta(days=40)
    services.schedule_term(world.lead.user, world.team.id, world.police.id, starts)
    assert moderator_terms.current_term(world.team.id).ends_on == starts


def test_a_term_cannot_start_in_the_past_or_go_to_an_observer(world):
    with pytest.raises(InvalidInput) as past:
        services.schedule_term(world.lead.user, world.team.id, world.police.id, date(2020, 1, 1))
    assert past.value.field == "starts_on"
    with pytest.raises(InvalidInput) as observer:
        services.schedule_term(world.lead.user, world.team.id, world.observer.id, date(2030, 1, 1))
    assert observer.value.field == "membership"


def test_designation_with_a_policy_lasts_the_term_length(world):
    election_policy(world, backup=world.advocate)
    term = moderator_terms.designate_moderator(world.lead.user, world.team.id, world.police.id)
    assert term.ends_on == add_months(TODAY, 6)
    assert term.backup_membership_id == world.advocate.id


# --- Handover on the end date ------------------------------------------------------------


def test_moderator_powers_pass_to_the_successor_on_the_end_date(world, clock):
    rotation(world, cycle=True, order=[world.holder, world.police])
    successor = services.prepare_next_term(world.lead.user, world.team.id).term
    handover = successor.starts_on
    first, second = new_proposal(world, "First"), new_proposal(world, "Second")

    clock(handover - timedelta(days=1))
    with pytest.raises(Forbidden):
        consensus.open_round(world.police.user, first.id)
    assert consensus.open_round(world.holder.user, first.id).opened_by_id == world.holder.user.id

    clock(handover)
    with pytest.raises(Forbidden):
        consensus.open_round(world.holder.user, second.id)
    assert consensus.open_round(world.police.user, second.id).opened_by_id == world.police.user.id
    assert teams.team_access(world.police.user, world.team.id).is_moderator
    assert not teams.team_access(world.holder.user, world.team.id).is_moderator


# --- Elections ---------------------------------------------------------------------------


def test_an_election_decided_by_consensus_creates_the_next_term(world):
    election_policy(world, backup=world.advocate)
    election = services.start_election(world.lead.user, world.team.id)
    current_end = moderator_terms.current_term(world.team.id).ends_on
    assert election.starts_on == current_end
    services.nominate(world.police.user, world.team.id, election.id, world.police.id)
    nomination = services.nominate(world.lead.user, world.team.id, election.id, world.advocate.id)
    proposal = services.put_nominee(world.lead.user, world.team.id, election.id, nomination.id)
    assert proposal.title.startswith(f"Elect {world.advocate.user.name} as moderator from")

    decide(proposal.id, world.holder, world.voters)

    elected = moderator_terms.next_term(world.team.id)
    assert (elected.membership_id, elected.starts_on, elected.ends_on, elected.source) == (
        world.advocate.id,
        current_end,
        add_months(current_end, 6),
        TermSource.ELECTION,
    )
    assert elected.election_id == election.id
    assert elected.backup_membership_id is None  # the backup cannot back up themselves
    assert db.session.get(Election, election.id).status is ElectionStatus.DECIDED


def test_without_consensus_the_lead_puts_another_nominee(world):
    election_policy(world)
    election = services.start_election(world.lead.user, world.team.id)
    first = services.nominate(world.police.user, world.team.id, election.id, world.police.id)
    second = services.nominate(world.advocate.user, world.team.id, election.id, world.advocate.id)
    proposal = services.put_nominee(world.lead.user, world.team.id, election.id, first.id)
    decide(proposal.id, world.holder, world.voters, down=world.advocate)
    assert moderator_terms.next_term(world.team.id) is None
    with pytest.raises(Conflict, match="already before the team"):
        services.put_nominee(world.lead.user, world.team.id, election.id, first.id)

    other = services.put_nominee(world.lead.user, world.team.id, election.id, second.id)
    assert db.session.get(Proposal, proposal.id).status is ProposalStatus.WITHDRAWN
    decide(other.id, world.holder, world.voters)
    assert moderator_terms.next_term(world.team.id).membership_id == world.advocate.id


def test_a_nominee_cannot_be_put_while_the_team_votes_on_another(world):
    election_policy(world)
    election = services.start_election(world.lead.user, world.team.id)
    first = services.nominate(world.police.user, world.team.id, election.id, world.police.id)
    second = services.nominate(world.police.user, world.team.id, election.id, world.advocate.id)
    proposal = services.put_nominee(world.lead.user, world.team.id, election.id, first.id)
    consensus.open_round(world.holder.user, proposal.id)
    with pytest.raises(Conflict, match="voting"):
        services.put_nominee(world.lead.user, world.team.id, election.id, second.id)


def test_nominations_are_for_voting_members_by_voting_members(world):
    election_policy(world)
    election = services.start_election(world.lead.user, world.team.id)
    with pytest.raises(Forbidden):
        services.nominate(world.observer.user, world.team.id, election.id, world.police.id)
    with pytest.raises(InvalidInput):
        services.nominate(world.police.user, world.team.id, election.id, world.observer.id)
    with pytest.raises(NotFound):
        services.nominate(world.outsider.user, world.team.id, election.id, world.police.id)
    services.nominate(world.police.user, world.team.id, election.id, world.police.id)
    with pytest.raises(Conflict, match="already nominated"):
        services.nominate(world.lead.user, world.team.id, election.id, world.police.id)


def test_an_election_of_another_team_is_not_found(world, make_team, make_member):
    other = make_team("Other")
    other_lead = make_member(other, role=Role.LEAD)
    election_policy(world)
    election = services.start_election(world.lead.user, world.team.id)
    with pytest.raises(NotFound):
        services.nominate(other_lead.user, other.id, election.id, other_lead.id)


def test_only_leads_open_elections_and_one_at_a_time(world):
    election_policy(world)
    with pytest.raises(Forbidden):
        services.start_election(world.holder.user, world.team.id)
    services.start_election(world.lead.user, world.team.id)
    with pytest.raises(Conflict, match="already open"):
        services.start_election(world.lead.user, world.team.id)


def test_an_election_for_a_period_already_planned_is_refused(world):
    election_policy(world)
    with pytest.raises(Conflict) as error:
        services.start_election(world.lead.user, world.team.id, TODAY + timedelta(days=10))
    assert error.value.field == "starts_on"


def test_an_elected_term_ends_an_open_ended_designation(world):
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.police.id)
    election_policy(world)
    starts = TODAY + timedelta(days=20)
    election = services.start_election(world.lead.user, world.team.id, starts)
    assert (
        moderator_terms.current_term(world.team.id).ends_on is None
    )  # not before the team decides
    nomination = services.nominate(world.police.user, world.team.id, election.id, world.advocate.id)
    proposal = services.put_nominee(world.lead.user, world.team.id, election.id, nomination.id)
    decide(proposal.id, world.police, world.voters)
    assert moderator_terms.current_term(world.team.id).ends_on == starts
    assert moderator_terms.next_term(world.team.id).membership_id == world.advocate.id


# --- Stand-ins ---------------------------------------------------------------------------


def test_the_backup_moderates_only_when_a_stand_in_is_recorded_for_today(world, clock):
    election_policy(world, backup=world.advocate)
    proposal = new_proposal(world)
    with pytest.raises(Forbidden):
        consensus.open_round(world.advocate.user, proposal.id)

    record = services.record_stand_in(
        world.holder.user, world.team.id, stand_in_membership_id=world.advocate.id, note="Ill."
    )
    assert record.kind is StandInKind.BACKUP and record.absent_membership_id == world.holder.id
    assert teams.team_access(world.advocate.user, world.team.id).is_moderator
    round_ = consensus.open_round(world.advocate.user, proposal.id)
    consensus.withdraw_round(world.advocate.user, round_.id)

    clock(TODAY + timedelta(days=1))
    assert not teams.team_access(world.advocate.user, world.team.id).is_moderator
    with pytest.raises(Forbidden):
        consensus.open_round(world.advocate.user, proposal.id)


def test_a_lead_is_moderator_only_while_standing_in(world):
    access = teams.team_access(world.lead.user, world.team.id)
    assert not access.is_moderator and not access.can(Action.MODERATE)
    services.record_stand_in(world.lead.user, world.team.id, stand_in_membership_id=world.lead.id)
    stand_in = moderator_terms.stand_in_today(world.team.id)
    assert stand_in.kind is StandInKind.LEAD
    access = teams.team_access(world.lead.user, world.team.id)
    assert access.is_moderator and access.can(Action.MODERATE)


def test_ending_a_stand_in_ends_its_powers(world):
    election_policy(world, backup=world.advocate)
    record = services.record_stand_in(
        world.lead.user, world.team.id, stand_in_membership_id=world.advocate.id
    )
    services.end_stand_in(world.holder.user, world.team.id, record.id)
    assert not teams.team_access(world.advocate.user, world.team.id).is_moderator


def test_a_stand_in_for_a_meeting_lasts_while_the_meeting_is_in_progress(world, clock):
    election_policy(world, backup=world.advocate)
    meeting = Meeting(
        team_id=world.team.id,
        title="March meeting",
        starts_at=datetime(2026, 3, 10, 17, 0, tzinfo=UTC),
        status=MeetingStatus.IN_PROGRESS,
    )
    db.session.add(meeting)
    db.session.commit()
    services.record_stand_in(
        world.holder.user,
        world.team.id,
        stand_in_membership_id=world.advocate.id,
        meeting_id=meeting.id,
    )
    clock(TODAY + timedelta(days=1))  # past midnight, the meeting still running
    assert teams.team_access(world.advocate.user, world.team.id).is_moderator
    meeting.status = MeetingStatus.ENDED
    db.session.commit()
    assert not teams.team_access(world.advocate.user, world.team.id).is_moderator


def test_only_the_backup_or_a_lead_stands_in_and_only_they_or_the_moderator_record_it(world):
    election_policy(world, backup=world.advocate)
    with pytest.raises(InvalidInput) as member:
        services.record_stand_in(
            world.lead.user, world.team.id, stand_in_membership_id=world.police.id
        )
    assert member.value.field == "stand_in"
    with pytest.raises(InvalidInput):
        services.record_stand_in(
            world.lead.user, world.team.id, stand_in_membership_id=world.holder.id
        )
    with pytest.raises(Forbidden):
        services.record_stand_in(
            world.police.user, world.team.id, stand_in_membership_id=world.advocate.id
        )
    with pytest.raises(NotFound):
        services.record_stand_in(
            world.outsider.user, world.team.id, stand_in_membership_id=world.advocate.id
        )
    assert rows(StandIn) == []


def test_the_backup_records_their_own_stand_in(world):
    election_policy(world, backup=world.advocate)
    services.record_stand_in(
        world.advocate.user, world.team.id, stand_in_membership_id=world.advocate.id
    )
    assert moderator_terms.stand_in_today(world.team.id, world.advocate.id) is not None


# --- The daily job -----------------------------------------------------------------------


def test_notices_go_to_the_incoming_and_outgoing_moderators_and_the_backup_once(world, outbox):
    rotation(world, cycle=True, order=[world.holder, world.police], backup=world.advocate)
    successor = services.prepare_next_term(world.lead.user, world.team.id).term
    starts = successor.starts_on
    assert notices.send_term_notices(starts - timedelta(days=31)) == 0
    assert notices.send_term_notices(starts - timedelta(days=30)) == 3
    recipients = sorted(m["To"] for m in outbox)
    expected = [world.police.user.email, world.holder.user.email, world.advocate.user.email]
    assert recipients == sorted(expected)
    incoming = next(m for m in outbox if m["To"] == world.police.user.email)
    assert incoming["Subject"].startswith(f"You moderate the meetings of {world.team.name} from")
    assert "the powers follow the term" in incoming.get_body(("plain",)).get_content()
    told = {
        n.user_id: n
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == Kind.TERM_STARTING)
        )
    }
    assert set(told) == {world.police.user_id, world.holder.user_id, world.advocate.user_id}
    assert told[world.holder.user_id].title.startswith("Your term as moderator")
    assert "backup moderator" in told[world.advocate.user_id].title
    assert told[world.police.user_id].url == f"/teams/{world.team.id}"
    assert notices.send_term_notices(starts - timedelta(days=29)) == 0
    assert len(outbox) == 3


def test_the_daily_job_prepares_the_successor_within_the_notice_period_once(world, clock):
    rotation(world, cycle=True, order=[world.holder, world.same_agency, world.police])
    ends = moderator_terms.current_term(world.team.id).ends_on
    assert notices.prepare_upcoming_terms(ends - timedelta(days=31)) == 0
    assert notices.prepare_upcoming_terms(ends - timedelta(days=30)) == 1
    assert notices.prepare_upcoming_terms(ends - timedelta(days=29)) == 0
    assert (
        moderator_terms.next_term(world.team.id, ends - timedelta(days=1)).membership_id
        == world.police.id
    )


# --- History and the demo ----------------------------------------------------------------


def test_history_lists_every_term_with_its_status(world):
    rotation(world, cycle=True, order=[world.holder, world.police])
    services.prepare_next_term(world.lead.user, world.team.id)
    access = teams.team_access(world.observer.user, world.team.id)
    history = services.term_history(access)
    assert [(r.term.membership_id, r.status) for r in history] == [
        (world.police.id, "upcoming"),
        (world.holder.id, "current"),
    ]


def test_the_demo_shows_a_current_rotation_term_with_its_successor(demo):
    from teamwork.auth.models import User
    from teamwork.demo import COUNTY

    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    today = teams.today()
    successor = moderator_terms.next_term(county.id)
    current = moderator_terms.current_term(county.id)
    assert current.membership.user.email == "moderator@example.org"
    assert current.ends_on == successor.starts_on > today
    assert current.backup.user.email == "recorder@example.org"
    # member2 shares the moderator's agency, so agency cycling hands over to member4.
    assert successor.membership.user.email == "member4@example.org"
    history = services.term_history(teams.team_access(users["member1@example.org"], county.id))
    assert [r.status for r in history] == ["upcoming", "current", "past"]
    assert teams.team_access(users["moderator@example.org"], county.id).is_moderator
