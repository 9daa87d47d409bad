"""A team ready to decide: a lead, a moderator, three members, an observer and a proposal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from teamwork.auth.models import User
from teamwork.consensus import services
from teamwork.consensus.models import Proposal
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role


@dataclass
class Meeting:
    team: Team
    lead: Membership
    moderator: Membership
    members: list[Membership]
    observer: Membership
    proposal: Proposal

    @property
    def voters(self) -> list[Membership]:
        return [self.lead, self.moderator, *self.members]


@pytest.fixture
def meeting(make_team, make_member) -> Callable[..., Meeting]:
    def make(rule: dict[str, Any] | None = None, members: int = 3) -> Meeting:
        team = make_team("Northfield County SOM Team")
        team.decision_rule = rule or {}
        db.session.commit()
        lead = make_member(team, role=Role.LEAD)
        moderator = make_member(team, moderator=True, discipline=Discipline.TREATMENT)
        people = [make_member(team, agency=f"Agency {n}") for n in range(members)]
        observer = make_member(team, role=Role.OBSERVER, discipline=Discipline.JUDICIARY)
        proposal = services.create_proposal(
            lead.user, team.id, title="Share polygraph results", text="Within five days."
        )
        return Meeting(team, lead, moderator, people, observer, proposal)

    return make


@pytest.fixture
def signed_in(app: Flask, login) -> Callable[[User], FlaskClient]:
    """A new browser (Flask test client) signed in as `user`."""

    def make(user: User) -> FlaskClient:
        browser = app.test_client()
        login(user, on=browser)
        return browser

    return make
