"""Operating norms (versioned, edited by leads), stakeholder incentives (per agency, with review
reminders), the composition page and the leadership partial."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import time, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string

from teamwork.auth.models import User
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.norms import reminders, rules
from teamwork.norms import services as norms
from teamwork.norms.models import Incentive, IncentiveChange, NormsVersion, OperatingNorms
from teamwork.norms.rules import ReviewStatus
from teamwork.norms.services import NormsInput
from teamwork.teams.rules import Discipline, Role
from teamwork.teams.services import team_access, team_roster, today
from tests.pages import page, text

PROBATION = "Northfield County Probation Department"  # the meeting fixture's default agency


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with message_queued.connected_to(record, app):
        yield sent


def rows(model: type[Any]) -> list[tuple[Any, ...]]:
    """The committed rows of a model's table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(model.__table__))]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {m.__tablename__: rows(m) for m in (OperatingNorms, Incentive, IncentiveChange)}


NORMS = NormsInput(
    cadence="monthly",
    meeting_day="Second Tuesday",
    meeting_time=time(9, 30),
    meeting_place="Courthouse, room 204",
    video_link="https://video.example.org/northfield-somt",
    designees_may_attend=True,
    expectations=["Come prepared.", "Keep case information confidential."],
    discussion="A speaking queue, then round-robin before each vote.",
)


def norms_form(**changes: str) -> dict[str, str]:
    data = {
        "base_number": "0",
        "cadence": "monthly",
        "meeting_day": "Second Tuesday",
        "meeting_time": "09:30",
        "meeting_place": "Courthouse, room 204",
        "video_link": "https://video.example.org/northfield-somt",
        "designees_may_attend": "y",
        "expectations": "Come prepared.\n\n- Keep case information confidential.\n",
        "discussion": "A speaking queue, then round-robin before each vote.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def in_days(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


# --- Operating norms ---------------------------------------------------------------------


def test_every_save_of_the_norms_is_a_new_version_with_who_and_when(meeting) -> None:
    m = meeting()
    first = norms.save_norms(m.lead.user, m.team.id, NORMS)
    second = norms.save_norms(
        m.lead.user, m.team.id, NormsInput(**{**NORMS.__dict__, "cadence": "quarterly"})
    )
    versions = db.session.scalars(sa.select(OperatingNorms).order_by(OperatingNorms.number)).all()
    assert [(v.number, v.cadence.value) for v in versions] == [(1, "monthly"), (2, "quarterly")]
    assert all(v.author_id == m.lead.user_id and v.created_at is not None for v in versions)
    access = team_access(m.lead.user, m.team.id)
    assert norms.current_norms(access).id == second.id
    history = norms.norms_history(access)
    assert [h.version.number for h in history] == [2, 1]
    assert history[0].changed == ["How often the team meets"] and history[1].changed == []
    assert first.expectations == ["Come prepared.", "Keep case information confidential."]
    assert NormsVersion is OperatingNorms


def test_lead_edits_norms_through_the_page_and_expectations_are_one_per_line(
    meeting, signed_in
) -> None:
    m = meeting()
    lead = signed_in(m.lead.user)
    assert lead.get(f"/teams/{m.team.id}/charter/norms/edit").status_code == 200
    response = lead.post(f"/teams/{m.team.id}/charter/norms/edit", data=norms_form())
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(OperatingNorms))
    assert saved.expectations == ["Come prepared.", "Keep case information confidential."]
    assert saved.meeting_time == time(9, 30) and saved.designees_may_attend is True
    assert saved.designees_may_vote is False and saved.author_id == m.lead.user_id
    shown = page(lead.get(f"/teams/{m.team.id}/charter/norms"))
    assert "Keep case information confidential." in shown and "09:30" in shown
    assert 'href="https://video.example.org/northfield-somt"' in shown
    assert "Designees may not vote." in shown
    history = page(lead.get(f"/teams/{m.team.id}/charter/norms/history"))
    assert "Version 1" in history and m.lead.user.name in history


