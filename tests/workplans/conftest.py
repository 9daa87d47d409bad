"""A team with a workplan to work on: a lead, an activity owner, another member, an observer,
two goals in the charter, and a clock the tests set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from teamwork.charter import services as charter
from teamwork.charter.models import StatementKind
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Role
from teamwork.workplans import services
from teamwork.workplans.models import Activity

TODAY = date(2026, 3, 10)


@dataclass
class Plan:
    team: Team
    lead: Membership
    owner: Membership
    member: Membership
    observer: Membership
    long_goal_id: int
    short_goal_id: int

    def add(self, **fields: Any) -> Activity:
        values: dict[str, Any] = {
            "title": "Draft the polygraph protocol",
            "owner_id": self.owner.id,
        }
        values.update(fields)
        return services.create_activity(self.lead.user, self.team.id, day=TODAY, **values)


@pytest.fixture
def plan(make_team, make_member) -> Callable[..., Plan]:
    def make() -> Plan:
        team = make_team("Northfield County SOM Team")
        lead = make_member(team, role=Role.LEAD)
        owner = make_member(team, agency="Probation")
        member = make_member(team, agency="Treatment")
        observer = make_member(team, role=Role.OBSERVER, agency="District court")
        long_goal = charter.draft_statement(
            lead.user, team.id, kind=StatementKind.LONG_TERM_GOAL, text="Countywide standards."
        )
        short_goal = charter.draft_statement(
            lead.user, team.id, kind=StatementKind.SHORT_TERM_GOAL, text="Sign an MOU."
        )
        return Plan(
            team, lead, owner, member, observer, long_goal.statement_id, short_goal.statement_id
        )

    return make
