"""The demo's evaluation data: measures with charts, and two closed assessment periods that
show the county team moving towards collaboration."""

from __future__ import annotations

from datetime import timedelta

from teamwork.demo import PEOPLE, ROSTERS
from teamwork.evaluation import charts, demo, services
from teamwork.teams.rules import Role
from teamwork.teams.services import team_access, today
from tests.pages import text


def test_demo_seeds_measures_and_two_periods_with_visible_change(
    make_team, make_member, make_user, signed_in
) -> None:
    network = make_team("Cascadia Network")
    county = make_team("Northfield County Sex Offender Management Team", parent=network)
    users = {email: make_user(email, name) for email, name, _agency, _discipline in PEOPLE}
    for email, role in ROSTERS["Northfield County Sex Offender Management Team"]:
        make_member(county, users[email], role=role, agency=email.split("@")[0])
    lead_of_network = make_member(network, users["member5@example.org"], role=Role.LEAD)

    demo.seed(county, users, today())

    access = team_access(users["lead@example.org"], county.id)
    measures = services.list_measures(access)
    assert len(measures) == 4
    assert {m.measure.kind.value for m in measures} == {"process", "outcome"}
    assert all(6 <= len(m.points) <= 10 for m in measures)
    assert all(m.latest.recorded_on <= today() for m in measures)
    assert all(charts.measure_svg(m) for m in measures)

    history = services.results_over_time(county.id)
    assert len(history) == 2
    first, second = history
    assert not first.summary.suppressed and not second.summary.suppressed
    assert second.period.closed_at - first.period.closed_at > timedelta(days=150)
    assert all(d.change is not None and d.change > 0 for d in second.summary.dimensions)
    assert 8 <= first.summary.responses <= 11 and 8 <= second.summary.responses <= 11

    page = text(signed_in(users["observer@example.org"]).get(f"/teams/{county.id}/evaluation"))
    assert second.period.title in page and "towards collaboration" in page
    comparison = text(
        signed_in(lead_of_network.user).get(f"/teams/{network.id}/evaluation/network")
    )
    assert f"{second.period.title} ({second.summary.responses} responses)" in comparison