def test_member_sees_the_norms_but_may_not_edit_them(meeting, signed_in) -> None:
    m = meeting()
    norms.save_norms(m.lead.user, m.team.id, NORMS)
    before = snapshot()
    member = signed_in(m.members[0].user)
    shown = page(member.get(f"/teams/{m.team.id}/charter/norms"))
    assert "Come prepared." in shown and "Edit the norms" not in shown
    assert member.get(f"/teams/{m.team.id}/charter/norms/edit").status_code == 403
    posted = member.post(f"/teams/{m.team.id}/charter/norms/edit", data=norms_form(base_number="1"))
    assert posted.status_code == 403
    with pytest.raises(Forbidden):
        norms.save_norms(m.members[0].user, m.team.id, NORMS)
    assert snapshot() == before


def test_observer_reads_the_norms_too(meeting, signed_in) -> None:
    m = meeting()
    norms.save_norms(m.lead.user, m.team.id, NORMS)
    observer = signed_in(m.observer.user)
    assert "Come prepared." in page(observer.get(f"/teams/{m.team.id}/charter/norms"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cadence": "fortnightly"}, "cadence"),
        ({"cadence": "other", "cadence_note": "  "}, "cadence_note"),
        ({"designees_may_attend": False, "designees_may_vote": True}, "designees_may_vote"),
        ({"video_link": "javascript:alert(1)"}, "video_link"),
        ({"video_link": "video.example.org/team"}, "video_link"),
        ({"video_link": "https://video.example.org/a team"}, "video_link"),
        ({"meeting_place": "x" * 301}, "meeting_place"),
        ({"expectations": ["x" * 501]}, "expectations"),
        ({"expectations": [f"Expectation {n}" for n in range(31)]}, "expectations"),
        ({"discussion": "x" * 5001}, "discussion"),
    ],
)
def test_bad_norms_are_refused_beside_the_field_and_change_nothing(meeting, changes, field) -> None:
    m = meeting()
    with pytest.raises(InvalidInput) as refused:
        norms.save_norms(m.lead.user, m.team.id, NormsInput(**{**NORMS.__dict__, **changes}))
    assert refused.value.field == field
    db.session.rollback()
    assert rows(OperatingNorms) == []


def test_a_bad_video_link_is_shown_beside_its_field(meeting, signed_in) -> None:
    m = meeting()
    lead = signed_in(m.lead.user)
    response = lead.post(
        f"/teams/{m.team.id}/charter/norms/edit", data=norms_form(video_link="javascript:x()")
    )
    assert response.status_code == 422
    assert 'id="video_link-error"' in page(response)
    bad_time = lead.post(
        f"/teams/{m.team.id}/charter/norms/edit", data=norms_form(meeting_time="9h")
    )
    assert bad_time.status_code == 422 and 'id="meeting_time-error"' in page(bad_time)
    assert rows(OperatingNorms) == []


def test_saving_unchanged_norms_is_refused(meeting) -> None:
    m = meeting()
    norms.save_norms(m.lead.user, m.team.id, NORMS)
    with pytest.raises(InvalidInput, match="Nothing changed"):
        norms.save_norms(m.lead.user, m.team.id, NORMS)
    assert len(rows(OperatingNorms)) == 1


def test_an_edit_started_before_another_leads_save_does_not_overwrite_it(
    meeting, make_member, signed_in
) -> None:
    m = meeting()
    other_lead = make_member(m.team, role=Role.LEAD)
    norms.save_norms(m.lead.user, m.team.id, NORMS, expected_number=0)
    with pytest.raises(Conflict):
        norms.save_norms(
            other_lead.user, m.team.id, NormsInput(cadence="weekly"), expected_number=0
        )
    stale = signed_in(other_lead.user).post(
        f"/teams/{m.team.id}/charter/norms/edit", data=norms_form(cadence="weekly")
    )
    assert stale.status_code == 409 and "while you were editing" in page(stale)
    assert 'name="base_number" type="hidden" value="1"' in page(stale)  # saving again replaces
    assert [r.cadence.value for r in db.session.scalars(sa.select(OperatingNorms))] == ["monthly"]


