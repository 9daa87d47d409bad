"""Full-text search: what is found, what never is, in which order, and how it is shown.

Runs on SQLite (FTS5) and, with TEAMWORK_TEST_DATABASE_URL, on PostgreSQL (tsvector)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.errors import NotFound
from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, Meeting, Minutes, MinutesAmendment
from teamwork.search import services
from teamwork.search.models import SearchEntry, SearchKind
from teamwork.teams.models import Team
from teamwork.teams.rules import Role
from tests.pages import page, text

WHEN = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def make_minutes(db):
    """`make_minutes(team, item title, notes)`: a meeting with one agenda item and its notes."""

    def make(team, title: str, notes: str, *, meeting_title: str = "Monthly meeting"):
        meeting = Meeting(team_id=team.id, title=meeting_title, starts_at=WHEN)
        item = AgendaItem(meeting=meeting, title=title, notes=notes)
        db.session.add_all([meeting, item])
        db.session.commit()
        return item

    return make


@pytest.fixture
def teams(make_team, make_member):
    ours = make_team("Northfield County SOM Team")
    theirs = make_team("Southfield County SOM Team")
    lead = make_member(ours, role=Role.LEAD)
    member = make_member(ours)
    stranger = make_member(theirs, role=Role.LEAD)
    return ours, theirs, lead, member, stranger


def titles(found: services.SearchResults) -> list[str]:
    return ["".join(piece.text for piece in r.title) for r in found.results]


def test_a_word_in_the_minutes_is_found(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    item = make_minutes(ours, "Case review", "The polygraph examiner reported no deception.")

    found = services.search_team(member.user, ours.id, "polygraph")

    assert [(r.kind, r.object_id, r.meeting_id) for r in found.results] == [
        (SearchKind.MINUTES, item.id, item.meeting_id)
    ]
    assert titles(found) == ["Monthly meeting — Case review"]


def test_another_teams_minutes_are_never_found(teams, make_minutes, signed_in) -> None:
    ours, theirs, lead, member, stranger = teams
    make_minutes(theirs, "Housing", "Polygraph scheduled for the relocation plan.")

    assert services.search_team(member.user, ours.id, "polygraph").results == []
    assert services.search_my_teams(member.user, "polygraph").results == []
    with pytest.raises(NotFound):
        services.search_team(member.user, theirs.id, "polygraph")
    browser = signed_in(member.user)
    assert browser.get(f"/teams/{theirs.id}/search?q=polygraph").status_code == 404
    response = browser.get("/search?q=polygraph")
    assert response.status_code == 200
    assert "relocation" not in text(response)
    assert "Nothing found" in text(response)
    # The other team's own members do find it.
    assert len(services.search_my_teams(stranger.user, "polygraph").results) == 1


def test_a_removed_member_no_longer_finds_the_teams_minutes(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    make_minutes(ours, "Case review", "Polygraph results shared with treatment.")
    assert services.search_my_teams(member.user, "polygraph").results

    member.removed_at = WHEN
    db.session.commit()

    assert services.search_my_teams(member.user, "polygraph").results == []
    with pytest.raises(NotFound):
        services.search_team(member.user, ours.id, "polygraph")


def test_decisions_and_proposals_are_found(teams, signed_in) -> None:
    ours, _theirs, lead, member, _stranger = teams
    proposal = consensus.create_proposal(
        lead.user, ours.id, title="Curfew checks", text="Officers verify curfew weekly."
    )
    decided = consensus.create_proposal(
        lead.user, ours.id, title="Polygraph sharing", text="Results go to treatment in five days."
    )
    round_ = consensus.open_round(lead.user, decided.id)
    for voter in (lead, member):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id="r")
    consensus.close_round(lead.user, round_.id)
    decision_id = db.session.scalar(sa.text("select id from decisions"))

    curfew = services.search_team(member.user, ours.id, "curfew")
    assert [(r.kind, r.object_id) for r in curfew.results] == [(SearchKind.PROPOSAL, proposal.id)]
    # The decided proposal is found once, as its decision, not a second time as a proposal.
    five_days = services.search_team(member.user, ours.id, '"five days"')
    assert [(r.kind, r.object_id) for r in five_days.results] == [
        (SearchKind.DECISION, decision_id)
    ]
    assert five_days.results[0].proposal_id == decided.id
    html = page(signed_in(member.user).get(f"/teams/{ours.id}/search?q=polygraph"))
    assert f'href="/teams/{ours.id}/decisions/{decision_id}"' in html


def test_an_amended_proposal_is_found_by_its_current_text_only(teams) -> None:
    ours, _theirs, lead, member, _stranger = teams
    proposal = consensus.create_proposal(
        lead.user, ours.id, title="Curfew checks", text="Officers verify curfew monthly."
    )
    consensus.amend_proposal(
        lead.user, proposal.id, title="Curfew checks", text="Officers verify curfew fortnightly."
    )

    assert services.search_team(member.user, ours.id, "monthly").results == []
    assert len(services.search_team(member.user, ours.id, "fortnightly").results) == 1


def test_the_index_follows_edits_and_deletions_of_notes(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    item = make_minutes(ours, "Case review", "Treatment attendance is regular.")
    item.notes = "Treatment attendance slipped in February."
    db.session.commit()
    assert services.search_team(member.user, ours.id, "regular").results == []
    assert len(services.search_team(member.user, ours.id, "february").results) == 1

    item.notes = ""  # minutes cleared: nothing left to find
    db.session.commit()
    assert services.search_team(member.user, ours.id, "treatment").results == []

    item.notes = "Treatment resumed."
    db.session.commit()
    meeting = db.session.get(Meeting, item.meeting_id)
    meeting.title = "Special meeting"
    db.session.commit()
    assert titles(services.search_team(member.user, ours.id, "resumed")) == [
        "Special meeting — Case review"
    ]

    db.session.delete(meeting)
    db.session.commit()
    assert services.search_team(member.user, ours.id, "resumed").results == []
    assert db.session.scalar(sa.select(sa.func.count(SearchEntry.id))) == 0
    assert_full_text_index_matches_entries()


def test_deleting_a_team_removes_its_entries(teams, make_minutes) -> None:
    ours, theirs, _lead, _member, stranger = teams
    make_minutes(ours, "Case review", "Polygraph results shared.")
    make_minutes(theirs, "Case review", "Polygraph scheduled.")

    # Through the database's ON DELETE CASCADE, as an administrator's cleanup would.
    db.session.execute(sa.delete(Team).where(Team.id == ours.id))
    db.session.commit()

    assert db.session.scalars(sa.select(SearchEntry.team_id)).all() == [theirs.id]
    assert_full_text_index_matches_entries()
    assert len(services.search_my_teams(stranger.user, "polygraph").results) == 1


def assert_full_text_index_matches_entries() -> None:
    """SQLite: the FTS5 index holds exactly the entries' text (its triggers fired, cascades
    included). PostgreSQL's index is maintained by the database itself."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            sa.text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
        )


