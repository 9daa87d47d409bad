"""The audit trail: what is recorded, with whom and from where, and who may read it."""

from __future__ import annotations

import csv
import html
import io

import pytest
import sqlalchemy as sa

from teamwork.audit.models import AuditEvent
from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.extensions import db
from teamwork.teams import services as teams
from teamwork.teams.rules import Discipline, Role
from tests.conftest import PASSWORD
from tests.pages import text

OTHER = Discipline.OTHER


def events(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def test_a_refused_sign_in_is_recorded_with_the_address_and_never_the_password(
    client, make_user
) -> None:
    user = make_user()
    client.post("/login", data={"email": user.email, "password": "wrong-password-123"})
    [event] = events("sign_in.failed")
    assert event.details == {"email": user.email}
    assert event.ip_address == "127.0.0.1"
    assert event.channel == "http"
    stored = repr([(e.details, e.actor_email) for e in events()])
    assert "wrong-password-123" not in stored


def test_a_sign_in_and_a_sign_out_are_recorded_with_the_actor(client, make_user, login) -> None:
    user = make_user()
    login(user)
    client.post("/logout")
    assert [(e.action, e.actor_id) for e in events()] == [
        ("user.created", None),  # by the test's factory, outside any request
        ("sign_in.succeeded", user.id),
        ("sign_out", user.id),
    ]


def test_membership_and_role_changes_are_recorded_with_the_lead_who_made_them(
    make_team, make_member, signed_in
) -> None:
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    target = make_member(team)
    browser = signed_in(lead.user)
    prefix = f"m{target.id}-"
    browser.post(
        f"/teams/{team.id}/members/{target.id}",
        data={
            prefix + "role": "recorder",
            prefix + "agency": target.agency,
            prefix + "discipline": str(target.discipline),
        },
    )
    [change] = events("membership.role_changed")
    assert change.team_id == team.id
    assert change.actor_id == lead.user.id
    assert change.details["from"] == "member" and change.details["to"] == "recorder"


def test_rounds_and_votes_are_recorded_and_an_anonymous_round_hides_the_choice(meeting) -> None:
    m = meeting(rule={"anonymous": True})
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    voting.cast_vote(m.lead.user, round_.id, choice="up", reason="", request_id="a1")
    consensus.close_round(m.moderator.user, round_.id)
    [opened] = events("round.opened")
    [vote] = events("vote.cast")
    [closed] = events("round.closed")
    assert opened.team_id == vote.team_id == closed.team_id == m.team.id
    assert vote.details["membership_id"] == m.lead.id
    assert "choice" not in vote.details
    assert closed.details["up"] == 1


def test_a_named_vote_records_the_choice(meeting) -> None:
    m = meeting()
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    voting.cast_vote(m.members[0].user, round_.id, choice="down", reason="No", request_id="b")
    [vote] = events("vote.cast")
    assert vote.details["choice"] == "down"


def test_a_decision_reached_is_recorded(meeting) -> None:
    m = meeting()
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    for n, voter in enumerate(m.voters):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"c{n}")
    consensus.close_round(m.moderator.user, round_.id)
    [decision] = events("decision.recorded")
    assert decision.team_id == m.team.id


def test_a_refused_request_is_recorded_as_access_denied(make_team, make_member, signed_in) -> None:
    team = make_team()
    member = make_member(team)
    response = signed_in(member.user).get(f"/teams/{team.id}/edit")  # leads only
    assert response.status_code == 403
    [denied] = events("access.denied")
    assert denied.actor_id == member.user.id
    assert denied.team_id == team.id
    assert denied.details["path"] == f"/teams/{team.id}/edit"


def test_a_failed_action_records_nothing_of_it(meeting) -> None:
    m = meeting()
    with pytest.raises(Exception):  # noqa: B017, PT011 - an observer may not open rounds
        consensus.open_round(m.observer.user, m.proposal.id)
    db.session.rollback()
    assert events("round.opened") == []


def test_events_are_never_changed(meeting) -> None:
    m = meeting()
    consensus.open_round(m.moderator.user, m.proposal.id)
    [event] = events("round.opened")
    event.action = "round.closed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert [e.action for e in events("round.opened")] == ["round.opened"]


def test_a_lead_browses_and_exports_only_their_own_teams_events(
    make_team, make_member, signed_in
) -> None:
    team, other = make_team("Ours"), make_team("Theirs")
    lead = make_member(team, role=Role.LEAD)
    other_lead = make_member(other, role=Role.LEAD)
    theirs = make_member(other)
    teams.change_membership(
        other_lead.user, other.id, theirs.id, role=Role.RECORDER, agency="X", discipline=OTHER
    )
    mine = make_member(team)
    teams.change_membership(
        lead.user, team.id, mine.id, role=Role.RECORDER, agency="Y", discipline=OTHER
    )
    browser = signed_in(lead.user)
    page = browser.get(f"/teams/{team.id}/audit")
    assert page.status_code == 200
    shown = html.unescape(text(page))
    # Changed through the service outside a request: no one signed in did it.
    assert f"The system changed {mine.user.name}'s role from member to recorder." in shown
    assert other_lead.user.name not in shown and theirs.user.name not in shown
    exported = browser.get(f"/teams/{team.id}/audit.csv?family=membership")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["action"] for r in rows} == {"membership.added", "membership.role_changed"}
    assert all(r["actor_email"] in {"", lead.user.email} for r in rows)
    assert events("audit.exported")[0].team_id == team.id


def test_a_bad_filter_is_explained(make_team, make_member, signed_in) -> None:
    team = make_team()
    lead = make_member(team, role=Role.LEAD)
    response = signed_in(lead.user).get(f"/teams/{team.id}/audit?since=yesterday")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in text(response)


def test_password_changes_are_recorded(client, make_user, login) -> None:
    user = make_user()
    login(user)
    response = client.post(
        "/account",
        data={
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "a-much-longer-passphrase",
            "password-confirm": "a-much-longer-passphrase",
        },
    )
    assert response.status_code == 302
    assert [e.actor_id for e in events("user.password_changed")] == [user.id]
