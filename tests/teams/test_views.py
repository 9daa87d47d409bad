"""Team pages over HTTP: who may open what, what the pages show, and what requests change.

Every request that changes something, or must not, is followed by a read of the committed
database state through a connection of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from teamwork.auth.models import User
from teamwork.moderation import terms as moderator_terms
from teamwork.moderation.models import ModeratorTerm
from teamwork.teams import services
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role, TeamLevel
from tests.pages import field_error, page
from tests.teams.helpers import committed, committed_row, snapshot

# --- Helpers -----------------------------------------------------------------------------


def flashed_error(response: Any) -> str:
    alerts = re.search(r'<div id="flash-alerts"[^>]*>(.*?)</div>', page(response), re.S)
    assert alerts, "no alert region on the page"
    return alerts.group(1)


@pytest.fixture
def world(
    make_user: Callable[..., User], make_team: Callable[..., Team], make_member: Callable[..., Any]
) -> Any:
    """A team with one of each role, a pending invitation, and an outsider leading another team."""

    class World:
        team = make_team("Northfield County SOMT")
        other = make_team("Harbor County SOMT")
        lead = make_member(team, make_user(name="Lena Lead"), role=Role.LEAD)
        recorder = make_member(team, make_user(name="Rita Recorder"), role=Role.RECORDER)
        member = make_member(
            team,
            make_user(name="Mo Member"),
            agency="Northfield Treatment Associates",
            discipline=Discipline.TREATMENT,
        )
        observer = make_member(
            team,
            make_user(name="Obi Observer"),
            role=Role.OBSERVER,
            agency="Northfield Police",
            discipline=Discipline.LAW_ENFORCEMENT,
        )
        outsider = make_member(other, make_user(name="Otto Outsider"), role=Role.LEAD)
        invitation = services.invite_member(
            lead.user,
            team.id,
            email="pending@example.org",
            role=Role.MEMBER,
            agency="Victim Services",
            discipline=Discipline.VICTIM_ADVOCACY,
        ).invitation

    return World


def team_requests(app: Flask, world: Any) -> list[tuple[str, str]]:
    """(method, url) for every team route, on `world.team`, with its other ids filled in."""
    ids = {"membership_id": world.member.id, "invitation_id": world.invitation.id}
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if "<int:team_id>" not in rule.rule:
            continue
        # Ids this module does not create (other capabilities' rows) default to 1.
        others = {name: ids.get(name, 1) for name in rule.arguments - {"team_id"}}
        values = {"team_id": world.team.id, **others}
        url = adapter.build(rule.endpoint, values)
        found += [(method, url) for method in sorted((rule.methods or set()) & {"GET", "POST"})]
    parent = f"/teams/new?parent={world.team.id}"
    return [*found, ("GET", parent), ("POST", parent)]


def harmful_form(world: Any) -> dict[str, Any]:
    """Form data that every team POST would accept from a lead: each would change something."""
    prefix = f"m{world.member.id}"
    return {
        "name": "Taken over",
        "level": TeamLevel.OTHER.value,
        "description": "Hijacked",
        "email": "intruder@example.org",
        "agency": "Intruders Inc.",
        "discipline": Discipline.OTHER.value,
        "role": Role.LEAD.value,
        "membership_id": str(world.member.id),
        f"{prefix}-agency": "Intruders Inc.",
        f"{prefix}-discipline": Discipline.OTHER.value,
        f"{prefix}-role": Role.OBSERVER.value,
    }


def send(browser: FlaskClient, method: str, url: str, data: dict[str, Any]) -> Any:
    if method == "GET":
        return browser.get(url)
    return browser.post(url, data=data)


# --- Who may open what -------------------------------------------------------------------


def test_every_team_route_is_enumerated(app: Flask, world: Any) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "<int:team_id>" in rule.rule}
    assert endpoints >= {
        "teams.show",
        "teams.edit",
        "teams.members",
        "teams.invite",
        "teams.revoke_invitation",
        "teams.resend_invitation",
        "teams.update_member",
        "teams.remove_member",
        "moderation.designate_moderator",
    }
    assert len(team_requests(app, world)) >= 12


def test_non_member_gets_404_on_every_team_url(
    app: Flask, world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    outsider = signed_in(world.outsider.user)  # a lead, but of another team
    before = snapshot()
    for method, url in team_requests(app, world):
        response = send(outsider, method, url, harmful_form(world))
        assert response.status_code == 404, (method, url, response.status_code)
        assert world.team.name not in page(response), (method, url)
    assert snapshot() == before


def _without_csrf(body: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token" value=""', body)


def test_a_foreign_team_answers_exactly_like_a_missing_one(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    outsider = signed_in(world.outsider.user)
    outsider.get("/")  # shows the welcome message, so neither page below has it
    foreign = outsider.get(f"/teams/{world.team.id}")
    missing = outsider.get("/teams/987654")
    assert foreign.status_code == missing.status_code == 404
    # The sign-out form's CSRF token carries the second it was signed in: two requests either
    # side of a second differ there and nowhere else.
    assert _without_csrf(foreign.get_data()) == _without_csrf(missing.get_data())
    assert "do not have access" in page(foreign)


def test_removed_member_gets_404_on_every_team_url(
    app: Flask, world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    # A former lead: the strongest role they could have kept by mistake.
    second_lead = services.change_membership(
        world.lead.user,
        world.team.id,
        world.recorder.id,
        role=Role.LEAD,
        agency="Northfield County Probation Department",
        discipline=Discipline.PROBATION_PAROLE,
    )
    browser = signed_in(second_lead.user)
    assert browser.get(f"/teams/{world.team.id}").status_code == 200
    services.remove_member(world.lead.user, world.team.id, second_lead.id)
    before = snapshot()
    for method, url in team_requests(app, world):
        response = send(browser, method, url, harmful_form(world))
        assert response.status_code == 404, (method, url, response.status_code)
    assert world.team.name not in page(browser.get("/"))
    assert snapshot() == before


def test_anonymous_user_is_sent_to_sign_in_on_every_team_url(
    app: Flask, client: FlaskClient, world: Any
) -> None:
    before = snapshot()
    for method, url in [("GET", "/"), ("GET", "/teams/new"), *team_requests(app, world)]:
        response = send(client, method, url, harmful_form(world))
        assert response.status_code == 302, (method, url)
        assert urlsplit(response.headers["Location"]).path == "/login", (method, url)
    assert snapshot() == before


def leads_only_requests(world: Any) -> list[tuple[str, str, dict[str, Any]]]:
    team, member = world.team.id, world.member.id
    prefix = f"m{member}"
    return [
        (
            "POST",
            f"/teams/{team}/invitations",
            {
                "email": "friend@example.org",
                "agency": "Friends",
                "discipline": "other",
                "role": "lead",
            },
        ),
        (
            "POST",
            f"/teams/{team}/members/{member}",
            {f"{prefix}-agency": "X", f"{prefix}-discipline": "other", f"{prefix}-role": "lead"},
        ),
        ("POST", f"/teams/{team}/members/{world.lead.id}/remove", {}),
        ("POST", f"/teams/{team}/moderator", {"membership_id": str(member)}),
        ("POST", f"/teams/{team}/invitations/{world.invitation.id}/revoke", {}),
        ("POST", f"/teams/{team}/invitations/{world.invitation.id}/resend", {}),
        ("GET", f"/teams/{team}/edit", {}),
        ("POST", f"/teams/{team}/edit", {"name": "Renamed", "level": "other"}),
        ("GET", f"/teams/new?parent={team}", {}),
        (
            "POST",
            f"/teams/new?parent={team}",
            {"name": "Sub", "level": "other", "agency": "A", "discipline": "other"},
        ),
    ]


@pytest.mark.parametrize("who", ["member", "recorder", "observer", "moderator"])
def test_non_leads_get_403_on_leads_only_actions(
    world: Any, signed_in: Callable[[User], FlaskClient], who: str
) -> None:
    if who == "moderator":  # a member holding the term moderates, but does not manage
        moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
        who = "member"
    browser = signed_in(getattr(world, who).user)
    before = snapshot()
    for method, url, data in leads_only_requests(world):
        response = send(browser, method, url, data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "does not allow" in page(response)
    assert snapshot() == before


def test_leads_open_the_management_pages(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    team = world.team.id
    for url in (f"/teams/{team}/members", f"/teams/{team}/edit", f"/teams/new?parent={team}"):
        assert browser.get(url).status_code == 200, url
    shown = page(browser.get(f"/teams/{team}"))
    assert "Manage members" in shown
    assert "New subteam" in shown


@pytest.mark.parametrize("who", ["member", "recorder", "observer"])
def test_team_page_offers_no_management_links_to_non_leads(
    world: Any, signed_in: Callable[[User], FlaskClient], who: str
) -> None:
    shown = page(signed_in(getattr(world, who).user).get(f"/teams/{world.team.id}"))
    assert "Manage members" not in shown
    assert f"/teams/{world.team.id}/edit" not in shown
    assert "New subteam" not in shown


# --- What the pages show -----------------------------------------------------------------


def test_dashboard_lists_only_the_users_teams(
    world: Any,
    signed_in: Callable[[User], FlaskClient],
    make_team: Callable[..., Team],
    make_member: Callable[..., Any],
) -> None:
    make_team("Secret Statewide Council")
    former = make_team("Former Working Group")
    former_lead = make_member(former, role=Role.LEAD).user
    left = make_member(former, world.member.user)
    services.remove_member(former_lead, former.id, left.id)
    shown = page(signed_in(world.member.user).get("/"))
    assert "Northfield County SOMT" in shown
    assert f'href="/teams/{world.team.id}"' in shown
    for hidden in ("Harbor County SOMT", "Secret Statewide Council", "Former Working Group"):
        assert hidden not in shown
    assert "4 members" in shown
    assert "Northfield Treatment Associates" in shown
    assert 'class="badge badge-member">Member<' in shown


def test_dashboard_escapes_team_names(
    signed_in: Callable[[User], FlaskClient],
    make_team: Callable[..., Team],
    make_member: Callable[..., Any],
) -> None:
    team = make_team("<script>alert(1)</script> Team")
    user = make_member(team).user
    raw = signed_in(user).get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Team" in raw


def test_dashboard_without_teams_says_how_to_join(
    make_user: Callable[..., User], signed_in: Callable[[User], FlaskClient]
) -> None:
    shown = page(signed_in(make_user()).get("/"))
    assert "You do not belong to any team yet" in shown
    assert "New team" not in shown


def member_items(shown: str) -> list[str]:
    """The member list entries of a team page, whitespace collapsed."""
    section = shown.split('id="members-heading"', 1)[1]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", li).split())
        for li in re.findall(r'<li class="cluster">(.*?)</li>', section, re.S)
    ]


def agency_headings(shown: str) -> list[str]:
    section = shown.split('id="members-heading"', 1)[1]
    return re.findall(r"<h3>(.*?)</h3>", section)


def test_members_page_groups_members_by_agency_with_disciplines_roles_and_moderator(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.recorder.id)
    browser = signed_in(world.observer.user)
    shown = page(browser.get(f"/teams/{world.team.id}/members"))
    assert agency_headings(shown) == [
        "Northfield County Probation Department",
        "Northfield Police",
        "Northfield Treatment Associates",
    ]
    assert member_items(shown) == [
        "Lena Lead Probation and parole Lead",
        "Rita Recorder Probation and parole Recorder Moderator",
        "Obi Observer Law enforcement Observer",
        "Mo Member Treatment Member",
    ]
    assert "Members by agency (4)" in shown
    for line in ("Probation and parole: 2", "Law enforcement: 1", "Treatment: 1"):
        assert f"<li>{line}</li>" in shown
    # Reading the roster is not managing it.
    assert "Invite someone" not in shown
    assert "/remove" not in shown
    overview = page(browser.get(f"/teams/{world.team.id}"))
    assert "Members by agency (4)" in overview
    assert "Moderator: Rita Recorder (Northfield County Probation Department)" in overview
    assert "Lead: Lena Lead" in overview
    assert "Recorder: Rita Recorder" in overview
    # The viewer's own role, and no moderator badge for them.
    assert 'You are <span class="badge badge-observer">Observer</span>' in overview
    assert 'class="badge badge-moderator">Moderator</span></span>' not in overview


def test_team_page_tells_the_moderator_they_moderate(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.member.user)
    assert "none designated" in page(browser.get(f"/teams/{world.team.id}"))
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    shown = page(browser.get(f"/teams/{world.team.id}"))
    header = shown.split('id="leadership-heading"', 1)[0]
    assert 'badge-moderator">Moderator<' in header
    assert "Moderator: Mo Member (Northfield Treatment Associates)" in shown


def test_members_page_leaves_out_removed_members(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    services.remove_member(world.lead.user, world.team.id, world.member.id)
    shown = page(signed_in(world.lead.user).get(f"/teams/{world.team.id}/members"))
    assert "Mo Member" not in shown
    assert "Northfield Treatment Associates" not in shown
    assert "Members by agency (3)" in shown


# --- Membership management ---------------------------------------------------------------


def member_form(membership_id: int, **values: str) -> dict[str, str]:
    data = {
        "agency": "Harbor Police Department",
        "discipline": Discipline.LAW_ENFORCEMENT.value,
        "role": Role.RECORDER.value,
    }
    data.update(values)
    return {f"m{membership_id}-{name}": value for name, value in data.items()}


def test_lead_changes_a_members_role_agency_and_discipline(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    response = browser.post(
        f"/teams/{world.team.id}/members/{world.member.id}",
        data=member_form(world.member.id, agency="  Harbor   Police Department "),
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/teams/{world.team.id}/members"
    row = committed_row(Membership, world.member.id)
    assert (row.role, row.agency, row.discipline, row.removed_at) == (
        Role.RECORDER,
        "Harbor Police Department",
        Discipline.LAW_ENFORCEMENT,
        None,
    )
    shown = page(browser.get(response.headers["Location"]))
    assert "Mo Member's membership is updated." in shown
    shown = page(browser.get(f"/teams/{world.team.id}"))
    assert "Recorder: Mo Member (Harbor Police Department)" in shown


def test_members_page_lists_members_invitations_and_forms(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    shown = page(signed_in(world.lead.user).get(f"/teams/{world.team.id}/members"))
    assert "Change or remove a membership (4)" in shown
    assert "pending@example.org" in shown
    assert f'action="/teams/{world.team.id}/invitations/{world.invitation.id}/resend"' in shown
    assert f'action="/teams/{world.team.id}/invitations/{world.invitation.id}/revoke"' in shown
    assert f'id="m{world.member.id}-agency"' in shown
    assert 'value="Northfield Treatment Associates"' in shown
    # Everyone but the lead themself has a remove button; observers cannot be chosen moderator.
    assert f"/members/{world.member.id}/remove" in shown
    assert f"/members/{world.lead.id}/remove" not in shown
    choices = shown.split('id="moderator-choice"', 1)[1].split("</select>", 1)[0]
    assert "Mo Member" in choices
    assert "Obi Observer" not in choices


def test_lead_removes_a_member_who_then_gets_404(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    removed = signed_in(world.member.user)
    assert removed.get(f"/teams/{world.team.id}").status_code == 200
    browser = signed_in(world.lead.user)
    response = browser.post(
        f"/teams/{world.team.id}/members/{world.member.id}/remove", follow_redirects=True
    )
    assert response.status_code == 200
    assert "Mo Member is no longer a member of this team." in page(response)
    row = committed_row(Membership, world.member.id)
    assert row.removed_at is not None
    assert len(committed(Membership, Membership.team_id == world.team.id)) == 4  # row kept
    assert removed.get(f"/teams/{world.team.id}").status_code == 404
    assert "Northfield County SOMT" not in page(removed.get("/"))
    # Removing them again: they are no longer a current member of the team.
    again = browser.post(f"/teams/{world.team.id}/members/{world.member.id}/remove")
    assert again.status_code == 404
    assert committed_row(Membership, world.member.id).removed_at == row.removed_at


def test_last_lead_cannot_be_demoted(world: Any, signed_in: Callable[[User], FlaskClient]) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    response = browser.post(
        f"/teams/{world.team.id}/members/{world.lead.id}",
        data=member_form(world.lead.id, role=Role.MEMBER.value),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "A team needs at least one lead" in flashed_error(response)
    assert snapshot() == before
    assert committed_row(Membership, world.lead.id).role is Role.LEAD


def test_last_lead_cannot_be_removed(world: Any, signed_in: Callable[[User], FlaskClient]) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    response = browser.post(
        f"/teams/{world.team.id}/members/{world.lead.id}/remove", follow_redirects=True
    )
    assert response.status_code == 200
    assert "A team needs at least one lead" in flashed_error(response)
    assert snapshot() == before


def test_a_lead_can_be_removed_when_another_remains(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    promote = browser.post(
        f"/teams/{world.team.id}/members/{world.recorder.id}",
        data=member_form(world.recorder.id, role=Role.LEAD.value),
    )
    assert promote.status_code == 302
    response = browser.post(f"/teams/{world.team.id}/members/{world.lead.id}/remove")
    assert response.status_code == 302
    assert committed_row(Membership, world.lead.id).removed_at is not None
    assert committed_row(Membership, world.recorder.id).role is Role.LEAD
    assert browser.get(f"/teams/{world.team.id}").status_code == 404


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"agency": ""}, "agency", "This field is required."),
        ({"agency": "   "}, "agency", "This field is required."),
        ({"agency": "x" * 161}, "agency", "Field cannot be longer than 160 characters."),
        ({"role": "superuser"}, "role", "Not a valid choice."),
        ({"discipline": "astrology"}, "discipline", "Not a valid choice."),
    ],
)
def test_bad_membership_input_rerenders_422_with_the_error_beside_the_field(
    world: Any,
    signed_in: Callable[[User], FlaskClient],
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    response = browser.post(
        f"/teams/{world.team.id}/members/{world.member.id}",
        data=member_form(world.member.id, **values),
    )
    assert response.status_code == 422
    assert message in field_error(response, f"m{world.member.id}-{field}")
    shown = page(response)
    assert f'aria-describedby="m{world.member.id}-{field}-error"' in shown
    # Only the edited member's form shows errors, and it is open.
    assert shown.count('class="field-error"') == 1
    assert '<details class="member-edit" open>' in shown
    assert snapshot() == before


def test_a_membership_of_another_team_is_not_found(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    foreign = world.outsider.id
    before = snapshot()
    base = f"/teams/{world.team.id}"
    assert browser.post(f"{base}/members/{foreign}", data=member_form(foreign)).status_code == 404
    assert browser.post(f"{base}/members/{foreign}/remove").status_code == 404
    moderator = browser.post(f"{base}/moderator", data={"membership_id": str(foreign)})
    assert moderator.status_code == 404
    assert snapshot() == before


def test_edit_team_details(world: Any, signed_in: Callable[[User], FlaskClient]) -> None:
    browser = signed_in(world.lead.user)
    form = page(browser.get(f"/teams/{world.team.id}/edit"))
    assert 'value="Northfield County SOMT"' in form
    assert '<option selected value="local_policy">' in form
    response = browser.post(
        f"/teams/{world.team.id}/edit",
        data={"name": " Northfield   Team ", "level": "case_management", "description": "Core"},
    )
    assert response.status_code == 302
    row = committed_row(Team, world.team.id)
    assert (row.name, row.level, row.description) == (
        "Northfield Team",
        TeamLevel.CASE_MANAGEMENT,
        "Core",
    )
    before = snapshot()
    bad = browser.post(f"/teams/{world.team.id}/edit", data={"name": "", "level": "galactic"})
    assert bad.status_code == 422
    assert "This field is required." in field_error(bad, "name")
    assert "Not a valid choice." in field_error(bad, "level")
    assert snapshot() == before


def test_a_team_shows_times_in_its_own_zone_unless_the_reader_chose_one(
    app: Flask, world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    app.config["TEAMWORK_DEFAULT_TIMEZONE"] = "UTC"
    browser = signed_in(world.lead.user)
    audit = f"/teams/{world.team.id}/audit"
    assert " UTC</td>" in browser.get(audit).get_data(as_text=True)
    saved = browser.post(
        f"/teams/{world.team.id}/edit",
        data={"name": "Northfield County SOMT", "level": "local_policy", "timezone": "Asia/Tokyo"},
    )
    assert saved.status_code == 302
    assert committed_row(Team, world.team.id).timezone == "Asia/Tokyo"
    assert " JST</td>" in browser.get(audit).get_data(as_text=True)
    schedule = page(browser.get(f"/teams/{world.team.id}/meetings/new"))
    assert '<option selected value="Asia/Tokyo">' in schedule  # meetings default to it
    # A page of no team (the account page) keeps the deployment's zone.
    assert " UTC</span>" in browser.get("/account").get_data(as_text=True)
    # A reader's own zone wins on every page.
    browser.post("/account", data={"form": "timezone", "zone-timezone": "America/Chicago"})
    shown = browser.get(audit).get_data(as_text=True)
    assert " CST</td>" in shown or " CDT</td>" in shown


def test_an_unknown_team_zone_is_refused_and_nothing_changes(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    bad = browser.post(
        f"/teams/{world.team.id}/edit",
        data={"name": "Renamed", "level": "local_policy", "timezone": "Mars/Olympus_Mons"},
    )
    assert bad.status_code == 422
    assert "Choose a time zone from the list." in field_error(bad, "timezone")
    assert snapshot() == before


def test_a_subteam_takes_its_parents_zone(world: Any) -> None:
    world.team.timezone = "America/Phoenix"
    services.db.session.commit()
    sub = services.create_team(
        world.lead.user,
        name="Housing working group",
        level=TeamLevel.OTHER,
        parent_id=world.team.id,
        agency="Northfield County Probation Department",
        discipline=Discipline.PROBATION_PAROLE,
    )
    assert committed_row(Team, sub.id).timezone == "America/Phoenix"


# --- Moderator ---------------------------------------------------------------------------


def test_lead_designates_a_member_as_moderator(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    response = browser.post(
        f"/teams/{world.team.id}/moderator",
        data={"membership_id": str(world.member.id)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Mo Member now moderates this team's meetings." in page(response)
    (term,) = committed(ModeratorTerm)
    assert (term.membership_id, term.starts_on, term.ends_on, term.assigned_by_id) == (
        world.member.id,
        services.today(),
        None,
        world.lead.user.id,
    )
    assert services.team_access(world.member.user, world.team.id).is_moderator is True
    assert services.team_access(world.lead.user, world.team.id).is_moderator is False
    shown = page(browser.get(f"/teams/{world.team.id}"))
    assert "Moderator: Mo Member (Northfield Treatment Associates)" in shown
    roster = page(browser.get(f"/teams/{world.team.id}/members"))
    assert "Mo Member Treatment Member Moderator" in member_items(roster)


def test_designating_an_observer_is_refused(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    response = browser.post(
        f"/teams/{world.team.id}/moderator",
        data={"membership_id": str(world.observer.id)},
        follow_redirects=True,
    )
    assert "Observers do not vote, so they cannot moderate." in flashed_error(response)
    assert snapshot() == before
    assert services.team_access(world.observer.user, world.team.id).is_moderator is False


def test_designating_without_a_choice_is_a_bad_request(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    before = snapshot()
    response = signed_in(world.lead.user).post(f"/teams/{world.team.id}/moderator", data={})
    assert response.status_code == 400
    assert snapshot() == before


def test_removing_the_moderator_ends_their_term(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    browser.post(f"/teams/{world.team.id}/moderator", data={"membership_id": str(world.member.id)})
    assert services.team_access(world.member.user, world.team.id).is_moderator is True
    response = browser.post(f"/teams/{world.team.id}/members/{world.member.id}/remove")
    assert response.status_code == 302
    (term,) = committed(ModeratorTerm)
    assert term.ends_on == services.today()
    assert moderator_terms.current_term(world.team.id) is None
    shown = page(browser.get(f"/teams/{world.team.id}"))
    assert "Moderator: none designated" in re.sub(r"<[^>]+>", "", shown)


def test_a_new_moderator_replaces_the_current_one(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    url = f"/teams/{world.team.id}/moderator"
    browser.post(url, data={"membership_id": str(world.member.id)})
    browser.post(url, data={"membership_id": str(world.recorder.id)})
    current = moderator_terms.current_term(world.team.id)
    assert current is not None
    assert current.membership_id == world.recorder.id
    assert [t.membership_id for t in committed(ModeratorTerm)] == [world.recorder.id]
    assert services.team_access(world.member.user, world.team.id).is_moderator is False
    again = browser.post(url, data={"membership_id": str(world.recorder.id)}, follow_redirects=True)
    assert "Rita Recorder is already the moderator." in flashed_error(again)


# --- Subteams and new teams --------------------------------------------------------------


def test_lead_of_a_parent_creates_a_subteam_and_leads_it(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    url = f"/teams/new?parent={world.team.id}"
    form = page(browser.get(url))
    assert "New subteam of Northfield County SOMT" in form
    assert 'value="Northfield County Probation Department"' in form  # their agency, prefilled
    response = browser.post(
        url,
        data={
            "name": "Northfield Core Case Team",
            "level": "case_management",
            "description": "",
            "agency": "Northfield County Probation Department",
            "discipline": "probation_parole",
        },
    )
    assert response.status_code == 302
    (sub,) = committed(Team, Team.name == "Northfield Core Case Team")
    assert sub.parent_id == world.team.id
    assert sub.level is TeamLevel.CASE_MANAGEMENT
    assert urlsplit(response.headers["Location"]).path == f"/teams/{sub.id}/members"
    (membership,) = committed(Membership, Membership.team_id == sub.id)
    assert (membership.user_id, membership.role) == (world.lead.user.id, Role.LEAD)
    assert browser.get(f"/teams/{sub.id}/members").status_code == 200
    # Other members of the parent do not join the subteam, nor see it.
    member = signed_in(world.member.user)
    assert member.get(f"/teams/{sub.id}").status_code == 404
    assert "Northfield Core Case Team" not in page(member.get(f"/teams/{world.team.id}"))
    assert "Northfield Core Case Team" not in page(member.get("/"))
    assert "Northfield Core Case Team" in page(browser.get(f"/teams/{world.team.id}"))


def test_bad_new_team_input_rerenders_422(
    world: Any, signed_in: Callable[[User], FlaskClient]
) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    response = browser.post(
        f"/teams/new?parent={world.team.id}",
        data={"name": "", "level": "case_management", "agency": "", "discipline": "other"},
    )
    assert response.status_code == 422
    assert "This field is required." in field_error(response, "name")
    assert "This field is required." in field_error(response, "agency")
    assert snapshot() == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_non_admin_without_parent_gets_404_on_new_team(
    world: Any, signed_in: Callable[[User], FlaskClient], method: str
) -> None:
    browser = signed_in(world.lead.user)
    before = snapshot()
    data = {"name": "Rogue", "level": "other", "agency": "A", "discipline": "other"}
    assert send(browser, method, "/teams/new", data).status_code == 404
    assert send(browser, method, "/teams/new?parent=abc", data).status_code == 404
    assert snapshot() == before


def test_admin_creates_a_top_level_team(
    make_user: Callable[..., User], signed_in: Callable[[User], FlaskClient]
) -> None:
    admin = make_user(name="Ada Admin", is_admin=True)
    browser = signed_in(admin)
    assert "New team" in page(browser.get("/"))
    assert browser.get("/teams/new").status_code == 200
    response = browser.post(
        "/teams/new",
        data={
            "name": "Cascadia Network",
            "level": "statewide_policy",
            "description": "Statewide",
            "agency": "State Department of Corrections",
            "discipline": "corrections",
        },
    )
    assert response.status_code == 302
    (team,) = committed(Team)
    assert (team.name, team.parent_id, team.level) == (
        "Cascadia Network",
        None,
        TeamLevel.STATEWIDE_POLICY,
    )
    (membership,) = committed(Membership)
    assert (membership.user_id, membership.role, membership.discipline) == (
        admin.id,
        Role.LEAD,
        Discipline.CORRECTIONS,
    )
    assert "Cascadia Network" in page(browser.get("/"))


def test_parent_name_shows_on_a_subteam_only_to_members_of_the_parent(
    world: Any,
    signed_in: Callable[[User], FlaskClient],
    make_team: Callable[..., Team],
    make_member: Callable[..., Any],
) -> None:
    sub = make_team("Northfield Core Case Team", parent=world.team)
    make_member(sub, world.member.user)
    sub_only = make_member(sub, role=Role.LEAD).user
    both = page(signed_in(world.member.user).get(f"/teams/{sub.id}"))
    assert "part of" in both
    assert "Northfield County SOMT" in both
    assert f'href="/teams/{world.team.id}"' in both
    assert "part of Northfield County SOMT" in page(signed_in(world.member.user).get("/"))
    only = signed_in(sub_only)
    for url in (f"/teams/{sub.id}", "/", f"/teams/{sub.id}/members"):
        shown = page(only.get(url))
        assert "Northfield County SOMT" not in shown, url
        assert f"/teams/{world.team.id}" not in shown, url
        assert "part of" not in shown, url
