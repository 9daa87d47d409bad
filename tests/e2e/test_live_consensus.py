"""The live consensus screens in real browsers: phones voting, the moderator's console, the
recorder's screen, all on one real server (gevent, Socket.IO over WebSocket).

Each test works on a proposal of its own, so the tests stay independent on the shared server.
Nothing is ever reloaded once a live screen is open: every change must arrive over the socket.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE, REPO, TEAM, Screen, Screens, chromium_missing_reason

pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python")
from playwright.sync_api import Page, expect  # noqa: E402

NO_CHROMIUM = chromium_missing_reason()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or "")]

FIRST_DEMO_PROPOSAL = "Share polygraph results with the core team within five business days"
SECOND_DEMO_PROPOSAL = "Notify the victim advocate before any change to a supervision plan"

NAMES = {
    "lead@example.org": "Dana Whitfield",
    "moderator@example.org": "Marcus Oyelaran",
    "recorder@example.org": "Priya Raman",
    "member1@example.org": "Jordan Ellis",
    "member2@example.org": "Sam Okafor",
    "member3@example.org": "Alex Moreno",
    "member4@example.org": "Casey Lindqvist",
    "member5@example.org": "Robin Achebe",
    "member6@example.org": "Taylor Nguyen",
    "member7@example.org": "Morgan Kowalski",
}
VOTING_MEMBERS = 11  # lead, moderator, recorder and member1..8 of the county team

UP = "Thumbs up — in favour"
SIDEWAYS = "Sideways — no strong feeling"
DOWN = "Thumbs down — opposed"


# ---- Helpers -----------------------------------------------------------------------------------


def team_path(page: Page) -> str:
    """From the dashboard, the county team's path (/teams/<id>)."""
    page.goto("/")
    href = page.get_by_role("link", name=TEAM, exact=True).get_attribute("href")
    assert href and re.fullmatch(r"/teams/\d+", href), href
    return href


def proposal_path(page: Page, team: str, title: str) -> str:
    """From the team's proposals page, the voting screen's path of the proposal titled so."""
    page.goto(f"{team}/proposals")
    href = page.get_by_role("link", name=title, exact=True).get_attribute("href")
    assert href and re.fullmatch(rf"{team}/proposals/\d+", href), href
    return href


def expect_live(*screens: Screen) -> None:
    for screen in screens:
        badge = screen.page.locator("#cs-connection")
        expect(badge).to_have_attribute("data-state", "live")
        # It says the screen is connected, not that a meeting or a round is "live".
        expect(badge).to_contain_text("Connected")


def expect_round_line(screens: list[Screen], text: str) -> None:
    for screen in screens:
        expect(screen.page.locator("#cs-round-line")).to_have_text(text)


def expect_votes(
    screens: list[Screen], *, voted: int, up: int, sideways: int, down: int, voters: list[str]
) -> None:
    """The count, the tally and the names of those who voted, as every screen must show them."""
    for screen in screens:
        page = screen.page
        expect(page.locator("#cs-progress-text")).to_have_text(
            f"{voted} of {VOTING_MEMBERS} have voted"
        )
        tally = page.locator("#cs-tally")
        expect(tally.locator(".cs-tally-up .cs-tally-count")).to_have_text(str(up))
        expect(tally.locator(".cs-tally-sideways .cs-tally-count")).to_have_text(str(sideways))
        expect(tally.locator(".cs-tally-down .cs-tally-count")).to_have_text(str(down))
        names = page.locator("#cs-voters li")
        expect(names).to_have_count(len(voters))
        for name in voters:
            # The screen of the voter says "(you)" after the name.
            expect(
                names.filter(has_text=re.compile(rf"^✔ {re.escape(name)}( \(you\))?$"))
            ).to_have_count(1)