def test_norms_page_shows_the_decision_rule_and_links_leads_to_change_it(
    meeting, signed_in
) -> None:
    m = meeting()
    lead_page = page(signed_in(m.lead.user).get(f"/teams/{m.team.id}/charter/norms"))
    assert "any thumbs down blocks consensus" in lead_page
    assert f'href="/teams/{m.team.id}/charter/decision-rule"' in lead_page
    member_page = page(signed_in(m.members[0].user).get(f"/teams/{m.team.id}/charter/norms"))
    assert "any thumbs down blocks consensus" in member_page
    assert "/charter/decision-rule" not in member_page
    assert "no operating norms yet" in member_page


# --- Every URL of the blueprint ----------------------------------------------------------


def norms_requests(app: Flask, team_id: int) -> list[tuple[str, str]]:
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "norms":
            continue
        url = adapter.build(rule.endpoint, {"team_id": team_id, "agency": PROBATION})
        found += [(method, url) for method in sorted((rule.methods or set()) & {"GET", "POST"})]
    return found


def harmful_form() -> dict[str, str]:
    return {
        **norms_form(cadence="weekly", base_number=""),
        "brings": "Nothing",
        "hopes_to_gain": "Everything",
        "review_date": in_days(30),
    }


def test_every_page_of_the_blueprint_is_enumerated(app: Flask, meeting) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("norms.")}
    assert endpoints == {
        "norms.show",
        "norms.edit",
        "norms.history",
        "norms.incentives",
        "norms.incentive",
        "norms.composition",
    }
    assert len(norms_requests(app, meeting().team.id)) == 8  # two pages also take a form


def test_non_member_gets_404_on_every_url_and_changes_nothing(
    app: Flask, meeting, make_team, make_member, signed_in
) -> None:
    m = meeting()
    norms.save_norms(m.lead.user, m.team.id, NORMS)
    norms.save_incentive(
        m.lead.user,
        m.team.id,
        agency=PROBATION,
        brings="Supervision",
        hopes_to_gain="Information",
        review_date=today() + timedelta(days=30),
    )
    outsider = signed_in(make_member(make_team("Harbor County"), role=Role.LEAD).user)
    before = snapshot()
    for method, url in norms_requests(app, m.team.id):
        response = outsider.open(url, method=method, data=harmful_form())
        assert response.status_code == 404, (method, url)
        assert m.team.name not in page(response), (method, url)
    assert snapshot() == before


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, client, meeting) -> None:
    m = meeting()
    for method, url in norms_requests(app, m.team.id):
        response = client.open(url, method=method, data=harmful_form())
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Stakeholder incentives --------------------------------------------------------------


def record(actor: User, team_id: int, agency: str, days: int = 30, **changes: Any) -> Incentive:
    values = {
        "brings": f"What {agency} brings",
        "hopes_to_gain": f"What {agency} hopes for",
        "review_date": today() + timedelta(days=days),
        **changes,
    }
    return norms.save_incentive(actor, team_id, agency=agency, **values)


def test_lead_records_any_agencys_incentives_and_every_change_is_kept(meeting) -> None:
    m = meeting()
    first = record(m.lead.user, m.team.id, "Agency 0", brings="Two officers")
    record(m.lead.user, m.team.id, "Agency 0", brings="Two officers and a supervisor")
    incentive = db.session.get(Incentive, first.id)
    assert incentive.brings == "Two officers and a supervisor"
    assert incentive.updated_by_id == m.lead.user_id and incentive.updated_at is not None
    changes = db.session.scalars(sa.select(IncentiveChange).order_by(IncentiveChange.number)).all()
    assert [(c.number, c.brings, c.changed_by_id) for c in changes] == [
        (1, "Two officers", m.lead.user_id),
        (2, "Two officers and a supervisor", m.lead.user_id),
    ]


def test_member_edits_their_own_agencys_incentives_only(meeting, signed_in) -> None:
    m = meeting()
    member = m.members[0]  # of "Agency 0"
    record(member.user, m.team.id, "Agency 0")
    with pytest.raises(Forbidden, match="your own agency"):
        record(member.user, m.team.id, "Agency 1")
    browser = signed_in(member.user)
    url = f"/teams/{m.team.id}/charter/incentives/agency"
    refused = browser.post(
        url,
        query_string={"agency": "Agency 1"},
        data={"brings": "B", "hopes_to_gain": "H", "review_date": in_days(20)},
    )
    assert refused.status_code == 403
    assert "Save" not in page(browser.get(url, query_string={"agency": "Agency 1"}))
    saved = browser.post(
        url,
        query_string={"agency": "Agency 0"},
        data={"base_number": "1", "brings": "B", "hopes_to_gain": "H", "review_date": in_days(20)},
    )
    assert saved.status_code == 302
    assert [(i.agency, i.brings) for i in db.session.scalars(sa.select(Incentive))] == [
        ("Agency 0", "B")
    ]


