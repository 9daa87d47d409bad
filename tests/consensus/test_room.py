"""The room display: a read-only projector view of one proposal, rendered from the live state
before any script runs, for any member of the team; no controls."""

from __future__ import annotations

import re

from teamwork.consensus import services, voting


def room_url(m) -> str:
    return f"/teams/{m.team.id}/proposals/{m.proposal.id}/room"


def vote(m, membership, choice: str = "up") -> None:
    round_ = services.latest_round(m.proposal.id)
    voting.cast_vote(
        membership.user,
        round_.id,
        choice=choice,
        reason="" if choice == "up" else "Needs a rural exception",
        request_id=f"room-{membership.id}",
    )


def no_controls(html: str) -> None:
    assert "<button" not in html.split('id="cs-root"', 1)[1].split("</main>", 1)[0]
    assert "<form" not in html.split('id="cs-root"', 1)[1].split("</main>", 1)[0]
    assert "data-choice" not in html and "cs-choice" not in html
    assert 'id="cs-you"' not in html  # no per-user data on the room screen


def test_room_display_renders_the_live_state_before_any_script_runs(meeting, signed_in) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    vote(m, m.members[0])
    vote(m, m.members[1], "sideways")
    page = signed_in(m.members[2].user).get(room_url(m))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-mode="room"' in html
    assert m.team.name in html
    assert '<h1 id="cs-title" class="cs-title">Share polygraph results</h1>' in html
    assert "Round 1 — open" in html
    assert "Within five days." in html
    assert f"2 of {len(m.voters)} have voted" in html
    # Live reveal (the default): the tally is shown in words, not only numbers.
    tally = re.search(r'<ul id="cs-tally"[^>]*>(.*?)</ul>', html, re.S)
    assert tally and "hidden" not in tally.group(0).split(">", 1)[0]
    words = re.sub(r"<[^>]+>", " ", tally.group(1))
    assert re.search(r"1\s+Thumbs up", words) and re.search(r"1\s+Sideways", words)
    assert re.search(r"0\s+Thumbs down", words)
    # Who has voted, by name.
    voters = re.search(r'<ul id="cs-voters"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert m.members[0].user.name in voters and m.members[1].user.name in voters
    assert m.members[2].user.name not in voters
    assert 'role="status" aria-live="polite"' in html
    no_controls(html)


def test_hidden_tally_and_anonymous_voters(meeting, signed_in) -> None:
    m = meeting({"reveal_mode": "simultaneous", "anonymous": True})
    services.open_round(m.moderator.user, m.proposal.id)
    vote(m, m.members[0])
    html = signed_in(m.observer.user).get(room_url(m)).get_data(as_text=True)
    assert "Votes are hidden until everyone has voted or the moderator reveals them" in html
    assert re.search(r'<ul id="cs-tally"[^>]*hidden', html)
    assert "Thumbs up</span>" not in html
    assert "Voting is anonymous: names are not shown." in html
    assert m.members[0].user.name not in html.split('id="cs-voters-section"', 1)[1]


def test_closed_round_shows_its_outcome(meeting, signed_in) -> None:
    m = meeting()
    round_ = services.open_round(m.moderator.user, m.proposal.id)
    for voter in m.voters:
        vote(m, voter)
    services.close_round(m.moderator.user, round_.id)
    html = signed_in(m.lead.user).get(room_url(m)).get_data(as_text=True)
    assert "Round 1 — closed: Consensus reached" in html
    assert "Round 1 result: Consensus reached" in html
    no_controls(html)


def test_before_any_round(meeting, signed_in) -> None:
    m = meeting()
    html = signed_in(m.members[0].user).get(room_url(m)).get_data(as_text=True)
    assert "No round open yet" in html and "Within five days." in html
    no_controls(html)


def test_observers_and_members_may_open_it_outsiders_get_404(
    meeting, make_team, make_member, signed_in
) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    for who in (m.observer, m.members[0], m.moderator, m.lead):
        assert signed_in(who.user).get(room_url(m)).status_code == 200
    outsider = make_member(make_team("Harbor County"))
    assert signed_in(outsider.user).get(room_url(m)).status_code == 404
    # A proposal id under another team's URL is not found either.
    other = f"/teams/{outsider.team_id}/proposals/{m.proposal.id}/room"
    assert signed_in(outsider.user).get(other).status_code == 404


def test_voting_screen_and_console_link_to_the_room_display(meeting, signed_in) -> None:
    m = meeting()
    base = f"/teams/{m.team.id}/proposals/{m.proposal.id}"
    browser = signed_in(m.moderator.user)
    for path in (base, f"{base}/console"):
        html = browser.get(path).get_data(as_text=True)
        assert f'<a href="{room_url(m)}">Open room display</a>' in html
