"""The charter: versioned statements, adoption by consensus, and the decision rule changed by
consensus and then feeding the engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.charter import services
from teamwork.charter.models import Statement, StatementKind, StatementVersion, VersionStatus
from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.consensus.models import Round
from teamwork.errors import Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from tests.conftest import DEMO_PASSWORD, Meeting


def decide(m: Meeting, proposal_id: int, choice: str = "up", tag: str = "v") -> Round:
    round_ = consensus.open_round(m.moderator.user, proposal_id)
    for voter in m.voters:
        voting.cast_vote(
            voter.user,
            round_.id,
            choice=choice,
            reason="Not yet" if choice == "down" else "",
            request_id=f"{tag}{voter.id}",
        )
    return consensus.close_round(m.moderator.user, round_.id)


def test_every_edit_is_a_new_version_with_a_diff(meeting) -> None:
    m = meeting()
    first = services.draft_statement(
        m.lead.user, m.team.id, kind=StatementKind.MISSION, text="Prevent further victimization."
    )
    second = services.draft_statement(
        m.lead.user,
        m.team.id,
        kind=StatementKind.MISSION,
        text="End further sexual victimization in Northfield County.",
    )
    assert first.statement_id == second.statement_id  # one mission per team
    assert (first.number, second.number) == (1, 2)
    assert "+End further sexual victimization" in second.diff
    assert second.status is VersionStatus.DRAFT and second.author_id == m.lead.user_id


def test_goals_are_separate_statements(meeting) -> None:
    m = meeting()
    a = services.draft_statement(
        m.lead.user, m.team.id, kind=StatementKind.SHORT_TERM_GOAL, text="A"
    )
    b = services.draft_statement(
        m.lead.user, m.team.id, kind=StatementKind.SHORT_TERM_GOAL, text="B"
    )
    assert a.statement_id != b.statement_id


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_bad_text_is_refused_and_changes_nothing(meeting, text) -> None:
    m = meeting()
    with pytest.raises(InvalidInput):
        services.draft_statement(m.lead.user, m.team.id, kind=StatementKind.MISSION, text=text)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(StatementVersion.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Statement.id))) == 0


def test_only_leads_draft_and_outsiders_see_nothing(meeting, make_team, make_member) -> None:
    m = meeting()
    with pytest.raises(Forbidden):
        services.draft_statement(m.members[0].user, m.team.id, kind=StatementKind.VISION, text="V")
    outsider = make_member(make_team("Harbor County"))
    with pytest.raises(NotFound):
        services.draft_statement(outsider.user, m.team.id, kind=StatementKind.VISION, text="V")


def test_adoption_is_a_consensus_decision_linked_to_the_version(meeting) -> None:
    m = meeting()
    version = services.draft_statement(
        m.lead.user, m.team.id, kind=StatementKind.VISION, text="A coordinated system."
    )
    proposal = services.propose_adoption(m.lead.user, m.team.id, version.id)
    assert proposal.versions[0].text == "A coordinated system."
    decide(m, proposal.id)
    db.session.refresh(version)
    assert version.status is VersionStatus.ADOPTED
    assert version.proposal_id == proposal.id and version.adopted_at is not None


def test_no_consensus_leaves_the_version_a_draft(meeting) -> None:
    m = meeting()
    version = services.draft_statement(m.lead.user, m.team.id, kind=StatementKind.MISSION, text="M")
    proposal = services.propose_adoption(m.lead.user, m.team.id, version.id)
    decide(m, proposal.id, choice="down")
    db.session.refresh(version)
    assert version.status is VersionStatus.DRAFT


def test_text_amended_on_the_way_to_consensus_is_what_gets_adopted(meeting) -> None:
    m = meeting()
    version = services.draft_statement(
        m.lead.user, m.team.id, kind=StatementKind.MISSION, text="M1"
    )
    proposal = services.propose_adoption(m.lead.user, m.team.id, version.id)
    consensus.amend_proposal(
        m.moderator.user, proposal.id, title=proposal.title, text="M1, amended"
    )
    decide(m, proposal.id)
    statement = db.session.get(Statement, version.statement_id)
    adopted = [v for v in statement.versions if v.status is VersionStatus.ADOPTED]
    assert [v.text for v in adopted] == ["M1, amended"]
    assert db.session.get(StatementVersion, version.id).status is VersionStatus.DRAFT


def test_a_newly_adopted_version_supersedes_the_old_one(meeting) -> None:
    m = meeting()
    v1 = services.draft_statement(m.lead.user, m.team.id, kind=StatementKind.MISSION, text="Old")
    decide(m, services.propose_adoption(m.lead.user, m.team.id, v1.id).id, tag="a")
    v2 = services.draft_statement(m.lead.user, m.team.id, kind=StatementKind.MISSION, text="New")
    decide(m, services.propose_adoption(m.lead.user, m.team.id, v2.id).id, tag="b")
    db.session.refresh(v1)
    db.session.refresh(v2)
    assert (v1.status, v2.status) == (VersionStatus.SUPERSEDED, VersionStatus.ADOPTED)


def test_adopted_rule_change_feeds_the_engine_for_later_rounds_only(meeting) -> None:
    m = meeting()
    waiting = consensus.create_proposal(m.lead.user, m.team.id, title="Later", text="Later")
    open_before = consensus.open_round(m.moderator.user, waiting.id)
    change = services.propose_rule_change(
        m.lead.user, m.team.id, {"reveal_mode": "simultaneous", "anonymous": True}
    )
    assert "hidden until everyone has voted" in change.versions[0].text
    decide(m, change.id)
    db.session.refresh(m.team)
    assert m.team.decision_rule["reveal_mode"] == "simultaneous"
    # The round already open keeps the rule it opened with; the next one uses the new rule.
    assert db.session.get(Round, open_before.id).rule["reveal_mode"] == "live"
    other = consensus.create_proposal(m.lead.user, m.team.id, title="Next", text="Next")
    assert consensus.open_round(m.moderator.user, other.id).rule["anonymous"] is True


@pytest.mark.parametrize(
    "rule", [{"block_threshold": 0}, {"quorum_share": "3/2"}, {"reveal_mode": "sometimes"}, {}]
)
def test_invalid_or_unchanged_rules_are_refused(meeting, rule) -> None:
    m = meeting()
    with pytest.raises(InvalidInput):
        services.propose_rule_change(m.lead.user, m.team.id, rule)


def test_charter_pages(meeting, signed_in, make_team, make_member) -> None:
    m = meeting()
    lead = signed_in(m.lead.user)
    response = lead.post(
        f"/teams/{m.team.id}/charter/drafts", data={"kind": "mission", "text": "Our mission."}
    )
    assert response.status_code == 302
    version = db.session.scalar(sa.select(StatementVersion))
    page = lead.get(f"/teams/{m.team.id}/charter/statements/{version.statement_id}")
    assert "Our mission." in page.get_data(as_text=True)
    proposed = lead.post(f"/teams/{m.team.id}/charter/versions/{version.id}/propose")
    assert proposed.status_code == 302 and "/proposals/" in proposed.headers["Location"]
    empty = lead.post(f"/teams/{m.team.id}/charter/drafts", data={"kind": "vision", "text": ""})
    assert empty.status_code == 422 and 'id="text-error"' in empty.get_data(as_text=True)
    member = signed_in(m.members[0].user)
    charter_page = member.get(f"/teams/{m.team.id}/charter").get_data(as_text=True)
    assert "Our mission." in charter_page and "Start a draft" not in charter_page
    assert (
        member.post(
            f"/teams/{m.team.id}/charter/drafts", data={"kind": "vision", "text": "V"}
        ).status_code
        == 403
    )
    rule_page = lead.get(f"/teams/{m.team.id}/charter/decision-rule")
    assert rule_page.status_code == 200 and "any thumbs down blocks" in rule_page.get_data(
        as_text=True
    )
    outsider = signed_in(make_member(make_team("Harbor County")).user)
    assert outsider.get(f"/teams/{m.team.id}/charter").status_code == 404
    assert (
        outsider.get(f"/teams/{m.team.id}/charter/statements/{version.statement_id}").status_code
        == 404
    )


def test_rule_form_proposes_a_change(meeting, signed_in) -> None:
    m = meeting()
    lead = signed_in(m.lead.user)
    response = lead.post(
        f"/teams/{m.team.id}/charter/decision-rule",
        data={
            "quorum_percent": "50",
            "block_threshold": "2",
            "down_requires_reason": "y",
            "reveal_mode": "live",
            "fallback": "keep_looping",
        },
    )
    assert response.status_code == 302
    from teamwork.charter.models import RuleChange

    change = db.session.scalar(sa.select(RuleChange))
    assert change.rule["block_threshold"] == 2


def test_charter_exports_as_markdown_and_a_printable_page(app, demo, login, make_team) -> None:
    from teamwork.demo import COUNTY
    from teamwork.teams.models import Team

    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    lead = db.session.scalar(sa.select(User).where(User.email == "lead@example.org"))
    browser = app.test_client()
    login(lead, DEMO_PASSWORD, on=browser)
    response = browser.get(f"/teams/{county.id}/charter/export.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith(f"# Charter of {county.name}")
    for heading in ("## Mission", "## Vision", "## Operating norms", "## Stakeholder incentives"):
        assert heading in text
    assert "Adopted by consensus" in text and "agencies signed" in text
    page = browser.get(f"/teams/{county.id}/charter/print").get_data(as_text=True)
    assert "Charter of" in page and "Stakeholder incentives" in page
    outsider = app.test_client()
    login(
        db.session.scalar(sa.select(User).where(User.email == "outsider@example.org")),
        DEMO_PASSWORD,
        on=outsider,
    )
    assert outsider.get(f"/teams/{county.id}/charter/export.md").status_code == 404
    assert outsider.get(f"/teams/{county.id}/charter/print").status_code == 404


def test_members_draft_only_when_the_norms_say_so(meeting) -> None:
    from teamwork.norms.models import OperatingNorms

    m = meeting()
    with pytest.raises(Forbidden):
        services.draft_statement(m.members[0].user, m.team.id, kind=StatementKind.VISION, text="V")
    db.session.rollback()
    db.session.add(
        OperatingNorms(
            team_id=m.team.id, number=1, cadence="monthly", members_may_draft=True, author_id=None
        )
    )
    db.session.commit()
    version = services.draft_statement(
        m.members[0].user, m.team.id, kind=StatementKind.VISION, text="V"
    )
    assert version.author_id == m.members[0].user_id
    with pytest.raises(Forbidden):  # observers never draft
        services.draft_statement(m.observer.user, m.team.id, kind=StatementKind.VISION, text="W")


def test_composition_follows_the_teams_juvenile_focus(meeting, signed_in) -> None:
    m = meeting()
    lead = signed_in(m.lead.user)
    response = lead.post(
        f"/teams/{m.team.id}/edit",
        data={"name": m.team.name, "level": "local_policy", "juvenile_focus": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(m.team)
    assert m.team.juvenile_focus is True
    page = lead.get(f"/teams/{m.team.id}/charter/composition").get_data(as_text=True)
    assert "Schools" in page