def test_observer_reads_incentives_but_does_not_edit_even_their_own_agency(
    meeting, signed_in
) -> None:
    m = meeting()
    record(m.lead.user, m.team.id, PROBATION, brings="Supervision")
    with pytest.raises(Forbidden, match="Observers"):
        record(m.observer.user, m.team.id, PROBATION, brings="Changed")
    browser = signed_in(m.observer.user)
    assert "Supervision" in page(browser.get(f"/teams/{m.team.id}/charter/incentives"))
    posted = browser.post(
        f"/teams/{m.team.id}/charter/incentives/agency",
        query_string={"agency": PROBATION},
        data={"brings": "Changed", "hopes_to_gain": "H", "review_date": in_days(20)},
    )
    assert posted.status_code == 403
    assert db.session.scalar(sa.select(Incentive.brings)) == "Supervision"


def test_an_incentive_edit_started_before_another_save_does_not_overwrite_it(meeting) -> None:
    m = meeting()
    record(m.lead.user, m.team.id, "Agency 0", brings="Lead's", expected_number=0)
    with pytest.raises(Conflict, match="while you were editing"):
        record(m.members[0].user, m.team.id, "Agency 0", brings="Member's", expected_number=0)
    assert db.session.scalar(sa.select(Incentive.brings)) == "Lead's"
    assert len(rows(IncentiveChange)) == 1


def test_an_agency_not_on_the_team_is_not_found(meeting) -> None:
    m = meeting()
    with pytest.raises(NotFound):
        record(m.lead.user, m.team.id, "Harbor County Community Corrections")
    with pytest.raises(NotFound):
        norms.agency_incentive(team_access(m.lead.user, m.team.id), "Nobody")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"review_date": today() - timedelta(days=1)}, "review_date"),
        ({"review_date": today() + timedelta(days=4 * 365)}, "review_date"),
        ({"review_date": None}, "review_date"),
        ({"brings": "   "}, "brings"),
        ({"hopes_to_gain": ""}, "hopes_to_gain"),
        ({"brings": "x" * 5001}, "brings"),
    ],
)
def test_bad_incentives_are_refused_beside_the_field_and_change_nothing(
    meeting, changes, field
) -> None:
    m = meeting()
    with pytest.raises(InvalidInput) as refused:
        record(m.lead.user, m.team.id, "Agency 0", **changes)
    assert refused.value.field == field
    db.session.rollback()
    assert rows(Incentive) == [] and rows(IncentiveChange) == []


def test_a_review_date_in_the_past_is_refused_with_an_error_beside_the_field(
    meeting, signed_in
) -> None:
    m = meeting()
    response = signed_in(m.lead.user).post(
        f"/teams/{m.team.id}/charter/incentives/agency",
        query_string={"agency": "Agency 0"},
        data={"brings": "B", "hopes_to_gain": "H", "review_date": in_days(-1)},
    )
    assert response.status_code == 422
    shown = page(response)
    assert 'id="review_date-error"' in shown and "is in the past" in shown
    assert rows(Incentive) == [] and rows(IncentiveChange) == []


def test_a_review_date_of_today_is_accepted(meeting) -> None:
    m = meeting()
    assert record(m.lead.user, m.team.id, "Agency 0", days=0).review_date == today()


def overdue(incentive: Incentive, days: int) -> None:
    """Reviews become overdue with time; the services never accept a past date."""
    db.session.execute(
        sa.update(Incentive)
        .where(Incentive.id == incentive.id)
        .values(review_date=today() - timedelta(days=days))
    )
    db.session.commit()


