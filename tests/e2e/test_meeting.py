"""A whole meeting in real browsers: the moderator runs the agenda, the recorder keeps the
attendance and the minutes, members vote on their phones, and consensus on a decision item is
reached in round 2 after an amendment — then recorded in the minutes and the decision log.

One real server (gevent, Socket.IO over WebSocket) with the demo jurisdiction; the demo's
upcoming meeting has a decision item: approving the minutes of the last meeting. Live screens
are never reloaded: every change must arrive over the socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE, Screen, Screens, chromium_missing_reason
from tests.e2e.test_live_consensus import DOWN, NAMES, UP, team_path, vote

pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python")
from playwright.sync_api import Page, expect  # noqa: E402

NO_CHROMIUM = chromium_missing_reason()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or "")]

MODERATOR = "moderator@example.org"
RECORDER = "recorder@example.org"
MEMBERS = ["member1@example.org", "member2@example.org", "member3@example.org"]
# Everyone else on the county team, recorded absent (Jamie Herrera is member8).
ABSENT = [
    NAMES["lead@example.org"],
    NAMES["member4@example.org"],
    NAMES["member5@example.org"],
    NAMES["member6@example.org"],
    NAMES["member7@example.org"],
    "Jamie Herrera",
]
DECISION_ITEM = re.compile(r"^3\. Approve the minutes of ")
LIVE = "#mt-connection"


def upcoming_live_path(page: Page, team: str) -> str:
    """From the team's meetings page: the upcoming meeting, then its live screen."""
    page.goto(f"{team}/meetings")
    page.locator("section[aria-labelledby=upcoming-heading] h3 a").first.click()
    link = page.get_by_role("button", name="Open the live meeting screen")
    href = link.get_attribute("href")
    assert href and re.fullmatch(rf"{team}/meetings/\d+/live", href), href
    return href


def expect_meeting_live(*screens: Screen) -> None:
    for screen in screens:
        expect(screen.page.locator(LIVE)).to_have_attribute("data-state", "live")


def expect_current(screens: list[Screen], title: str | re.Pattern[str]) -> None:
    for screen in screens:
        expect(screen.page.locator("#mt-current-title")).to_have_text(title)


def set_attendance(page: Page, name: str, status: str) -> None:
    select = page.get_by_label(f"Attendance of {name}")
    select.select_option(status)
    expect(page.get_by_label(f"Attendance of {name}")).to_have_value(status)


