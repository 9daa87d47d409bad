"""The demo jurisdiction and the commands that seed it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from teamwork.auth.models import User
from teamwork.demo import COUNTY, OTHER_COUNTY, seed_demo
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Role
from teamwork.teams.services import team_access
from tests.conftest import DEMO_PASSWORD


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(User.id))),
        db.session.scalar(sa.select(sa.func.count(Team.id))),
        db.session.scalar(sa.select(sa.func.count(Membership.id))),
    )


def test_demo_has_an_account_per_role_and_at_least_eight_agencies(app: Flask, demo: Any) -> None:
    emails = set(db.session.scalars(sa.select(User.email)))
    expected = {"lead", "moderator", "recorder", "observer", "outsider"} | {
        f"member{n}" for n in range(1, 9)
    }
    assert emails == {f"{name}@example.org" for name in expected}
    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    agencies = {m.agency for m in county.memberships}
    assert len(agencies) >= 8
    roles = {m.user.email: m.role for m in county.memberships}
    assert roles["lead@example.org"] is Role.LEAD
    assert roles["recorder@example.org"] is Role.RECORDER
    assert roles["observer@example.org"] is Role.OBSERVER
    assert county.parent is not None and county.parent.parent is None
    assert any(child.level.value == "case_management" for child in county.children)


def test_demo_moderator_holds_the_county_moderator_term(app: Flask, demo: Any) -> None:
    moderator = db.session.scalar(sa.select(User).where(User.email == "moderator@example.org"))
    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    access = team_access(moderator, county.id)
    assert access.is_moderator and access.membership.role is Role.MEMBER


def test_outsider_belongs_only_to_another_team(app: Flask, demo: Any) -> None:
    outsider = db.session.scalar(sa.select(User).where(User.email == "outsider@example.org"))
    teams = db.session.scalars(
        sa.select(Team.name).join(Membership).where(Membership.user_id == outsider.id)
    ).all()
    assert teams == [OTHER_COUNTY]


def test_seeding_twice_changes_nothing(app: Flask) -> None:
    assert seed_demo(DEMO_PASSWORD) is not None
    before = counts()
    assert seed_demo(DEMO_PASSWORD) is None
    assert counts() == before


def test_seeding_never_touches_a_database_with_data(app: Flask, make_user) -> None:
    make_user(email="real.person@county.gov")
    assert seed_demo(DEMO_PASSWORD) is None
    assert counts() == (1, 0, 0)


def test_member1_signs_in_and_sees_only_their_teams(app: Flask, demo: Any) -> None:
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "member1@example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    member1 = db.session.scalar(sa.select(User).where(User.email == "member1@example.org"))
    mine = set(
        db.session.scalars(
            sa.select(Team.name).join(Membership).where(Membership.user_id == member1.id)
        )
    )
    others = set(db.session.scalars(sa.select(Team.name))) - mine
    assert mine and others
    assert all(name in html for name in mine)
    assert not any(name in html for name in others)


def test_demo_command_seeds_prints_sign_ins_and_is_idempotent(app: Flask) -> None:
    app.config["TEAMWORK_DEMO_PASSWORD"] = DEMO_PASSWORD
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Seeded the demo jurisdiction" in first.output
    assert "member1@example.org" in first.output and DEMO_PASSWORD in first.output
    before = counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "not seeded again" in second.output
    assert counts() == before


def test_demo_command_generates_and_keeps_a_password_when_none_is_set(app: Flask) -> None:
    from pathlib import Path

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    saved = (Path(app.instance_path) / "demo-password").read_text().strip()
    assert len(saved) >= 12 and saved in result.output
    assert (Path(app.instance_path) / "demo-password").stat().st_mode & 0o077 == 0
    client = app.test_client()
    response = client.post("/login", data={"email": "lead@example.org", "password": saved})
    assert response.status_code == 302


def test_create_user_command(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "Admin@County.gov",
            "--name",
            "Pat Admin",
            "--admin",
            "--password-stdin",
        ],
        input="a long admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "admin@county.gov"))
    assert user is not None and user.is_admin and user.name == "Pat Admin"


def test_create_user_command_refuses_a_weak_password(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "x@county.gov", "--name", "X", "--password-stdin"], input="password\n"
    )
    assert result.exit_code != 0
    assert "too easy to guess" in result.output
    assert counts() == (0, 0, 0)


def test_deactivate_user_command_ends_sessions_and_sign_in(app: Flask, make_user, login) -> None:
    user = make_user(email="leaving@county.gov")
    browser = app.test_client()
    login(user, on=browser)
    result = app.test_cli_runner().invoke(args=["deactivate-user", "Leaving@County.gov"])
    assert result.exit_code == 0, result.output
    assert browser.get("/").status_code == 302
    assert db.session.get(User, user.id).deactivated_at is not None


def test_demo_charter_has_adopted_mission_and_vision_and_draft_goals(app: Flask, demo: Any) -> None:
    from teamwork.charter.models import Statement, StatementKind, VersionStatus

    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    statements = db.session.scalars(sa.select(Statement).where(Statement.team_id == county.id))
    status = {s.kind: s.versions[-1].status for s in statements}
    assert status[StatementKind.MISSION] is VersionStatus.ADOPTED
    assert status[StatementKind.VISION] is VersionStatus.ADOPTED
    assert status[StatementKind.LONG_TERM_GOAL] is VersionStatus.DRAFT
    assert status[StatementKind.SHORT_TERM_GOAL] is VersionStatus.DRAFT