def test_incentives_page_lists_every_agency_with_due_and_overdue_reviews_in_words(
    meeting, signed_in
) -> None:
    m = meeting()
    overdue(record(m.lead.user, m.team.id, "Agency 0"), 3)
    record(m.lead.user, m.team.id, "Agency 1", days=5)
    record(m.lead.user, m.team.id, "Agency 2", days=60)
    access = team_access(m.lead.user, m.team.id)
    overview = norms.team_incentives(access)
    assert [a.agency for a in overview.agencies] == ["Agency 0", "Agency 1", "Agency 2", PROBATION]
    assert [a.status for a in overview.agencies] == [
        ReviewStatus.OVERDUE,
        ReviewStatus.DUE,
        ReviewStatus.SCHEDULED,
        ReviewStatus.MISSING,
    ]
    assert [a.agency for a in overview.attention] == ["Agency 0", "Agency 1"]
    shown = page(signed_in(m.members[0].user).get(f"/teams/{m.team.id}/charter/incentives"))
    assert "Reviews needing attention (2)" in shown
    assert "Review overdue:" in shown and "3 days ago" in shown
    assert "Review due soon:" in shown and "in 5 days" in shown
    assert "Not recorded yet" in shown and PROBATION in shown


def test_agency_page_shows_the_history_of_changes(meeting, signed_in) -> None:
    m = meeting()
    record(m.lead.user, m.team.id, "Agency 0", brings="First")
    record(m.members[0].user, m.team.id, "Agency 0", brings="Second")
    shown = page(
        signed_in(m.members[1].user).get(
            f"/teams/{m.team.id}/charter/incentives/agency", query_string={"agency": "Agency 0"}
        )
    )
    assert "First" in shown and "Second" in shown
    assert m.lead.user.name in shown and m.members[0].user.name in shown


def test_due_reviews_are_those_within_two_weeks_or_overdue_for_agencies_still_on_the_team(
    meeting, signed_in
) -> None:
    m = meeting()
    late = record(m.lead.user, m.team.id, "Agency 0")
    overdue(late, 1)
    soon = record(m.lead.user, m.team.id, "Agency 1", days=14)
    record(m.lead.user, m.team.id, "Agency 2", days=15)
    gone = record(m.lead.user, m.team.id, PROBATION, days=2)
    for membership in (m.lead, m.moderator, m.observer):  # the probation agency leaves
        membership.removed_at = membership.joined_at
    db.session.commit()
    assert [i.id for i in reminders.due_incentive_reviews(today())] == [late.id, soon.id]
    assert gone.id not in [i.id for i in reminders.due_incentive_reviews(today() + timedelta(30))]


def test_reminders_email_the_teams_leads_once_when_due_and_once_when_overdue(
    meeting, make_member, outbox
) -> None:
    m = meeting()
    second_lead = make_member(m.team, role=Role.LEAD, agency="Agency 9")
    incentive = record(m.lead.user, m.team.id, "Agency 0", days=10)
    record(m.lead.user, m.team.id, "Agency 1", days=40)

    sent = reminders.send_incentive_reminders(today())
    assert [s.team.id for s in sent] == [m.team.id]
    assert sorted(message["To"] for message in outbox) == sorted(
        [m.lead.user.email, second_lead.user.email]
    )
    body = outbox[0].get_content()
    assert "Agency 0" in body and "in 10 days" in body and "Agency 1" not in body
    assert f"/teams/{m.team.id}/charter/incentives" in body
    assert db.session.get(Incentive, incentive.id).last_reminded_on == today()

    assert reminders.send_incentive_reminders(today() + timedelta(days=1)) == []  # not daily
    assert len(outbox) == 2
    reminders.send_incentive_reminders(today() + timedelta(days=11))  # now overdue: once more
    assert len(outbox) == 4 and "overdue since" in outbox[-1].get_content()
    assert reminders.send_incentive_reminders(today() + timedelta(days=12)) == []


def test_a_new_review_date_starts_a_new_round_of_reminders(meeting, outbox) -> None:
    m = meeting()
    record(m.lead.user, m.team.id, "Agency 0", days=3)
    reminders.send_incentive_reminders(today())
    incentive = record(m.lead.user, m.team.id, "Agency 0", days=5)
    assert incentive.last_reminded_on is None
    reminders.send_incentive_reminders(today())
    assert len(outbox) == 2


