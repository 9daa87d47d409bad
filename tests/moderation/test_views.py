"""The moderation pages: what members see, what leads change, and who is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.extensions import db
from teamwork.moderation import services
from teamwork.moderation import terms as moderator_terms
from teamwork.moderation.models import ModerationPolicy, ModeratorTerm, RotationSlot, StandIn
from teamwork.moderation.rules import Method, TermSource, add_months
from teamwork.teams import services as teams
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Role
from tests.conftest import csrf_token_from
from tests.pages import field_error, page, text


@dataclass
class World:
    team: Team
    lead: Membership
    holder: Membership
    police: Membership
    advocate: Membership
    observer: Membership
    outsider: Membership


@pytest.fixture
def world(app: Flask, make_team, make_member, make_user) -> World:
    team = make_team("Northfield County SOM Team")
    other = make_team("Harbor County Team")
    lead = make_member(team, make_user(name="Dana Lead"), role=Role.LEAD, agency="Probation")
    holder = make_member(team, make_user(name="Marcus Holder"), agency="Riverbend Treatment")
    police = make_member(team, make_user(name="Casey Police"), agency="Northfield Police")
    advocate = make_member(team, make_user(name="Alex Advocate"), agency="Victim Advocacy")
    observer = make_member(team, make_user(name="Judge Park"), role=Role.OBSERVER)
    outsider = make_member(other, role=Role.LEAD)
    start = add_months(teams.today(), -2)
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
    return World(team, lead, holder, police, advocate, observer, outsider)


def url(world: World, path: str = "") -> str:
    return f"/teams/{world.team.id}/moderation{path}"


def rows(model: type[Any]) -> list[tuple[Any, ...]]:
    with db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(model.__table__))]


def rotating(world: World) -> None:
    services.save_policy(
        world.lead.user,
        world.team.id,
        term_months=6,
        method=Method.ROTATION,
        cycle_agencies=True,
        notice_days=30,
        backup_membership_id=world.advocate.id,
    )
    services.set_rotation_order(
        world.lead.user, world.team.id, {world.holder.id: 1, world.police.id: 2}
    )


POLICY_FORM = {
    "term_months": "3",
    "method": "rotation",
    "cycle_agencies": "y",
    "notice_days": "14",
    "backup": "",
}


def test_team_page_shows_the_moderator_the_backup_and_the_next_one(world, signed_in):
    rotating(world)
    services.prepare_next_term(world.lead.user, world.team.id)
    shown = text(signed_in(world.observer.user).get(f"/teams/{world.team.id}"))
    ends = moderator_terms.current_term(world.team.id).ends_on
    assert f"Moderator: Marcus Holder (Riverbend Treatment), until {ends:%d %b %Y}" in shown
    assert "Backup moderator: Alex Advocate (Victim Advocacy)" in shown
    assert f"Next moderator: Casey Police (Northfield Police), from {ends:%d %b %Y}" in shown
    assert "Moderator terms, elections and history" in shown


def test_moderation_page_shows_now_next_and_the_rotation_to_any_member(world, signed_in):
    rotating(world)
    services.prepare_next_term(world.lead.user, world.team.id)
    response = signed_in(world.observer.user).get(url(world))
    assert response.status_code == 200
    shown = text(response)
    assert "Moderator in office Marcus Holder (Riverbend Treatment)" in shown
    assert "Backup moderator Alex Advocate (Victim Advocacy)" in shown
    assert "Next moderator Casey Police (Northfield Police)" in shown
    assert "cycling through agencies" in shown
    assert "The moderator is absent" not in shown


def test_only_leads_are_offered_to_prepare_the_next_term_until_it_is_prepared(world, signed_in):
    rotating(world)
    lead = signed_in(world.lead.user)
    assert "Prepare the next term" in text(lead.get(url(world)))
    assert "Prepare the next term" not in text(signed_in(world.holder.user).get(url(world)))
    services.prepare_next_term(world.lead.user, world.team.id)
    assert "Prepare the next term" not in text(lead.get(url(world)))


def test_history_lists_terms_with_agency_dates_and_how_they_were_chosen(world, signed_in):
    rotating(world)
    services.prepare_next_term(world.lead.user, world.team.id)
    shown = text(signed_in(world.police.user).get(url(world, "/history")))
    assert "Casey Police Northfield Police" in shown
    assert "Marcus Holder Riverbend Treatment" in shown
    assert "Rotation" in shown and "In office" in shown and "Upcoming" in shown


def test_lead_saves_the_policy(world, signed_in):
    response = signed_in(world.lead.user).post(url(world, "/settings"), data=POLICY_FORM)
    assert response.status_code == 302
    policy = db.session.scalar(sa.select(ModerationPolicy))
    assert (policy.term_months, policy.method, policy.cycle_agencies, policy.notice_days) == (
        3,
        Method.ROTATION,
        True,
        14,
    )


def test_a_bad_term_length_is_shown_beside_the_field_and_saves_nothing(world, signed_in):
    response = signed_in(world.lead.user).post(
        url(world, "/settings"), data=POLICY_FORM | {"term_months": "30"}
    )
    assert response.status_code == 422
    assert "from 1 to 24 months" in field_error(response, "term_months")
    assert rows(ModerationPolicy) == []


def test_members_cannot_open_the_settings_and_outsiders_do_not_see_the_team(world, signed_in):
    assert signed_in(world.holder.user).get(url(world, "/settings")).status_code == 403
    response = signed_in(world.police.user).post(url(world, "/settings"), data=POLICY_FORM)
    assert response.status_code == 403
    assert rows(ModerationPolicy) == []
    assert signed_in(world.outsider.user).get(url(world)).status_code == 404


def test_lead_sets_the_rotation_order_by_place_numbers(world, signed_in):
    browser = signed_in(world.lead.user)
    response = browser.post(
        url(world, "/rotation"),
        data={f"position-{world.police.id}": "2", f"position-{world.advocate.id}": "5"},
    )
    assert response.status_code == 302
    assert [m.id for m in services.rotation_order(world.team.id)] == [
        world.police.id,
        world.advocate.id,
    ]


def test_a_repeated_place_is_shown_beside_the_field_and_saves_nothing(world, signed_in):
    response = signed_in(world.lead.user).post(
        url(world, "/rotation"),
        data={f"position-{world.police.id}": "1", f"position-{world.advocate.id}": "1"},
    )
    assert response.status_code == 422
    errors = [f"position-{world.police.id}", f"position-{world.advocate.id}"]
    assert any(f'id="{e}-error"' in page(response) for e in errors)
    assert "given twice" in text(response)
    assert rows(RotationSlot) == []


def test_lead_prepares_the_next_term_from_the_page(world, signed_in):
    rotating(world)
    browser = signed_in(world.lead.user)
    response = browser.post(url(world, "/terms/next"), follow_redirects=True)
    assert "Next term prepared: Casey Police" in text(response)
    assert moderator_terms.next_term(world.team.id).membership_id == world.police.id


def test_planning_an_overlapping_term_shows_the_conflict_beside_the_date(world, signed_in):
    before = rows(ModeratorTerm)
    start = teams.today() + timedelta(days=10)
    response = signed_in(world.lead.user).post(
        url(world, "/terms"),
        data={"membership": str(world.police.id), "starts_on": start.isoformat()},
    )
    assert response.status_code == 409
    assert "cannot overlap" in field_error(response, "starts_on")
    assert rows(ModeratorTerm) == before


def test_an_election_from_the_pages_nominate_and_put_to_the_team(world, signed_in):
    lead = signed_in(world.lead.user)
    assert lead.post(url(world, "/elections"), data={"starts_on": ""}).status_code == 302
    election = services.open_election(world.team.id)
    member = signed_in(world.police.user)
    response = member.post(
        url(world, f"/elections/{election.id}/nominations"),
        data={"membership": str(world.advocate.id)},
    )
    assert response.status_code == 302
    nomination = election.nominations[0]
    assert nomination.membership_id == world.advocate.id
    response = lead.post(
        url(world, f"/elections/{election.id}/nominations/{nomination.id}/proposal")
    )
    assert response.status_code == 302
    db.session.refresh(nomination)
    assert f"/proposals/{nomination.proposal_id}" in response.headers["Location"]
    assert "Elect Alex Advocate as moderator" in text(lead.get(url(world)))


def test_observers_cannot_nominate(world, signed_in):
    services.start_election(world.lead.user, world.team.id)
    election = services.open_election(world.team.id)
    response = signed_in(world.observer.user).post(
        url(world, f"/elections/{election.id}/nominations"),
        data={"membership": str(world.police.id)},
    )
    assert response.status_code == 403
    assert election.nominations == []


def test_the_moderator_records_a_stand_in_shown_on_the_page_and_in_the_history(world, signed_in):
    rotating(world)
    browser = signed_in(world.holder.user)
    response = browser.post(
        url(world, "/stand-ins"),
        data={"stand_in": str(world.advocate.id), "meeting": "", "note": "On leave"},
    )
    assert response.status_code == 302
    shown = text(browser.get(url(world)))
    assert "Standing in today Alex Advocate (backup moderator) stands in for Marcus Holder" in shown
    history = text(browser.get(url(world, "/history")))
    assert "Alex Advocate (backup moderator)" in history and "On leave" in history


def test_a_stand_in_who_is_neither_backup_nor_lead_is_refused_beside_the_field(world, signed_in):
    rotating(world)
    response = signed_in(world.lead.user).post(
        url(world, "/stand-ins"), data={"stand_in": str(world.police.id), "meeting": ""}
    )
    assert response.status_code == 422
    assert "backup moderator or a lead" in field_error(response, "stand_in")
    assert rows(StandIn) == []


def test_a_stand_in_without_a_csrf_token_changes_nothing(app, world, signed_in):
    rotating(world)
    browser = signed_in(world.holder.user)
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"stand_in": str(world.advocate.id), "meeting": ""}
    assert browser.post(url(world, "/stand-ins"), data=data).status_code == 400
    assert rows(StandIn) == []
    token = csrf_token_from(browser.get(url(world)).get_data(as_text=True))
    response = browser.post(url(world, "/stand-ins"), data=data | {"csrf_token": token})
    assert response.status_code == 302
    assert len(rows(StandIn)) == 1


def test_pages_of_another_teams_election_are_not_found(world, signed_in):
    services.start_election(world.lead.user, world.team.id)
    election = services.open_election(world.team.id)
    other_team_id = world.outsider.team_id
    response = signed_in(world.outsider.user).post(
        f"/teams/{other_team_id}/moderation/elections/{election.id}/nominations",
        data={"membership": str(world.outsider.id)},
    )
    assert response.status_code == 404
