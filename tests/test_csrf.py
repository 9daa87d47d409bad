"""Forms carry CSRF tokens, and a POST without one changes nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from teamwork.auth.models import AuthSession
from teamwork.extensions import db
from teamwork.teams.models import Membership
from teamwork.teams.rules import Role
from tests.conftest import PASSWORD, csrf_token_from


def test_sign_in_without_a_csrf_token_is_refused(app: Flask, make_user) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 0


def test_sign_in_with_the_pages_csrf_token_works(app: Flask, make_user) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_removing_a_member_without_a_token_changes_nothing(
    app: Flask, make_team, make_member
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    member = make_member(team)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": lead.user.email, "password": PASSWORD, "csrf_token": token}
    )
    response = client.post(f"/teams/{team.id}/members/{member.id}/remove")
    assert response.status_code == 400
    assert db.session.get(Membership, member.id).removed_at is None


def test_every_page_form_and_the_sign_out_button_carry_a_token(
    app: Flask, make_team, make_member
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    make_member(team)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": lead.user.email, "password": PASSWORD, "csrf_token": token}
    )
    html = client.get(f"/teams/{team.id}/members").get_data(as_text=True)
    forms = html.count('method="post"')
    assert forms >= 5
    # Prefixed forms name the field "<prefix>-csrf_token"; CSRFProtect accepts either.
    assert len(re.findall(r'name="(?:[\w-]+-)?csrf_token"', html)) >= forms