def test_reminder_due_rule() -> None:
    day = today()
    review = day + timedelta(days=10)
    assert rules.reminder_due(review, None, day)
    assert not rules.reminder_due(review, day, day + timedelta(days=1))
    assert not rules.reminder_due(day + timedelta(days=15), None, day)
    assert rules.reminder_due(review, day, review + timedelta(days=1))


# --- Composition page --------------------------------------------------------------------


def test_composition_page_shows_the_missing_disciplines(meeting, signed_in) -> None:
    m = meeting()  # probation (lead, members), treatment (moderator), judiciary (observer)
    browser = signed_in(m.members[0].user)
    shown = text(browser.get(f"/teams/{m.team.id}/charter/composition"))
    for label in ("Victim advocacy", "Prosecution", "Law enforcement", "Defense", "Polygraph"):
        assert f"Missing: {label}" in shown
    assert "Missing: Treatment" not in shown and "Missing: Schools" not in shown
    assert "represented by observers only" in shown  # the judiciary
    assert "Legislators" in shown
    juvenile = text(browser.get(f"/teams/{m.team.id}/charter/composition?juvenile=1"))
    assert "Missing: Schools" in juvenile and "Missing: Social services" in juvenile


def test_team_composition_groups_members_by_seat(meeting, make_member) -> None:
    m = meeting()
    make_member(m.team, discipline=Discipline.CHILD_PROTECTIVE_SERVICES, agency="CPS")
    access = team_access(m.lead.user, m.team.id)
    juvenile = norms.team_composition(access, juvenile=True)
    social = next(s for s in juvenile.present if s.discipline is Discipline.SOCIAL_SERVICES)
    assert social.via == [Discipline.CHILD_PROTECTIVE_SERVICES]
    assert [mm.agency for mm in social.members] == ["CPS"]
    plain = norms.team_composition(access, juvenile=False)
    assert [s.discipline for s in plain.others] == [Discipline.CHILD_PROTECTIVE_SERVICES]
    probation = next(s for s in plain.present if s.discipline is Discipline.PROBATION_PAROLE)
    assert len(probation.members) == 4 and not probation.observers_only


# --- Leadership partial ------------------------------------------------------------------


def test_leadership_partial_names_the_champion_staff_and_moderator(
    app: Flask, meeting, make_member
) -> None:
    m = meeting()
    recorder = make_member(m.team, role=Role.RECORDER, agency="County Administrator")
    roster = team_roster(team_access(m.lead.user, m.team.id))
    with app.test_request_context():
        shown = render_template_string(
            '{% from "charter/_leadership.html" import leadership %}{{ leadership(roster) }}',
            roster=roster,
        )
        included = render_template_string('{% include "charter/_leadership.html" %}', roster=roster)
        without_roster = render_template_string('{% include "charter/_leadership.html" %}')
    shown = html.unescape(shown)
    assert "Team lead (champion)" in shown and m.lead.user.name in shown
    assert recorder.user.name in shown and "County Administrator" in shown
    assert m.moderator.user.name in shown
    assert html.unescape(included) == shown
    assert without_roster.strip() == ""


# --- Demo --------------------------------------------------------------------------------


def test_demo_has_norms_and_incentives_for_every_county_agency(demo: Any) -> None:
    from teamwork.demo import COUNTY
    from teamwork.norms.demo import INCENTIVES
    from teamwork.teams.models import Team

    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))

    current = db.session.scalar(
        sa.select(OperatingNorms).where(OperatingNorms.team_id == county.id)
    )
    assert current.cadence.value == "monthly" and current.meeting_time == time(9, 30)
    assert current.designees_may_attend and not current.designees_may_vote
    assert 4 <= len(current.expectations) <= 6
    incentives = db.session.scalars(sa.select(Incentive).where(Incentive.team_id == county.id))
    by_agency = {i.agency: i for i in incentives}
    assert set(by_agency) == set(norms.team_agencies(county.id))
    assert set(by_agency) <= set(INCENTIVES)  # each with its own text, none generic
    assert all(i.review_date >= today() for i in by_agency.values())
    due = [i for i in by_agency.values() if i.review_date <= today() + timedelta(days=14)]
    assert len(due) == 1
