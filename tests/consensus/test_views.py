"""Proposal pages: list and create, amend, table or withdraw, history, decision log."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.consensus import services, voting
from teamwork.consensus.models import Proposal, ProposalStatus, ProposalVersion
from teamwork.extensions import db


def decide(m) -> None:
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    for voter in m.voters:
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"x{voter.id}")
    services.close_round(m.moderator.user, round_.id)


def test_member_puts_a_proposal_to_the_team(meeting, signed_in) -> None:
    m = meeting()
    browser = signed_in(m.members[0].user)
    response = browser.post(
        f"/teams/{m.team.id}/proposals",
        data={"title": "Monthly case review", "text": "The core team reviews every case monthly."},
    )
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.title == "Monthly case review"))
    assert proposal.status is ProposalStatus.DISCUSSION and proposal.versions[0].number == 1
    listing = browser.get(f"/teams/{m.team.id}/proposals").get_data(as_text=True)
    assert "Monthly case review" in listing


def test_empty_proposal_shows_errors_beside_the_fields(meeting, signed_in) -> None:
    m = meeting()
    browser = signed_in(m.members[0].user)
    response = browser.post(f"/teams/{m.team.id}/proposals", data={"title": "", "text": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in html and 'id="text-error"' in html
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 1


def test_observer_sees_proposals_but_cannot_put_one(meeting, signed_in) -> None:
    m = meeting()
    browser = signed_in(m.observer.user)
    page = browser.get(f"/teams/{m.team.id}/proposals")
    assert page.status_code == 200 and "Put a proposal" not in page.get_data(as_text=True)
    response = browser.post(f"/teams/{m.team.id}/proposals", data={"title": "T", "text": "X"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 1


def test_moderator_amends_the_text(meeting, signed_in) -> None:
    m = meeting()
    browser = signed_in(m.moderator.user)
    form = browser.get(f"/teams/{m.team.id}/proposals/{m.proposal.id}/amend")
    assert form.status_code == 200 and "Within five days." in form.get_data(as_text=True)
    response = browser.post(
        f"/teams/{m.team.id}/proposals/{m.proposal.id}/amend",
        data={"title": "Share polygraph results", "text": "Within seven days.", "note": "Rural"},
    )
    assert response.status_code == 302
    latest = db.session.scalar(
        sa.select(ProposalVersion).order_by(ProposalVersion.number.desc()).limit(1)
    )
    assert latest.number == 2 and latest.text == "Within seven days." and latest.note == "Rural"


def test_members_cannot_amend_or_reach_the_console(meeting, signed_in) -> None:
    m = meeting()
    browser = signed_in(m.members[0].user)
    base = f"/teams/{m.team.id}/proposals/{m.proposal.id}"
    assert browser.get(f"{base}/amend").status_code == 403
    assert browser.post(f"{base}/amend", data={"title": "T", "text": "Y"}).status_code == 403
    assert browser.get(f"{base}/console").status_code == 403
    assert browser.post(f"{base}/status", data={"status": "withdrawn"}).status_code == 403
    assert len(db.session.get(Proposal, m.proposal.id).versions) == 1


def test_moderator_tables_then_withdraws_a_proposal(meeting, signed_in) -> None:
    m = meeting()
    browser = signed_in(m.moderator.user)
    base = f"/teams/{m.team.id}/proposals/{m.proposal.id}"
    assert browser.post(f"{base}/status", data={"status": "tabled"}).status_code == 302
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.TABLED
    assert browser.post(f"{base}/status", data={"status": "withdrawn"}).status_code == 302
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.WITHDRAWN
    bad = browser.post(f"{base}/status", data={"status": "consensus"})
    assert bad.status_code == 422
    assert db.session.get(Proposal, m.proposal.id).status is ProposalStatus.WITHDRAWN


def test_history_shows_rounds_chart_and_versions(meeting, signed_in) -> None:
    m = meeting()
    decide(m)
    html = (
        signed_in(m.members[0].user)
        .get(f"/teams/{m.team.id}/proposals/{m.proposal.id}/history")
        .get_data(as_text=True)
    )
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "round 1: 5 up, 0 sideways, 0 down" in html
    assert "Version 1" in html


def test_decision_log_lists_decisions_with_their_vote_record(meeting, signed_in) -> None:
    m = meeting()
    decide(m)
    browser = signed_in(m.observer.user)
    log = browser.get(f"/teams/{m.team.id}/decisions").get_data(as_text=True)
    assert "Share polygraph results" in log
    decision_id = db.session.scalar(sa.text("select id from decisions"))
    page = browser.get(f"/teams/{m.team.id}/decisions/{decision_id}").get_data(as_text=True)
    assert "Within five days." in page
    assert m.members[0].user.name in page  # named vote record


def test_a_proposal_or_decision_id_from_another_team_is_not_found(
    meeting, make_team, make_member, signed_in
) -> None:
    m = meeting()
    decide(m)
    other = make_team("Harbor County")
    outsider = make_member(other)
    own_member = make_member(other, user=m.members[0].user)
    assert own_member
    browser = signed_in(m.members[0].user)
    decision_id = db.session.scalar(sa.text("select id from decisions"))
    # The member belongs to both teams, but the ids must match the team in the URL.
    assert browser.get(f"/teams/{other.id}/proposals/{m.proposal.id}/history").status_code == 404
    assert browser.get(f"/teams/{other.id}/decisions/{decision_id}").status_code == 404
    outsider_browser = signed_in(outsider.user)
    assert outsider_browser.get(f"/teams/{m.team.id}/decisions").status_code == 404


def test_voting_screen_renders_the_live_state_before_any_script_runs(meeting, signed_in) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    page = signed_in(m.members[0].user).get(f"/teams/{m.team.id}/proposals/{m.proposal.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Within five days." in html
    assert "Round 1" in html
    assert 'aria-live="polite"' in html
    for word in ("Thumbs up", "Sideways", "Thumbs down"):
        assert word in html
    assert "<script>" not in html  # no inline script under the CSP
    assert m.members[1].user.name in html  # names for the voters list, before the socket


def test_observers_voting_screen_has_no_vote_buttons(meeting, signed_in) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    html = (
        signed_in(m.observer.user)
        .get(f"/teams/{m.team.id}/proposals/{m.proposal.id}")
        .get_data(as_text=True)
    )
    assert "do not vote" in html


def test_moderator_console_lists_who_has_not_voted(meeting, signed_in) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    html = (
        signed_in(m.moderator.user)
        .get(f"/teams/{m.team.id}/proposals/{m.proposal.id}/console")
        .get_data(as_text=True)
    )
    assert "Not voted yet" in html
    assert all(v.user.name in html for v in m.voters)


def test_the_decision_log_shows_the_start_of_a_long_decision_and_links_the_whole(
    meeting, signed_in
) -> None:
    m = meeting()
    long_text = "The team adopts these minutes. " + "Every case was reviewed in turn. " * 60
    version = m.proposal.versions[-1]
    version.text = long_text + "THE LAST SENTENCE."
    db.session.commit()
    decide(m)
    browser = signed_in(m.members[0].user)
    log = browser.get(f"/teams/{m.team.id}/decisions").get_data(as_text=True)
    decision_id = db.session.scalar(sa.text("select id from decisions"))
    assert "The team adopts these minutes." in log
    assert "THE LAST SENTENCE." not in log and "…" in log
    assert f'href="/teams/{m.team.id}/decisions/{decision_id}">Read the whole decision' in log
    whole = browser.get(f"/teams/{m.team.id}/decisions/{decision_id}").get_data(as_text=True)
    assert "THE LAST SENTENCE." in whole
