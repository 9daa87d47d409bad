"""The collaboration self-assessment: periods, answering and revising, anonymity, aggregation,
small-group suppression, the network comparison and the CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.evaluation import services
from teamwork.evaluation.models import AssessmentAnswer, AssessmentPeriod, AssessmentResponse
from teamwork.evaluation.rules import ROWS
from teamwork.extensions import db
from teamwork.teams.rules import Role, TeamLevel
from teamwork.teams.services import today
from tests.evaluation.helpers import snapshot
from tests.pages import field_error, page, text

KEYS = list(ROWS)


def uniform(level: int) -> dict[str, str]:
    return {key: str(level) for key in KEYS}


# A pattern no aggregate could show: 1, 3, 1, 3, ... across the eleven rows.
DISTINCT = {key: str(1 if i % 2 == 0 else 3) for i, key in enumerate(KEYS)}


@pytest.fixture
def team(make_team, make_member):
    network = make_team("Cascadia Network", level=TeamLevel.STATEWIDE_POLICY)
    team = make_team("Northfield County SOM Team", parent=network)
    team.network = network
    team.lead = make_member(team, role=Role.LEAD)
    team.voters = [make_member(team, agency=f"Agency {n}") for n in range(4)]
    team.observer = make_member(team, role=Role.OBSERVER)
    return team


@pytest.fixture
def period(team) -> AssessmentPeriod:
    return services.open_period(team.lead.user, team.id, title="Spring 2026")


def answer_url(team, period) -> str:
    return f"/teams/{team.id}/evaluation/assessments/{period.id}/answer"


def results_url(team, period) -> str:
    return f"/teams/{team.id}/evaluation/assessments/{period.id}"


def test_lead_opens_a_period_and_only_one_at_a_time(team, signed_in) -> None:
    browser = signed_in(team.lead.user)
    url = f"/teams/{team.id}/evaluation/assessments"
    assert browser.post(url, data={"title": "Spring 2026"}).status_code == 302
    before = snapshot()
    second = browser.post(url, data={"title": "Summer 2026"})
    assert second.status_code == 422 and "still open" in text(second)
    empty = browser.post(url, data={"title": ""})
    assert empty.status_code == 422 and "Name the period" in field_error(empty, "title")
    past = browser.post(url, data={"title": "Late", "closes_on": "2020-01-01"})
    assert past.status_code == 422
    assert snapshot() == before


def test_members_cannot_open_or_close_periods(team, period, signed_in) -> None:
    voter = signed_in(team.voters[0].user)
    before = snapshot()
    url = f"/teams/{team.id}/evaluation/assessments"
    assert voter.post(url, data={"title": "Mine"}).status_code == 403
    assert voter.post(f"{url}/{period.id}/close").status_code == 403
    assert snapshot() == before


def test_member_answers_once_and_revises_until_close(team, period, signed_in) -> None:
    browser = signed_in(team.voters[0].user)
    assert browser.post(answer_url(team, period), data=uniform(1)).status_code == 302
    assert browser.post(answer_url(team, period), data=uniform(2)).status_code == 302
    responses = db.session.scalars(sa.select(AssessmentResponse)).all()
    assert len(responses) == 1
    assert set(responses[0].as_dict().values()) == {2}
    # The author sees their own answers, to revise them.
    again = page(browser.get(answer_url(team, period)))
    assert again.count("checked") == len(KEYS)
    assert 'value="2" checked' in again
    services.close_period(team.lead.user, team.id, period.id)
    before = snapshot()
    refused = browser.post(answer_url(team, period), data=uniform(3))
    assert refused.status_code == 409 and "closed" in text(refused)
    assert snapshot() == before
    with pytest.raises(Conflict):
        services.submit_answers(team.voters[0].user, team.id, period.id, uniform(3))


def test_an_unanswered_row_is_shown_and_nothing_is_saved(team, period, signed_in) -> None:
    answers = uniform(2)
    del answers["resources.rewards"]
    before = snapshot()
    response = signed_in(team.voters[0].user).post(answer_url(team, period), data=answers)
    assert response.status_code == 422
    assert "every row" in field_error(response, "q-resources-rewards")
    assert snapshot() == before
    with pytest.raises(InvalidInput):
        services.submit_answers(
            team.voters[0].user, team.id, period.id, {**uniform(2), "vision.mission": "7"}
        )
    assert snapshot() == before


def test_observers_follow_but_do_not_answer(team, period, signed_in) -> None:
    browser = signed_in(team.observer.user)
    before = snapshot()
    assert browser.get(answer_url(team, period)).status_code == 403
    assert browser.post(answer_url(team, period), data=uniform(2)).status_code == 403
    assert snapshot() == before
    with pytest.raises(Forbidden):
        services.submit_answers(team.observer.user, team.id, period.id, uniform(2))
    assert browser.get(results_url(team, period)).status_code == 200


def answer(team, period, *levels_or_sets) -> None:
    for voter, answers in zip(team.voters, levels_or_sets, strict=False):
        chosen = answers if isinstance(answers, dict) else uniform(answers)
        services.submit_answers(voter.user, team.id, period.id, chosen)


def test_results_aggregate_by_dimension_with_the_median(team, period, signed_in) -> None:
    answer(team, period, 1, 2, 3, 3)
    services.close_period(team.lead.user, team.id, period.id)
    response = signed_in(team.observer.user).get(results_url(team, period))
    html = text(response)
    assert "4 responses" in html
    # Vision and relationships: 3 rows x (1 cooperation, 1 coordination, 2 collaboration).
    assert "Vision and Relationships 3 3 6 Between coordination and collaboration" in html
    assert "Resources and Rewards 2 2 4" in html
    chart = page(response).split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Vision and Relationships: 3 cooperation, 3 coordination, 6 collaboration" in chart
    assert ">6</text>" in chart and "median: between coordination and collaboration" in chart


def test_results_stay_hidden_while_the_period_is_open(team, period, signed_in) -> None:
    answer(team, period, 1, 2, 3)
    html = text(signed_in(team.lead.user).get(results_url(team, period)))
    assert "3 responses so far" in html
    assert "Median" not in html and "Cooperation" not in html


def test_fewer_than_three_responses_are_never_shown(team, period, signed_in) -> None:
    answer(team, period, DISTINCT, 2)
    services.close_period(team.lead.user, team.id, period.id)
    browser = signed_in(team.lead.user)
    html = text(browser.get(results_url(team, period)))
    assert "Results not shown" in html and "2 responses" in html
    assert "Median" not in html
    exported = browser.get(f"/teams/{team.id}/evaluation/export/assessments.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[1][3].startswith("Fewer than 3 responses")
    assert all(cell == "" for cell in rows[1][5:9])
    dashboard = text(browser.get(f"/teams/{team.id}/evaluation"))
    assert "Results not shown" in dashboard


def test_no_page_or_export_shows_another_members_answers(team, period, signed_in) -> None:
    author = team.voters[1]
    services.submit_answers(author.user, team.id, period.id, DISTINCT)
    reader = signed_in(team.voters[0].user)
    # Before answering, the reader's form is blank: nothing of the author's choices.
    assert "checked" not in page(reader.get(answer_url(team, period)))
    assert "checked" not in page(signed_in(team.lead.user).get(answer_url(team, period)))
    for voter in (team.voters[0], team.voters[2]):
        services.submit_answers(voter.user, team.id, period.id, uniform(2))
    services.close_period(team.lead.user, team.id, period.id)
    pattern = "".join(DISTINCT[k] for k in KEYS)
    shown = [
        page(reader.get(results_url(team, period))),
        page(reader.get(f"/teams/{team.id}/evaluation")),
        page(reader.get(f"/teams/{team.id}/evaluation/assessments")),
        reader.get(f"/teams/{team.id}/evaluation/export/assessments.csv").get_data(as_text=True),
        page(signed_in(team.lead.user).get(results_url(team, period))),
    ]
    for content in shown:
        assert author.user.name not in content
        assert author.user.email not in content
        flat = "".join(ch for ch in content if ch in "123")
        assert pattern not in flat
    # The reader's own (closed) form still shows only their answers.
    own = page(reader.get(answer_url(team, period)))
    assert own.count('value="2" checked') == len(KEYS)


def test_change_since_the_previous_period_is_shown(team, signed_in) -> None:
    first = services.open_period(team.lead.user, team.id, title="Autumn 2025")
    answer(team, first, 1, 1, 2)
    services.close_period(team.lead.user, team.id, first.id)
    second = services.open_period(team.lead.user, team.id, title="Spring 2026")
    answer(team, second, 2, 3, 3)
    services.close_period(team.lead.user, team.id, second.id)
    html = text(signed_in(team.voters[0].user).get(results_url(team, second)))
    assert "+2 steps towards collaboration" in html
    assert "Median by dimension, period by period" in html
    trend = page(signed_in(team.voters[0].user).get(results_url(team, second)))
    assert "Median by dimension over the periods" in trend
    assert "Autumn 2025: Vision and Relationships cooperation" in trend


def test_network_comparison_is_aggregated_and_only_for_the_parent_team(
    team, make_team, make_member, signed_in
) -> None:
    period = services.open_period(team.lead.user, team.id, title="Spring 2026")
    answer(team, period, 3, 3, 2)
    services.close_period(team.lead.user, team.id, period.id)
    small = make_team("Harbor County", parent=team.network)
    small_lead = make_member(small, role=Role.LEAD)
    small_period = services.open_period(small_lead.user, small.id, title="Harbor spring")
    services.submit_answers(small_lead.user, small.id, small_period.id, DISTINCT)
    services.close_period(small_lead.user, small.id, small_period.id)
    network_member = make_member(team.network)
    url = f"/teams/{team.network.id}/evaluation/network"
    response = signed_in(network_member.user).get(url)
    html = text(response)
    assert response.status_code == 200
    assert "Northfield County SOM Team Spring 2026 (3 responses) Collaboration" in html
    assert "Harbor County Harbor spring Fewer than 3 responses: not shown" in html
    assert small_lead.user.name not in html
    # Members of a child team only are not members of the parent: no comparison for them.
    assert signed_in(team.voters[0].user).get(url).status_code == 404
    with pytest.raises(NotFound):
        services.network_comparison(team.voters[0].user, team.network.id)
    # Nor do parent members get into a child team's own evaluation pages.
    child_page = signed_in(network_member.user).get(results_url(team, period))
    assert child_page.status_code == 404


def test_csv_exports_of_measures_data_points_and_results(team, signed_in) -> None:
    measure = services.create_measure(
        team.lead.user,
        team.id,
        name="=HYPERLINK(1) treatment plans",
        kind="outcome",
        unit="%",
        target="90",
        direction="higher",
        frequency="monthly",
    )
    for days_ago, value in ((40, "84"), (10, "91.5")):
        services.add_data_point(
            team.lead.user,
            team.id,
            measure.id,
            recorded_on=today() - timedelta(days=days_ago),
            value=value,
            note="-from the case system",
        )
    period = services.open_period(team.lead.user, team.id, title="Spring 2026")
    answer(team, period, 1, 2, 3)
    services.close_period(team.lead.user, team.id, period.id)
    browser = signed_in(team.observer.user)

    def read(name: str) -> list[dict[str, str]]:
        response = browser.get(f"/teams/{team.id}/evaluation/export/{name}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    measures = read("measures")
    assert measures[0]["measure"] == "'=HYPERLINK(1) treatment plans"
    assert (measures[0]["latest value"], measures[0]["on target"]) == ("91.5", "yes")
    assert measures[0]["trend"] == "improving"
    points = read("data-points")
    assert [p["value"] for p in points] == ["84", "91.5"]
    assert points[0]["note"] == "'-from the case system"
    results = read("assessments")
    overall = [r for r in results if r["row (its collaboration description)"] == "(all rows)"]
    assert len(overall) == 4
    vision = overall[0]
    assert (vision["cooperation"], vision["coordination"], vision["collaboration"]) == (
        "3",
        "3",
        "3",
    )
    assert vision["median (1-3)"] == "2" and vision["responses"] == "3"
    process_rows = read("process")
    assert {r["measure"] for r in process_rows} >= {"Meetings held against planned"}
    assert process_rows[0]["to"] == today().isoformat()


def test_answers_are_stored_once_per_member_and_row(team, period) -> None:
    answer(team, period, 2)
    services.submit_answers(team.voters[0].user, team.id, period.id, uniform(3))
    assert db.session.scalar(sa.select(sa.func.count(AssessmentAnswer.id))) == len(KEYS)