def test_a_minutes_amendment_is_found(teams, make_minutes) -> None:
    ours, _theirs, lead, member, _stranger = teams
    item = make_minutes(ours, "Case review", "Attendance regular.")
    minutes = Minutes(meeting_id=item.meeting_id)
    db.session.add(minutes)
    db.session.flush()
    db.session.add(
        MinutesAmendment(
            minutes_id=minutes.id, item_id=item.id, text="The hearing moved to April.", reason=""
        )
    )
    db.session.commit()

    found = services.search_team(member.user, ours.id, "hearing")
    assert [r.kind for r in found.results] == [SearchKind.AMENDMENT]
    assert titles(found) == ["Monthly meeting — Case review — amendment"]


def test_a_title_match_ranks_before_a_body_only_match(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    make_minutes(ours, "Housing", "Relocation near a school was refused; relocation appeal due.")
    make_minutes(ours, "Relocation request", "The officer visited the new address.")

    found = services.search_team(member.user, ours.id, "relocation")

    assert titles(found) == [
        "Monthly meeting — Relocation request",
        "Monthly meeting — Housing",
    ]


def test_snippets_mark_matches_and_never_let_html_through(teams, make_minutes, signed_in) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    make_minutes(
        ours,
        "Case review <img src=x onerror=alert(1)>",
        'Victim advocate: risk < 3 & "falling" <script>alert("x")</script><b onclick="y()">ok</b>',
    )

    found = services.search_team(member.user, ours.id, "advocate")
    assert [p.text for p in found.results[0].snippet if p.marked] == ["advocate"]

    response = signed_in(member.user).get(f"/teams/{ours.id}/search?q=advocate")
    raw = response.get_data(as_text=True)
    assert "<mark>advocate</mark>" in raw
    assert "risk &lt; 3 &amp; &#34;falling" in raw  # text kept, escaped
    # The page has its own <img>s and <script src>s; no payload's may come through.
    assert not re.search(r"<script(?! src=\"/static/)", raw)
    for tag in ('alert("x")', "<img src=x", "<b "):
        assert tag not in raw


def test_a_note_cannot_forge_a_highlight(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    make_minutes(ours, "Case review", "Plain \x02forged\x03 words about supervision.")

    found = services.search_team(member.user, ours.id, "supervision")

    assert [p.text for p in found.results[0].snippet if p.marked] == ["supervision"]


HOSTILE = [
    '"',
    '"unbalanced',
    "NEAR(polygraph",
    "polygraph*",
    "*",
    "-polygraph",
    "polygraph OR",
    "AND",
    "title:polygraph",
    "^polygraph",
    "(()",
    "'; drop table search_entries; --",
    "\x00polygraph",
    "ß 東京 café ﷽",
    "a" * 2000,
    "NOT NOT NOT",
    "{title body}: polygraph",
    "polygraph +",
    "   ",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(teams, make_minutes, signed_in, query: str) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    make_minutes(ours, "Case review", "Polygraph results shared.")

    services.search_team(member.user, ours.id, query)
    services.search_my_teams(member.user, query)
    response = signed_in(member.user).get(f"/teams/{ours.id}/search", query_string={"q": query})
    assert response.status_code in {200, 422}


def test_operators_are_searched_as_words(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    make_minutes(ours, "Case review", "Polygraph results shared.")

    assert len(services.search_team(member.user, ours.id, "NEAR(polygraph").results) == 0
    assert len(services.search_team(member.user, ours.id, "polygraph*").results) == 1
    assert len(services.search_team(member.user, ours.id, "-polygraph").results) == 1


def test_an_overlong_query_is_refused_with_an_error(teams, signed_in) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    response = signed_in(member.user).get(f"/teams/{ours.id}/search", query_string={"q": "w" * 600})
    assert response.status_code == 422
    assert "at most 500" in page(response) or "500" in page(response)


def test_the_search_page_links_each_result_to_its_record(teams, make_minutes, signed_in) -> None:
    ours, _theirs, lead, member, _stranger = teams
    item = make_minutes(ours, "Case review", "Curfew kept.")
    proposal = consensus.create_proposal(lead.user, ours.id, title="Curfew", text="Weekly checks.")

    response = signed_in(member.user).get("/search?q=curfew")

    assert response.status_code == 200
    html = page(response)
    assert f'href="/teams/{ours.id}/proposals/{proposal.id}"' in html
    assert f'href="/teams/{ours.id}/meetings/{item.meeting_id}/minutes#item-{item.id}"' in html
    assert ours.name in text(response)


def test_reindex_all_rebuilds_the_index_from_the_records(teams, make_minutes) -> None:
    ours, _theirs, lead, member, _stranger = teams
    make_minutes(ours, "Case review", "Polygraph results shared.")
    consensus.create_proposal(lead.user, ours.id, title="Curfew", text="Weekly checks.")
    db.session.execute(sa.delete(SearchEntry))
    db.session.commit()
    assert services.search_my_teams(member.user, "polygraph").results == []

    assert services.reindex_all() == 2

    assert len(services.search_my_teams(member.user, "polygraph").results) == 1
    assert len(services.search_my_teams(member.user, "curfew").results) == 1


def test_notes_saved_by_the_meetings_service_are_found(teams, make_minutes) -> None:
    """The notes save is a compare-and-set UPDATE statement, not a flush: still indexed."""
    from teamwork.meetings.minutes.services import save_item_notes

    ours, _theirs, lead, member, _stranger = teams
    item = make_minutes(ours, "Case review", "First draft.")

    save_item_notes(lead.user, ours.id, item.meeting_id, item.id, "Curfew violation reported.", 0)

    assert services.search_team(member.user, ours.id, "draft").results == []
    assert len(services.search_team(member.user, ours.id, "curfew").results) == 1


def test_bulk_statements_keep_the_index_in_step(teams, make_minutes) -> None:
    ours, _theirs, _lead, member, _stranger = teams
    item = make_minutes(ours, "Case review", "Polygraph results shared.")
    other = make_minutes(ours, "Housing", "Polygraph scheduled.")

    db.session.execute(
        sa.update(AgendaItem).where(AgendaItem.id == item.id).values(notes="Curfew kept.")
    )
    db.session.execute(sa.delete(AgendaItem).where(AgendaItem.id == other.id))
    db.session.commit()

    assert services.search_team(member.user, ours.id, "polygraph").results == []
    assert len(services.search_team(member.user, ours.id, "curfew").results) == 1
    assert_full_text_index_matches_entries()


def test_votes_do_not_rewrite_the_index(teams) -> None:
    ours, _theirs, lead, member, _stranger = teams
    proposal = consensus.create_proposal(lead.user, ours.id, title="Curfew", text="Weekly.")
    indexed_at = db.session.scalar(sa.select(SearchEntry.indexed_at))

    round_ = consensus.open_round(lead.user, proposal.id)
    voting.cast_vote(member.user, round_.id, choice="up", reason="", request_id="r")

    assert db.session.scalar(sa.select(SearchEntry.indexed_at)) == indexed_at


def test_searching_needs_a_sign_in(client) -> None:
    response = client.get("/search?q=polygraph")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- Comments -------------------------------------------------------------------------------


def test_a_comment_is_found_and_links_to_itself_on_its_subject_page(
    teams, make_minutes, signed_in
) -> None:
    from teamwork.discussion import services as discussion
    from teamwork.workplans import services as workplans

    ours, theirs, lead, member, stranger = teams
    proposal = consensus.create_proposal(lead.user, ours.id, title="Curfew checks", text="T")
    item = make_minutes(ours, "Housing", "")
    activity = workplans.create_activity(
        lead.user, ours.id, title="Draft the protocol", owner_id=member.id
    )
    on_proposal = discussion.post_comment(
        member.user, "proposal", proposal.id, body="A _sober_ plan"
    )
    on_item = discussion.post_comment(member.user, "agenda_item", item.id, body="A sober landlord")
    on_activity = discussion.post_comment(lead.user, "activity", activity.id, body="Sober living")
    theirs_proposal = consensus.create_proposal(stranger.user, theirs.id, title="X", text="T")
    discussion.post_comment(stranger.user, "proposal", theirs_proposal.id, body="Sober elsewhere")

    found = services.search_team(member.user, ours.id, "sober")
    assert {(r.kind, r.object_id) for r in found.results} == {
        (SearchKind.COMMENT, on_proposal.id),
        (SearchKind.COMMENT, on_item.id),
        (SearchKind.COMMENT, on_activity.id),
    }
    assert "Curfew checks — comment" in titles(found)
    assert "Monthly meeting — Housing — comment" in titles(found)
    assert len(services.search_my_teams(member.user, "sober").results) == 3
    html = page(signed_in(member.user).get("/search?q=sober"))
    team = f"/teams/{ours.id}"
    assert f'href="{team}/proposals/{proposal.id}#comment-{on_proposal.id}"' in html
    assert f'href="{team}/meetings/{item.meeting_id}#comment-{on_item.id}"' in html
    assert f'href="{team}/workplan/activities/{activity.id}#comment-{on_activity.id}"' in html
    assert "Sober elsewhere" not in html


def test_hidden_and_deleted_comments_are_not_found(teams) -> None:
    from teamwork.discussion import services as discussion

    ours, _theirs, lead, member, _stranger = teams
    proposal = consensus.create_proposal(lead.user, ours.id, title="Curfew checks", text="T")
    kept = discussion.post_comment(member.user, "proposal", proposal.id, body="Polygraph first")
    gone = discussion.post_comment(member.user, "proposal", proposal.id, body="Polygraph later")
    discussion.edit_comment(member.user, kept.id, body="Polygraph weekly")
    discussion.delete_comment(member.user, gone.id)
    discussion.hide_comment(lead.user, kept.id, reason="Names a client")
    assert services.search_team(lead.user, ours.id, "polygraph").results == []

    discussion.unhide_comment(lead.user, kept.id)
    found = services.search_team(member.user, ours.id, "polygraph")
    assert [r.object_id for r in found.results] == [kept.id]
    assert services.search_team(member.user, ours.id, "first").results == []  # the old wording
    consensus.amend_proposal(lead.user, proposal.id, title="Curfew visits", text="T")
    assert titles(services.search_team(member.user, ours.id, "weekly")) == [
        "Curfew visits — comment"
    ]
    assert_full_text_index_matches_entries()