def test_a_meeting_reaches_consensus_on_a_decision_item_and_records_it(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    moderator = screens.open(MODERATOR)
    team = team_path(moderator.page)
    live = upcoming_live_path(moderator.page, team)
    moderator.page.goto(live)
    recorder = screens.open(RECORDER, path=live)
    members = [screens.open(email, device=PHONE, path=live) for email in MEMBERS]
    everyone = [moderator, recorder, *members]
    expect_meeting_live(*everyone)
    expect_current(everyone, "The meeting has not started")

    # The moderator starts the meeting: every screen follows to the first item.
    moderator.page.get_by_role("button", name="Start the meeting").click()
    expect_current(everyone, "1. Welcome and agency updates")
    for member in members:
        expect(member.page.locator("#mt-timer-line")).to_be_visible()

    # The recorder takes the attendance: five of the eleven voting members are here.
    for email in [MODERATOR, RECORDER, *MEMBERS]:
        set_attendance(recorder.page, NAMES[email], "present")
    for name in ABSENT:
        set_attendance(recorder.page, name, "absent")
    for screen in everyone:
        expect(screen.page.locator("#mt-quorum")).to_contain_text("5 of 11 voting members attend")

    # A member raises a hand; the moderator calls on them.
    hand = members[0].page.get_by_role("button", name="Raise my hand")
    hand.click()
    expect(moderator.page.locator("#mt-queue")).to_contain_text(NAMES[MEMBERS[0]])
    moderator.page.locator("#mt-queue").get_by_role("button").first.click()
    expect(members[1].page.locator("#mt-called")).to_contain_text(NAMES[MEMBERS[0]])

    # The recorder's notes reach every screen live.
    notes = "Probation reports **two new** supervision officers."
    recorder.page.get_by_label("Notes").fill(notes)
    expect(recorder.page.locator("#mt-save-status")).to_contain_text("Saved")
    expect(members[2].page.locator("#mt-notes-view strong")).to_have_text("two new")

    # On to the decision item: everyone's screen follows and offers the vote.
    moderator.page.get_by_role("button", name="Next item").click()
    expect_current(everyone, re.compile(r"^2\. "))
    moderator.page.get_by_role("button", name="Next item").click()
    expect_current(everyone, DECISION_ITEM)
    screenshot(members[0].page, "live-meeting-phone-decision-item")
    screenshot(moderator.page, "live-meeting-desktop-moderator")
    vote_link = members[0].page.get_by_role("button", name="Vote on this proposal")
    proposal = vote_link.get_attribute("href")
    assert proposal and re.fullmatch(rf"{team}/proposals/\d+", proposal), proposal

    # Members follow the link on their phones; the moderator opens the console.
    for member in members:
        member.page.get_by_role("button", name="Vote on this proposal").click()
        expect(member.page).to_have_url(re.compile(rf"{proposal}$"))
    recorder.page.goto(proposal)
    moderator.page.goto(f"{proposal}/console")
    voters = [recorder, *members]
    for screen in [moderator, *voters]:
        expect(screen.page.locator("#cs-connection")).to_have_attribute("data-state", "live")

    # Round 1: one member blocks, with a reason. Quorum counts the five who attend.
    moderator.page.get_by_role("button", name="Open round 1").click()
    for screen in voters:
        expect(screen.page.locator("#cs-round-line")).to_have_text("Round 1 — open")
    reason = "The minutes leave out that the police liaison changes in January."
    vote(members[0].page, UP)
    vote(members[1].page, DOWN, reason)
    vote(members[2].page, UP)
    for screen in [moderator, *members]:
        expect(screen.page.locator("#cs-progress-text")).to_have_text("3 of 5 have voted")
    moderator.page.get_by_role("button", name="Close round").click()
    for screen in voters:
        expect(screen.page.locator("#cs-round-line")).to_have_text("Round 1 — closed: No consensus")
        expect(screen.page.locator("#cs-concerns")).to_contain_text(reason)

    # The moderator amends the text to answer the concern; the phones show the new version.
    moderator.page.get_by_role("button", name="Amend the text").click()
    text_box = moderator.page.get_by_role("textbox", name="Proposal")
    amended = text_box.input_value() + "\n\nCorrection: the police liaison changes in January."
    text_box.fill(amended)
    moderator.page.get_by_label("What changed and why").fill("Adds the liaison change.")
    moderator.page.get_by_role("checkbox", name=re.compile(re.escape(reason))).check()
    moderator.page.get_by_role("button", name="Save the amended text").click()
    expect(moderator.page).to_have_url(re.compile(rf"{proposal}/console$"))
    for screen in voters:
        expect(screen.page.locator("#cs-version")).to_have_text("(text version 2)")

    # Round 2: everyone who attends and votes agrees.
    expect(moderator.page.locator("#cs-connection")).to_have_attribute("data-state", "live")
    moderator.page.get_by_role("button", name="Open round 2").click()
    for screen in voters:
        expect(screen.page.locator("#cs-round-line")).to_have_text("Round 2 — open")
        vote(screen.page, UP)
    for screen in [moderator, *voters]:
        expect(screen.page.locator("#cs-progress-text")).to_have_text("4 of 5 have voted")
    moderator.page.get_by_role("button", name="Close round").click()
    for screen in [moderator, *voters]:
        expect(screen.page.locator("#cs-round-line")).to_have_text(
            "Round 2 — closed: Consensus reached"
        )
    screenshot(members[0].page, "voting-phone-meeting-consensus")

    # Back in the meeting: the minutes of this item carry both rounds and the decision,
    # live on the recorder's screen and the members'.
    recorder.page.goto(live)
    members[2].page.goto(live)
    moderator.page.goto(live)
    expect_meeting_live(recorder, members[2], moderator)
    for screen in (recorder, members[2]):
        entries = screen.page.locator("#mt-entries")
        expect(entries).to_contain_text("Round 1")
        expect(entries).to_contain_text("Round 2")
        expect(entries).to_contain_text("consensus")
        expect(entries).to_contain_text("Decision recorded")
    screenshot(recorder.page, "live-meeting-desktop-recorder-minutes")

    # A phone loses its connection while the moderator moves on, and resyncs when it is back.
    dropped = members[2]
    dropped.context.set_offline(True)
    expect(dropped.page.locator(LIVE)).not_to_have_attribute("data-state", "live")
    moderator.page.get_by_role("button", name="Next item").click()
    expect_current([moderator, recorder], re.compile(r"^4\. "))
    expect_current([dropped], DECISION_ITEM)  # it cannot know yet
    dropped.context.set_offline(False)
    expect_meeting_live(dropped)
    expect_current([dropped], re.compile(r"^4\. "))

    # The decision log lists the decision (its start, decided in round 2); the whole decision,
    # a click away, has the amended minutes: they are the approved record.
    members[0].page.goto(f"{team}/decisions")
    entry = members[0].page.locator("article", has_text="Approve the minutes of").first
    expect(entry).to_contain_text("in round 2")
    entry.get_by_role("link", name=re.compile("^Read the whole decision")).click()
    expect(members[0].page.locator("main")).to_contain_text(
        "Correction: the police liaison changes in January."
    )
    screens.assert_no_browser_errors(ignore=_offline_noise)


def _offline_noise(screen: Screen, problem: str) -> bool:
    """The failed connections Chromium logs while a context is offline."""
    return screen.who == MEMBERS[2] and (
        "ERR_INTERNET_DISCONNECTED" in problem or "WebSocket connection to" in problem
    )
