"""Team structure: the organisation chart, and a parent team reading its subteams' adopted
work (charter and decisions), read only."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.charter import services as charter
from teamwork.charter.models import StatementKind, StatementVersion
from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.extensions import db
from teamwork.teams.rules import Role, TeamLevel


def network(make_team, make_member):
    root = make_team("Statewide network", level=TeamLevel.STATEWIDE_POLICY)
    county = make_team("County team", parent=root)
    core = make_team("Core team", level=TeamLevel.CASE_MANAGEMENT, parent=county)
    other = make_team("Other county", parent=root)
    state_lead = make_member(root, role=Role.LEAD)
    county_lead = make_member(county, role=Role.LEAD)
    core_lead = make_member(core, role=Role.LEAD)
    make_member(other, role=Role.LEAD)
    return root, county, core, other, state_lead, county_lead, core_lead


def test_parent_members_read_a_subteams_charter_and_decisions(
    make_team, make_member, signed_in
) -> None:
    root, county, core, other, state_lead, county_lead, core_lead = network(make_team, make_member)
    charter.draft_statement(core_lead.user, core.id, kind=StatementKind.MISSION, text="Core work.")
    proposal = consensus.create_proposal(core_lead.user, core.id, title="Decide", text="Agreed.")
    round_ = consensus.open_round(core_lead.user, proposal.id)
    voting.cast_vote(core_lead.user, round_.id, choice="up", reason="", request_id="r")
    consensus.close_round(core_lead.user, round_.id)

    grandparent = signed_in(state_lead.user)  # two levels up
    page = grandparent.get(f"/teams/{core.id}/charter")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Core work." in html and "read only" in html
    assert "Start a draft" not in html
    decisions = grandparent.get(f"/teams/{core.id}/decisions").get_data(as_text=True)
    assert "Agreed." in decisions
    # Only adopted work: not the team page, its live proposals or its membership.
    assert grandparent.get(f"/teams/{core.id}").status_code == 404
    assert grandparent.get(f"/teams/{core.id}/proposals").status_code == 404
    assert grandparent.get(f"/teams/{core.id}/proposals/{proposal.id}").status_code == 404
    assert grandparent.get(f"/teams/{core.id}/members").status_code == 404
    # And never to write.
    response = grandparent.post(
        f"/teams/{core.id}/charter/drafts", data={"kind": "vision", "text": "Not mine"}
    )
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(StatementVersion.id))) == 1


def test_subteam_members_do_not_see_their_parent_or_sibling_teams(
    make_team, make_member, signed_in
) -> None:
    root, county, core, other, state_lead, county_lead, core_lead = network(make_team, make_member)
    browser = signed_in(core_lead.user)
    assert browser.get(f"/teams/{county.id}/charter").status_code == 404
    assert browser.get(f"/teams/{root.id}/decisions").status_code == 404
    chart = browser.get(f"/teams/{core.id}/structure").get_data(as_text=True)
    assert "Core team" in chart
    assert "County team" not in chart and "Other county" not in chart


def test_the_organisation_chart_shows_the_whole_network_to_its_members(
    make_team, make_member, signed_in
) -> None:
    root, county, core, other, state_lead, *_ = network(make_team, make_member)
    chart = signed_in(state_lead.user).get(f"/teams/{root.id}/structure").get_data(as_text=True)
    for name in ("Statewide network", "County team", "Core team", "Other county"):
        assert name in chart
    assert chart.index("County team") < chart.index("Core team")  # nested under its parent


def test_outsiders_get_404_on_structure_and_oversight_pages(
    make_team, make_member, make_user, signed_in
) -> None:
    root, county, core, *_ = network(make_team, make_member)
    stranger = signed_in(make_user())
    for url in (
        f"/teams/{root.id}/structure",
        f"/teams/{core.id}/structure",
        f"/teams/{core.id}/charter",
        f"/teams/{core.id}/decisions",
    ):
        assert stranger.get(url).status_code == 404, url
