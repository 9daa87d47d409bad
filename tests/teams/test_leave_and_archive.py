"""Leaving a team, and archiving one: read only, off the dashboard, still readable and
searchable by its members, reversible, audited. Votes over sockets are refused too."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from teamwork.audit.models import AuditEvent
from teamwork.consensus import services as consensus
from teamwork.consensus.models import Vote
from teamwork.errors import Conflict, Forbidden, TeamArchived
from teamwork.extensions import db
from teamwork.search import services as search
from teamwork.teams import services
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role, TeamLevel
from teamwork.teams.signals import membership_ending
from tests.teams.helpers import committed_row


def actions(team_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.team_id == team_id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_member_leaves_after_confirming_and_it_is_audited(
    make_team, make_member, signed_in
) -> None:
    team = make_team()
    make_member(team, role=Role.LEAD)
    member = make_member(team)
    browser = signed_in(member.user)
    ending: list[Any] = []

    def record(sender: Membership, **_: Any) -> None:
        ending.append(sender.id)

    confirm = browser.get(f"/teams/{team.id}/leave")
    assert confirm.status_code == 200 and "Leave the team" in confirm.get_data(as_text=True)
    assert committed_row(Membership, member.id).removed_at is None
    with membership_ending.connected_to(record):
        response = browser.post(f"/teams/{team.id}/leave")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert committed_row(Membership, member.id).removed_at is not None
    assert ending == [member.id]  # moderator terms end, as for a removal
    assert "membership.left" in actions(team.id)
    assert browser.get(f"/teams/{team.id}").status_code == 404


def test_the_last_lead_cannot_leave_until_another_lead_is_appointed(
    make_team, make_member, signed_in
) -> None:
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    other = make_member(team)
    browser = signed_in(lead.user)
    response = browser.post(f"/teams/{team.id}/leave", follow_redirects=True)
    assert "appoint another lead first" in response.get_data(as_text=True)
    assert committed_row(Membership, lead.id).removed_at is None
    services.change_membership(
        lead.user,
        team.id,
        other.id,
        role=Role.LEAD,
        agency=other.agency,
        discipline=Discipline(other.discipline),
    )
    services.leave_team(lead.user, team.id)
    assert committed_row(Membership, lead.id).removed_at is not None


@pytest.fixture
def archived(make_team, make_member) -> Any:
    """A team with a lead, a member and a proposal, archived by its lead."""

    class World:
        team = make_team("Northfield County SOMT")
        lead = make_member(team, role=Role.LEAD)
        member = make_member(team)
        proposal = consensus.create_proposal(
            lead.user, team.id, title="Share polygraph results", text="Within five days."
        )

    services.archive_team(World.lead.user, World.team.id)
    return World


def test_archiving_is_for_leads_and_is_audited_and_reversible(make_team, make_member) -> None:
    team = make_team()
    lead, member = make_member(team, role=Role.LEAD), make_member(team)
    with pytest.raises(Forbidden):
        services.archive_team(member.user, team.id)
    services.archive_team(lead.user, team.id)
    assert committed_row(Team, team.id).archived_at is not None
    with pytest.raises(Conflict):
        services.archive_team(lead.user, team.id)
    with pytest.raises(Forbidden):
        services.unarchive_team(member.user, team.id)
    services.unarchive_team(lead.user, team.id)
    assert committed_row(Team, team.id).archived_at is None
    assert actions(team.id)[-2:] == ["team.archived", "team.unarchived"]
    services.update_team(lead.user, team.id, name="Renamed", level=TeamLevel.OTHER, description="")
    assert committed_row(Team, team.id).name == "Renamed"


def test_an_archived_team_refuses_every_kind_of_change(archived) -> None:
    lead, team = archived.lead.user, archived.team
    attempts = [
        lambda: services.update_team(
            lead, team.id, name="X", level=TeamLevel.OTHER, description=""
        ),
        lambda: services.invite_member(
            lead, team.id, email="a@example.org", role=Role.MEMBER, agency="A", discipline="other"
        ),
        lambda: services.remove_member(lead, team.id, archived.member.id),
        lambda: consensus.create_proposal(lead, team.id, title="New", text="Text"),
        lambda: consensus.open_round(lead, archived.proposal.id),
    ]
    for attempt in attempts:
        with pytest.raises(TeamArchived, match="This team is archived"):
            attempt()
    assert committed_row(Team, team.id).name == "Northfield County SOMT"
    assert committed_row(Membership, archived.member.id).removed_at is None


def test_an_archived_team_is_off_the_dashboard_but_readable_and_searchable(
    archived, signed_in
) -> None:
    browser = signed_in(archived.member.user)
    dashboard = browser.get("/").get_data(as_text=True)
    assert "Archived teams" in dashboard and "You do not belong to any team" not in dashboard
    assert services.list_my_teams(archived.member.user) == []
    [item] = services.list_my_teams(archived.member.user, archived=True)
    assert item.team.id == archived.team.id
    page = browser.get(f"/teams/{archived.team.id}")
    assert page.status_code == 200 and "Archived" in page.get_data(as_text=True)
    assert "Leave this team" in page.get_data(as_text=True)
    search.reindex_all()
    results = search.search_team(archived.member.user, archived.team.id, "polygraph")
    assert results.searched and results.results
    # The lead still reads the audit trail of the archived team.
    assert signed_in(archived.lead.user).get(f"/teams/{archived.team.id}/audit").status_code == 200


def test_a_write_page_of_an_archived_team_answers_a_clear_refusal(archived, signed_in) -> None:
    browser = signed_in(archived.lead.user)
    response = browser.post(
        f"/teams/{archived.team.id}/edit",
        data={"name": "X", "level": "other", "description": ""},
    )
    assert response.status_code == 409
    assert "This team is archived" in response.get_data(as_text=True)


def test_voting_over_a_socket_in_an_archived_team_is_refused(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    ack = moderator.emit("open_round", {"proposal_id": m.proposal.id})
    assert ack["ok"] is True, ack
    round_id = ack["round_id"]
    services.archive_team(m.lead.user, m.team.id)
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "r-1"})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "team_archived"
    assert "This team is archived" in ack["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0
