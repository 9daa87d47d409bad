"""Measures and data points: defining them, entering values with every check, the chart,
and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from teamwork.audit.models import AuditEvent
from teamwork.errors import Forbidden, InvalidInput, NotFound
from teamwork.evaluation import services
from teamwork.evaluation.models import DataPoint, Measure
from teamwork.extensions import db
from teamwork.teams.rules import Role
from teamwork.teams.services import today
from tests.evaluation.helpers import MEASURE_FORM, snapshot
from tests.pages import field_error, text

TOMORROW = "tomorrow"


@pytest.fixture
def team(make_team, make_member):
    team = make_team("Northfield County SOM Team")
    team.lead = make_member(team, role=Role.LEAD)
    team.recorder = make_member(team, role=Role.RECORDER)
    team.member = make_member(team, agency="Cascadia Polygraph Services")
    team.observer = make_member(team, role=Role.OBSERVER)
    return team


@pytest.fixture
def measure(team) -> Measure:
    return services.create_measure(team.lead.user, team.id, **_service_fields())


def _service_fields(**changes: object) -> dict[str, object]:
    fields = {k: v for k, v in MEASURE_FORM.items() if k != "enterer_id"}
    fields.update(changes)
    return fields


def test_lead_defines_a_measure(team, signed_in) -> None:
    browser = signed_in(team.lead.user)
    response = browser.post(f"/teams/{team.id}/evaluation/measures", data=MEASURE_FORM)
    assert response.status_code == 302
    measure = db.session.scalar(sa.select(Measure))
    assert (measure.name, measure.unit, measure.target) == (
        MEASURE_FORM["name"],
        "days",
        14.0,
    )
    assert measure.direction.value == "lower" and measure.enterer_id is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit", "days of the working week", "at most 20 characters"),
        ("target", "fourteen", "must be a number"),
        ("target", "nan", "ordinary number"),
        ("target", "inf", "ordinary number"),
        ("name", "", "Give the measure a name"),
        ("kind", "impact", "Not a valid choice"),
    ],
)
def test_bad_measure_input_is_explained_and_changes_nothing(
    team, signed_in, field: str, value: str, message: str
) -> None:
    browser = signed_in(team.lead.user)
    before = snapshot()
    response = browser.post(
        f"/teams/{team.id}/evaluation/measures", data={**MEASURE_FORM, field: value}
    )
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert snapshot() == before


def test_the_enterer_must_be_a_member_of_the_team(team, make_team, make_member) -> None:
    stranger = make_member(make_team("Harbor County"))
    with pytest.raises(InvalidInput) as caught:
        services.create_measure(team.lead.user, team.id, **_service_fields(enterer_id=stranger.id))
    assert caught.value.field == "enterer_id"


@pytest.mark.parametrize("who", ["member", "recorder", "observer"])
def test_only_leads_define_measures(team, signed_in, who: str) -> None:
    before = snapshot()
    response = signed_in(getattr(team, who).user).post(
        f"/teams/{team.id}/evaluation/measures", data=MEASURE_FORM
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_recorder_enters_a_value_and_the_chart_shows_it(team, measure, signed_in) -> None:
    browser = signed_in(team.recorder.user)
    day = today() - timedelta(days=3)
    response = browser.post(
        f"/teams/{team.id}/evaluation/measures/{measure.id}/points",
        data={"recorded_on": day.isoformat(), "value": "21.5", "note": "Two intakes delayed"},
    )
    assert response.status_code == 302
    point = db.session.scalar(sa.select(DataPoint))
    assert (point.recorded_on, point.value, point.note) == (day, 21.5, "Two intakes delayed")
    page = browser.get(f"/teams/{team.id}/evaluation/measures/{measure.id}")
    html = page.get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    assert ">21.5</text>" in html and "Target 14" in html
    # The text alternative and the table give the same value.
    assert f"{day:%d %b %Y}: 21.5 days" in html
    assert "Two intakes delayed" in text(page)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("value", "about twenty", "must be a number"),
        ("value", "NaN", "ordinary number"),
        ("value", "inf", "ordinary number"),
        ("value", "-Infinity", "ordinary number"),
        ("value", "1e400", "ordinary number"),
        ("value", "", "Type the value"),
        ("recorded_on", "2026-02-30", "Give a real date"),
        ("recorded_on", "31/03/2026", "Give a real date"),
        ("recorded_on", "", "Give a real date"),
        # Resolved inside the test: a date computed at collection time stops being
        # "tomorrow" when the run crosses midnight.
        ("recorded_on", TOMORROW, "in the future"),
        ("note", "x" * 501, "500"),
    ],
)
def test_bad_values_and_dates_are_explained_and_change_nothing(
    team, measure, signed_in, field: str, value: str, message: str
) -> None:
    browser = signed_in(team.recorder.user)
    before = snapshot()
    data = {"recorded_on": (today() - timedelta(days=1)).isoformat(), "value": "12", "note": ""}
    data[field] = (today() + timedelta(days=1)).isoformat() if value is TOMORROW else value
    response = browser.post(f"/teams/{team.id}/evaluation/measures/{measure.id}/points", data=data)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert snapshot() == before


def test_a_second_value_for_the_same_date_is_refused(team, measure) -> None:
    day = today() - timedelta(days=2)
    services.add_data_point(team.recorder.user, team.id, measure.id, recorded_on=day, value="20")
    before = snapshot()
    with pytest.raises(InvalidInput, match="already a value") as caught:
        services.add_data_point(
            team.recorder.user, team.id, measure.id, recorded_on=day, value="18"
        )
    assert caught.value.field == "recorded_on"
    assert snapshot() == before


def test_service_refuses_non_finite_floats(team, measure) -> None:
    before = snapshot()
    for value in (float("nan"), float("inf")):
        with pytest.raises(InvalidInput):
            services.add_data_point(
                team.recorder.user, team.id, measure.id, recorded_on=today(), value=value
            )
    assert snapshot() == before


def test_members_cannot_enter_data_unless_the_measure_names_them(team, measure, signed_in) -> None:
    data = {"recorded_on": today().isoformat(), "value": "17"}
    url = f"/teams/{team.id}/evaluation/measures/{measure.id}/points"
    assert signed_in(team.member.user).post(url, data=data).status_code == 403
    assert signed_in(team.observer.user).post(url, data=data).status_code == 403
    services.update_measure(
        team.lead.user, team.id, measure.id, **_service_fields(enterer_id=team.member.id)
    )
    assert signed_in(team.member.user).post(url, data=data).status_code == 302
    assert db.session.scalar(sa.select(DataPoint.value)) == 17.0
    with pytest.raises(Forbidden):
        services.add_data_point(
            team.observer.user, team.id, measure.id, recorded_on=today(), value="1"
        )


def test_every_member_sees_the_measure_but_only_enterers_get_the_form(
    team, measure, signed_in
) -> None:
    member_page = signed_in(team.observer.user).get(
        f"/teams/{team.id}/evaluation/measures/{measure.id}"
    )
    assert member_page.status_code == 200 and "Enter a value" not in text(member_page)
    staff_page = signed_in(team.recorder.user).get(
        f"/teams/{team.id}/evaluation/measures/{measure.id}"
    )
    assert "Enter a value" in text(staff_page)


def test_values_can_be_deleted_by_staff(team, measure, signed_in) -> None:
    point = services.add_data_point(
        team.recorder.user, team.id, measure.id, recorded_on=today(), value="9"
    )
    point_id, measure_id = point.id, measure.id
    url = f"/teams/{team.id}/evaluation/measures/{measure.id}/points/{point.id}/delete"
    assert signed_in(team.member.user).post(url).status_code == 403
    assert signed_in(team.recorder.user).post(url).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(DataPoint.id))) == 0
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="data_point.deleted"))
    assert (event.team_id, event.actor_id, event.target_id) == (
        team.id,
        team.recorder.user.id,
        point_id,
    )
    assert event.details == {
        "measure_id": measure_id,
        "recorded_on": today().isoformat(),
        "value": 9.0,
    }


def test_lead_edits_and_deletes_a_measure(team, measure, signed_in) -> None:
    services.add_data_point(team.recorder.user, team.id, measure.id, recorded_on=today(), value=9)
    browser = signed_in(team.lead.user)
    edit = browser.get(f"/teams/{team.id}/evaluation/measures/{measure.id}/edit")
    assert edit.status_code == 200 and 'value="14"' in edit.get_data(as_text=True)
    response = browser.post(
        f"/teams/{team.id}/evaluation/measures/{measure.id}/edit",
        data={**MEASURE_FORM, "target": "10", "unit": "working days"},
    )
    assert response.status_code == 302
    db.session.refresh(measure)
    assert (measure.target, measure.unit) == (10.0, "working days")
    bad = browser.post(
        f"/teams/{team.id}/evaluation/measures/{measure.id}/edit",
        data={**MEASURE_FORM, "target": "ten"},
    )
    assert bad.status_code == 422 and "must be a number" in field_error(bad, "target")
    db.session.refresh(measure)
    assert measure.target == 10.0
    name = measure.name
    deleted = browser.post(f"/teams/{team.id}/evaluation/measures/{measure.id}/delete")
    assert deleted.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Measure.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(DataPoint.id))) == 0
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="measure.deleted"))
    assert (event.team_id, event.actor_id) == (team.id, team.lead.user.id)
    assert event.details == {"name": name, "data_points": 1}


def test_another_teams_measure_is_not_found(team, measure, make_team, make_member, signed_in):
    other = make_team("Harbor County")
    outsider = make_member(other, role=Role.LEAD)
    foreign = services.create_measure(outsider.user, other.id, **_service_fields())
    browser = signed_in(team.lead.user)
    # Through this team's URL, the other team's measure does not exist...
    assert browser.get(f"/teams/{team.id}/evaluation/measures/{foreign.id}").status_code == 404
    before = snapshot()
    response = browser.post(
        f"/teams/{team.id}/evaluation/measures/{foreign.id}/points",
        data={"recorded_on": today().isoformat(), "value": "3"},
    )
    assert response.status_code == 404
    assert snapshot() == before
    # ... and the other team's own pages answer 404 to non-members.
    assert browser.get(f"/teams/{other.id}/evaluation").status_code == 404
    assert browser.get(f"/teams/{other.id}/evaluation/export/measures.csv").status_code == 404
    with pytest.raises(NotFound):
        services.team_measure(team.lead.user, other.id, foreign.id)


def test_dashboard_shows_latest_value_target_status_and_trend(team, measure, signed_in) -> None:
    for days_ago, value in ((40, "25"), (10, "13")):
        services.add_data_point(
            team.recorder.user,
            team.id,
            measure.id,
            recorded_on=today() - timedelta(days=days_ago),
            value=value,
        )
    page = text(signed_in(team.observer.user).get(f"/teams/{team.id}/evaluation"))
    assert "13 days" in page and "On target" in page and "Improving" in page


def test_deleting_a_value_twice_is_harmless_but_another_measures_value_is_not_found(
    team, measure, signed_in
) -> None:
    other = services.create_measure(team.lead.user, team.id, **_service_fields(name="Other"))
    point = services.add_data_point(
        team.recorder.user, team.id, other.id, recorded_on=today(), value="4"
    )
    browser = signed_in(team.recorder.user)
    wrong = f"/teams/{team.id}/evaluation/measures/{measure.id}/points/{point.id}/delete"
    assert browser.post(wrong).status_code == 404
    right = f"/teams/{team.id}/evaluation/measures/{other.id}/points/{point.id}/delete"
    assert browser.post(right).status_code == 302
    again = browser.post(right, follow_redirects=True)
    assert again.status_code == 200 and "already deleted" in text(again)


def test_team_page_partial_lists_latest_values_and_trends(team, measure, app) -> None:
    from flask import render_template_string

    for days_ago, value in ((40, "25"), (10, "13")):
        services.add_data_point(
            team.recorder.user,
            team.id,
            measure.id,
            recorded_on=today() - timedelta(days=days_ago),
            value=value,
        )
    access = services.team_access(team.observer.user, team.id)
    with app.test_request_context():
        html = render_template_string(
            '{% include "evaluation/_team_summary.html" %}',
            team=team,
            measure_summaries=services.list_measures(access),
        )
    assert "13 days" in html and "Improving" in html and "Team health dashboard" in html