def vote(page: Page, choice: str, reason: str | None = None) -> None:
    """Press a vote button; a thumbs down first asks for the reason, then sends it."""
    page.get_by_role("button", name=choice).click()
    if reason is not None:
        send = page.get_by_role("button", name="Send my thumbs down")
        expect(send).to_be_visible()
        expect(page.locator("#cs-send-status")).to_be_hidden()  # nothing sent yet
        page.get_by_label("Your reason").fill(reason)
        send.click()
    expect(page.locator("#cs-send-status")).to_contain_text("Recorded: your")


def enter_raised_hand(console: Page, name: str) -> None:
    """On the console, enter a thumbs up for someone in the room without a device."""
    row = console.locator("#cs-not-voted .cs-hand", has_text=name)
    row.get_by_role("button", name=f"Up for {name}").click()
    expect(row).to_have_count(0)  # they leave the "Not voted yet" list


# ---- Tests -------------------------------------------------------------------------------------


def test_votes_appear_live_on_every_screen_and_consensus_reaches_the_decision_log(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    moderator = screens.open("moderator@example.org")
    team = team_path(moderator.page)
    proposal = proposal_path(moderator.page, team, FIRST_DEMO_PROPOSAL)
    moderator.page.goto(f"{proposal}/console")
    recorder = screens.open("recorder@example.org", path=proposal)
    a, b, c = (
        screens.open(email, device=PHONE, path=proposal)
        for email in ("member1@example.org", "member2@example.org", "member3@example.org")
    )
    members = [a, b, c]
    everyone = [moderator, recorder, *members]
    expect_live(*everyone)
    expect_round_line(members, "No round open yet — waiting for the moderator")
    for member in members:
        expect(member.page.get_by_role("button", name=UP)).to_be_disabled()

    # Round 1: two in favour, one blocks with a reason.
    moderator.page.get_by_role("button", name="Open round 1").click()
    expect_round_line(everyone, "Round 1 — open")
    for member in members:
        expect(member.page.get_by_role("button", name=UP)).to_be_enabled()

    vote(a.page, UP)
    expect_votes(everyone, voted=1, up=1, sideways=0, down=0, voters=[NAMES[a.who]])
    reason = "Five days is too short for the polygraph examiners' current caseload."
    vote(b.page, DOWN, reason)
    vote(c.page, UP)
    voters = [NAMES[a.who], NAMES[b.who], NAMES[c.who]]
    expect_votes(everyone, voted=3, up=2, sideways=0, down=1, voters=voters)
    for screen in everyone:
        expect(screen.page.locator("#cs-concerns")).to_contain_text(reason)
        expect(screen.page.locator("#cs-concerns")).to_contain_text(NAMES[b.who])
    for name in voters:  # no longer waiting on the console
        expect(moderator.page.locator("#cs-not-voted .cs-hand", has_text=name)).to_have_count(0)

    moderator.page.get_by_role("button", name="Close round").click()
    expect_round_line(everyone, "Round 1 — closed: No consensus")
    for screen in everyone:
        page = screen.page
        expect(page.locator("#cs-outcome-heading")).to_contain_text("No consensus")
        expect(page.locator("#cs-outcome-reasons")).to_contain_text("Blocked: 1 thumbs down.")
        expect(page.locator("#cs-concerns")).to_contain_text(reason)
    for member in members:
        expect(member.page.get_by_role("button", name=UP)).to_be_disabled()

    # The moderator amends the text; the members' screens show it without a reload.
    # An <a role="button">: a link styled and announced as a button.
    moderator.page.get_by_role("button", name="Amend the text").click()
    amended = (
        "Polygraph examiners send the results of every maintenance and sexual history "
        "examination to the supervising officer and the treatment provider within ten "
        "business days, using the team's shared report form."
    )
    moderator.page.get_by_role("textbox", name="Proposal").fill(amended)
    moderator.page.get_by_label("What changed and why").fill("Ten days, for the examiners.")
    moderator.page.get_by_role("checkbox", name=re.compile(re.escape(reason))).check()
    moderator.page.get_by_role("button", name="Save the amended text").click()
    expect(moderator.page).to_have_url(re.compile(rf"{proposal}/console$"))
    for screen in [recorder, *members]:
        page = screen.page
        expect(page.locator("#cs-text")).to_have_text(amended)
        expect(page.locator("#cs-version")).to_have_text("(text version 2)")
        expect(page.locator("#cs-changes")).to_be_visible()
        expect(page.locator("#cs-diff .cs-diff-word", has_text="ten")).to_have_count(1)

    # Round 2: everyone in the room agrees; three hands are entered on the console.
    expect_live(moderator)
    moderator.page.get_by_role("button", name="Open round 2").click()
    expect_round_line(everyone, "Round 2 — open")
    for screen in [a, b, c, recorder]:
        vote(screen.page, UP)
    for email in ("lead@example.org", "member4@example.org", "member5@example.org"):
        enter_raised_hand(moderator.page, NAMES[email])
    voters = [
        NAMES[email]
        for email in (
            "member1@example.org",
            "member2@example.org",
            "member3@example.org",
            "recorder@example.org",
            "lead@example.org",
            "member4@example.org",
            "member5@example.org",
        )
    ]
    expect_votes(everyone, voted=7, up=7, sideways=0, down=0, voters=voters)
    screenshot(a.page, "voting-screen-phone-round-open")

    moderator.page.get_by_role("button", name="Close round").click()
    expect_round_line(everyone, "Round 2 — closed: Consensus reached")
    for screen in everyone:
        expect(screen.page.locator("#cs-outcome-heading")).to_contain_text("Consensus reached")
        expect(screen.page.locator("#cs-round-detail")).to_have_text(
            "The team reached consensus. The decision is recorded in the team's decision log."
        )
    for member in members:
        expect(member.page.locator("#cs-vote-note")).to_have_text(
            "Voting has ended on this proposal."
        )
    screenshot(moderator.page, "console-desktop-consensus")
    screenshot(a.page, "voting-screen-phone-consensus")

    # The decision log has the amended text (seen from a phone, too).
    screens.assert_no_browser_errors()
    for screen in (moderator, a):
        screen.page.goto(f"{team}/decisions")
        entry = screen.page.locator("article", has_text=FIRST_DEMO_PROPOSAL)
        expect(entry).to_have_count(1)
        expect(entry.locator(".proposal-text")).to_have_text(amended)
        expect(entry).to_contain_text("in round 2")
    screens.assert_no_browser_errors()


def _offline_noise(screen: Screen, problem: str) -> bool:
    """The failed connections Chromium logs while a context is offline."""
    return screen.who == "member4@example.org" and (
        "ERR_INTERNET_DISCONNECTED" in problem or "WebSocket connection to" in problem
    )


def test_a_member_whose_connection_drops_mid_round_resyncs(screens: Screens) -> None:
    moderator = screens.open("moderator@example.org")
    team = team_path(moderator.page)
    proposal = proposal_path(moderator.page, team, SECOND_DEMO_PROPOSAL)
    moderator.page.goto(f"{proposal}/console")
    dropped, d, e = (
        screens.open(email, device=PHONE, path=proposal)
        for email in ("member4@example.org", "member5@example.org", "member6@example.org")
    )
    expect_live(moderator, dropped, d, e)
    moderator.page.get_by_role("button", name="Open round 1").click()
    expect_round_line([dropped, d, e], "Round 1 — open")
    expect_votes([dropped], voted=0, up=0, sideways=0, down=0, voters=[])

    # Chromium's offline emulation leaves open WebSockets alone (microsoft/playwright#4910),
    # but the page sees the `offline` event, on which the Socket.IO client drops its transport
    # (for any host but "localhost": the server is on 127.0.0.1) and cannot reconnect.
    dropped.context.set_offline(True)
    expect(dropped.page.locator("#cs-connection")).to_have_attribute("data-state", "reconnecting")
    vote(d.page, UP)
    e.page.get_by_role("button", name=SIDEWAYS).click()
    expect(e.page.locator("#cs-send-status")).to_contain_text("Recorded: your sideways vote.")
    both = [NAMES[d.who], NAMES[e.who]]
    expect_votes([moderator, d, e], voted=2, up=1, sideways=1, down=0, voters=both)
    # The dropped phone cannot know yet, and a vote pressed now waits for the connection.
    expect(dropped.page.locator("#cs-progress-text")).to_have_text("0 of 11 have voted")
    dropped.page.get_by_role("button", name=UP).click()
    expect(dropped.page.locator("#cs-send-status")).to_contain_text("Waiting for the connection")

    dropped.context.set_offline(False)
    expect_live(dropped)
    everyone = [moderator, dropped, d, e]
    expect_votes(everyone, voted=3, up=2, sideways=1, down=0, voters=[NAMES[dropped.who], *both])
    expect(dropped.page.locator("#cs-send-status")).to_contain_text("Recorded: your thumbs up.")
    expect(dropped.page.get_by_role("button", name=UP)).to_have_attribute("aria-pressed", "true")
    screens.assert_no_browser_errors(ignore=_offline_noise)


def test_keyboard_only_voting_works(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    member = screens.open("member7@example.org", device=PHONE)
    team = team_path(member.page)
    member.page.goto(f"{team}/proposals")
    title = "Keep treatment notes out of the shared case file"
    member.page.get_by_role("textbox", name="Title").fill(title)
    member.page.get_by_role("textbox", name="Proposal").fill(
        "Treatment providers share progress summaries, not session notes, with the team."
    )
    member.page.get_by_role("button", name="Create proposal").click()
    expect(member.page).to_have_url(re.compile(rf"{team}/proposals/\d+$"))
    proposal = member.page.url.removeprefix(screens.base_url)
    moderator = screens.open("moderator@example.org", path=f"{proposal}/console")
    expect_live(moderator, member)
    moderator.page.get_by_role("button", name="Open round 1").click()
    page = member.page
    expect(page.get_by_role("button", name=UP)).to_be_enabled()

    def tab_to(name: str) -> None:
        target = page.get_by_role("button", name=name)
        for _ in range(60):
            page.keyboard.press("Tab")
            if target.evaluate("button => button === document.activeElement"):
                return
        pytest.fail(f"Tab never reached the {name!r} button")

    tab_to(UP)
    page.keyboard.press("Enter")
    expect(page.locator("#cs-send-status")).to_have_text("✔ Recorded: your thumbs up.")
    expect(page.get_by_role("button", name=UP)).to_have_attribute("aria-pressed", "true")
    expect(moderator.page.locator("#cs-progress-text")).to_have_text("1 of 11 have voted")

    tab_to(SIDEWAYS)
    page.keyboard.press("Space")
    expect(page.locator("#cs-send-status")).to_have_text("✔ Recorded: your sideways vote.")
    expect(page.get_by_role("button", name=SIDEWAYS)).to_have_attribute("aria-pressed", "true")

    # A thumbs down: Enter moves focus to the reason; Ctrl+Enter sends it.
    tab_to(DOWN)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your reason")).to_be_focused()
    page.keyboard.type("Summaries leave out what the polygraph examiner needs.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#cs-send-status")).to_have_text("✔ Recorded: your thumbs down.")
    expect(moderator.page.locator("#cs-tally .cs-tally-down .cs-tally-count")).to_have_text("1")
    expect(moderator.page.locator("#cs-progress-text")).to_have_text("1 of 11 have voted")
    screenshot(page, "voting-screen-phone-keyboard")
    screens.assert_no_browser_errors()


def test_a_member_hears_of_a_round_by_the_bell_and_votes_from_it_before_its_deadline(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    """Between meetings: the moderator opens a round until tomorrow 17:00; a member's bell
    counts it at once, the notification leads to the voting screen, which shows the deadline."""
    moderator = screens.open("moderator@example.org")
    team = team_path(moderator.page)
    moderator.page.goto(f"{team}/proposals")
    title = "Share the supervision calendar with treatment providers"
    moderator.page.get_by_role("textbox", name="Title").fill(title)
    moderator.page.get_by_role("textbox", name="Proposal").fill("Officers share it weekly.")
    moderator.page.get_by_role("button", name="Create proposal").click()
    expect(moderator.page).to_have_url(re.compile(rf"{team}/proposals/\d+$"))
    proposal = moderator.page.url.removeprefix(screens.base_url)

    member = screens.open("member5@example.org", device=PHONE)
    expect(member.page.locator("#bell-count")).to_be_visible()  # the new proposal, at least
    before = int(member.page.locator("#bell").get_attribute("data-unread") or "0")
    moderator.page.goto(f"{proposal}/console")
    expect_live(moderator)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    moderator.page.locator("#cs-closes-date").fill(tomorrow)
    moderator.page.locator("#cs-closes-time").fill("17:00")
    moderator.page.get_by_role("button", name="Open round 1").click()
    expect(moderator.page.locator("#cs-round-line")).to_have_text("Round 1 — open")

    # The bell hears of it without a reload.
    expect(member.page.locator("#bell")).to_have_attribute("data-unread", str(before + 1))
    screenshot(member.page, "dashboard-phone-bell")
    member.page.locator("#bell").click()
    member.page.get_by_role("link", name=re.compile(rf"Your vote: round 1 on “{title}”")).click()
    expect(member.page).to_have_url(re.compile(rf"{re.escape(proposal)}$"))
    expect(member.page.locator("main")).to_contain_text("Open until")
    expect(member.page.locator("main")).to_contain_text("17:00")
    expect_live(member)  # its script has the round (a tap before that does nothing yet)
    vote(member.page, UP)
    screenshot(member.page, "voting-screen-phone-deadline")
    screens.assert_no_browser_errors()


# Closes the proposal's open round in a process of its own, as the services do: committed, and
# no broadcast at all (this process has no socket and no message queue). A lost message.
CLOSE_WITHOUT_BROADCAST = """
import sys
import sqlalchemy as sa
from teamwork import create_app
from teamwork.auth.models import User
from teamwork.consensus import services
from teamwork.consensus.models import Round
from teamwork.extensions import db
app = create_app()
with app.app_context():
    moderator = db.session.scalar(sa.select(User).where(User.email == sys.argv[1]))
    round_id = db.session.scalar(
        sa.select(sa.func.max(Round.id)).where(Round.proposal_id == int(sys.argv[2])))
    services.close_round(moderator, round_id)
"""


def test_a_round_closed_without_a_broadcast_reaches_every_open_screen_by_itself(
    screens: Screens,
) -> None:
    member = screens.open("member8@example.org", device=PHONE)
    team = team_path(member.page)
    member.page.goto(f"{team}/proposals")
    member.page.get_by_role("textbox", name="Title").fill("Share the relapse plan with housing")
    member.page.get_by_role("textbox", name="Proposal").fill(
        "The treatment provider shares the relapse prevention plan with the housing officer."
    )
    member.page.get_by_role("button", name="Create proposal").click()
    expect(member.page).to_have_url(re.compile(rf"{team}/proposals/\d+$"))
    proposal = member.page.url.removeprefix(screens.base_url)
    moderator = screens.open("moderator@example.org", path=f"{proposal}/console")
    expect_live(moderator, member)
    moderator.page.get_by_role("button", name="Open round 1").click()
    expect_round_line([member], "Round 1 — open")

    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CLOSE_WITHOUT_BROADCAST, "moderator@example.org",
         proposal.rsplit("/", 1)[1]],
        cwd=REPO, env=screens.server.env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip

    # No event will come: the version beacon (every 5 s) tells the screens they are behind,
    # and they resync (docs/realtime.md, "Lost messages").
    for screen in (member, moderator):
        expect(screen.page.locator("#cs-round-line")).to_have_text(
            re.compile(r"^Round 1 — closed"), timeout=15_000
        )
    screens.assert_no_browser_errors()
