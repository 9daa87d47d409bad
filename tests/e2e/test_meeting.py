"""A whole meeting in real browsers, run from the live meeting screen by a moderator who
follows only what the screens say: the recorder keeps the attendance, the notes and an action
item; members on phones raise hands and vote in place on a decision item (a block, an
amendment, consensus in round 2); every item is settled as the meeting moves on; and the
minutes, the decision log and the action item's owner show the result. Every count on every
screen is asserted to agree.

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
from tests.e2e.test_live_consensus import DOWN, NAMES, UP, team_path

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


def expect_count(screens: list[Screen], text: str) -> None:
    """The round's count, the same on every live screen."""
    for screen in screens:
        expect(screen.page.locator("#mt-vp-count")).to_contain_text(text)


def expect_round(screens: list[Screen], text: str) -> None:
    for screen in screens:
        expect(screen.page.locator("#mt-vp-status")).to_have_text(text)


def vote_in_place(page: Page, choice: str, reason: str | None = None) -> None:
    """Vote in the live meeting screen's vote panel; a thumbs down first asks for the reason."""
    panel = page.locator("#mt-vote")
    panel.get_by_role("button", name=choice).click()
    if reason is not None:
        send = panel.get_by_role("button", name="Send my thumbs down")
        expect(send).to_be_visible()
        panel.get_by_label("Your reason").fill(reason)
        send.click()
    expect(panel.locator("#mt-vp-mine")).to_contain_text("Recorded: your")


def set_attendance(page: Page, name: str, status: str) -> None:
    select = page.get_by_label(f"Attendance of {name}")
    select.select_option(status)
    expect(page.get_by_label(f"Attendance of {name}")).to_have_value(status)


def test_a_meeting_run_from_the_live_screen_settles_every_item_and_records_the_decision(
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

    # A member raises a hand; the moderator calls on them; their screen shows they have the
    # floor (not only their screen reader), until someone else is called.
    members[0].page.get_by_role("button", name="Raise my hand").click()
    expect(moderator.page.locator("#mt-queue")).to_contain_text(NAMES[MEMBERS[0]])
    moderator.page.locator("#mt-queue").get_by_role("button").first.click()
    expect(members[1].page.locator("#mt-called")).to_contain_text(NAMES[MEMBERS[0]])
    expect(members[0].page.locator("#mt-banners")).to_contain_text("You have the floor")
    expect(members[1].page.locator("#mt-banners")).not_to_contain_text("You have the floor")
    screenshot(members[0].page, "live-meeting-phone-you-have-the-floor")

    # The recorder's notes reach every screen live.
    notes = "Probation reports **two new** supervision officers."
    recorder.page.get_by_label("Notes").fill(notes)
    expect(recorder.page.locator("#mt-save-status")).to_contain_text("Saved")
    expect(members[2].page.locator("#mt-notes-view strong")).to_have_text("two new")

    # Moving on settles the item: the first is dealt with, the second carried forward; every
    # agenda shows it at once.
    moderator.page.get_by_role("button", name="Dealt with — next item").click()
    expect_current(everyone, re.compile(r"^2\. "))
    moderator.page.get_by_role("button", name="Carry forward — next item").click()
    expect_current(everyone, DECISION_ITEM)
    for screen in everyone:
        agenda = screen.page.locator("#mt-agenda > li")
        expect(agenda.nth(0)).to_contain_text("Dealt with")
        expect(agenda.nth(1)).to_contain_text("Carried forward")

    # A decision item whose proposal is undecided would come back next time by default.
    expect(moderator.page.locator("#mt-next-note")).to_contain_text("carried forward")
    # The vote panel is on every live screen; the old link to the voting screen still works.
    for screen in everyone:
        expect(screen.page.locator("#mt-vote")).to_be_visible()
    proposal = (
        members[0].page.get_by_role("link", name="Vote on this proposal").get_attribute("href")
    )
    assert proposal and re.fullmatch(rf"{team}/proposals/\d+", proposal), proposal

    # Round 1, opened and run from the live screen. One member blocks, with a reason; the
    # moderator enters the raised hand of the recorder (as for someone without a device).
    open_round = moderator.page.get_by_role("button", name="Open round 1")
    expect(open_round).not_to_have_attribute("aria-disabled", "true")  # connected to the vote
    open_round.click()
    expect_round(everyone, "Round 1 — open")
    for member in members:
        expect(member.page.locator("#mt-banners")).to_contain_text("Round 1 is open on this item")
    screenshot(members[0].page, "live-meeting-phone-round-open")
    reason = "The minutes leave out that the police liaison changes in January."
    vote_in_place(members[0].page, UP)
    vote_in_place(members[1].page, DOWN, reason)
    vote_in_place(members[2].page, UP)
    expect_count(everyone, "3 of 5 have voted")
    waiting = moderator.page.locator("#mt-vp-waiting > li")
    expect(waiting).to_have_count(2)  # the moderator and the recorder: the absent are not listed
    hand = waiting.filter(has_text=NAMES[RECORDER])
    hand.get_by_role("button", name=f"Up for {NAMES[RECORDER]}").click()
    expect(hand).to_have_count(0)
    expect_count(everyone, "4 of 5 have voted")
    expect(recorder.page.locator("#mt-vp-mine")).to_contain_text("Thumbs up")
    screenshot(members[0].page, "live-meeting-phone-after-voting")
    screenshot(moderator.page, "live-meeting-desktop-moderator-round")
    moderator.page.get_by_role("button", name="Close round").click()
    expect_round(everyone, "Round 1 — closed: No consensus")
    for screen in everyone:
        expect(screen.page.locator("#mt-vp-concerns")).to_contain_text(reason)
        expect(screen.page.locator("#mt-banners")).to_contain_text("No consensus")
        expect(screen.page.locator("#mt-vp-count")).to_have_text("4 of 5 have voted")

    # The moderator amends the text in the console (a new tab: the meeting stays on screen);
    # every phone shows the new version.
    with moderator.context.expect_page() as opened:
        moderator.page.get_by_role("link", name=re.compile("^Moderator console")).click()
    console = opened.value
    console.get_by_role("button", name="Amend the text").click()
    text_box = console.get_by_role("textbox", name="Proposal")
    amended = text_box.input_value() + "\n\nCorrection: the police liaison changes in January."
    text_box.fill(amended)
    console.get_by_label("What changed and why").fill("Adds the liaison change.")
    console.get_by_role("checkbox", name=re.compile(re.escape(reason))).check()
    console.get_by_role("button", name="Save the amended text").click()
    expect(console).to_have_url(re.compile(rf"{proposal}/console$"))
    console.close()
    for screen in everyone:
        expect(screen.page.locator("#mt-vp-version")).to_have_text("(text version 2)")

    # Round 2: everyone who attends agrees, the moderator too, each on their own screen. The
    # console (a tab of the moderator's) and the room display watch the same round.
    moderator.page.get_by_role("button", name="Open round 2").click()
    expect_round(everyone, "Round 2 — open")
    console = moderator.context.new_page()
    console.goto(f"{proposal}/console")
    room = screens.open(MEMBERS[0], path=f"{live.removesuffix('/live')}/room")
    expect(room.page.locator(LIVE)).to_have_attribute("data-state", "live")
    for screen in [moderator, recorder, members[0]]:
        vote_in_place(screen.page, UP)
    expect_count(everyone, "3 of 5 have voted")

    # The lead walks in mid-round: the recorder marks them present, and every count and list
    # on every screen takes them in at once; marked absent again, they drop out again.
    lead = NAMES["lead@example.org"]
    counts = [console.locator("#cs-progress-text"), room.page.locator("#mt-progress-text")]
    waiting_lists = [console.locator("#cs-not-voted"), room.page.locator("#mt-not-voted")]
    for present, count in ((True, "3 of 6 have voted"), (False, "3 of 5 have voted")):
        set_attendance(recorder.page, lead, "present" if present else "absent")
        expect_count(everyone, count)
        for shown in counts:
            expect(shown).to_contain_text(count)
        for waiting_list in waiting_lists:
            names = [NAMES[MEMBERS[1]], NAMES[MEMBERS[2]], *([lead] if present else [])]
            expect(waiting_list.locator(":scope > li")).to_have_count(len(names))
            for name in names:
                expect(waiting_list).to_contain_text(name)
    console.close()
    room.context.close()

    for screen in members[1:]:
        vote_in_place(screen.page, UP)
    expect_count(everyone, "5 of 5 have voted")
    moderator.page.get_by_role("button", name="Close round").click()
    expect_round(everyone, "Round 2 — closed: Consensus reached")
    for screen in everyone:
        expect(screen.page.locator("#mt-banners")).to_contain_text("Consensus reached")
        entries = screen.page.locator("#mt-entries")
        expect(entries).to_contain_text("Round 1")
        expect(entries).to_contain_text("Round 2")
        expect(entries).to_contain_text("Decision recorded")
    # Decided: moving on now marks the item dealt with by default.
    expect(moderator.page.locator("#mt-next-note")).to_contain_text("dealt with")
    screenshot(members[0].page, "live-meeting-phone-consensus")
    moderator.page.set_viewport_size({"width": 1920, "height": 1080})
    screenshot(moderator.page, "live-meeting-projector-moderator-consensus")
    moderator.page.set_viewport_size({"width": 1280, "height": 800})

    # The recorder gives an action item to a member present.
    action = "Circulate the corrected minutes to the partner agencies"
    recorder.page.get_by_label("What is to be done").fill(action)
    owner = recorder.page.get_by_label("Who will do it")
    owner.select_option(owner.locator("option", has_text=NAMES[MEMBERS[0]]).get_attribute("value"))
    recorder.page.get_by_role("button", name="Add the action item").click()
    for screen in everyone:
        expect(screen.page.locator("#mt-actions")).to_contain_text(action)
    screenshot(recorder.page, "live-meeting-desktop-recorder-minutes")

    # A phone loses its connection while the moderator moves on, and resyncs when it is back.
    dropped = members[2]
    dropped.context.set_offline(True)
    expect(dropped.page.locator(LIVE)).not_to_have_attribute("data-state", "live")
    moderator.page.get_by_role("button", name="Dealt with — next item").click()
    expect_current([moderator, recorder], re.compile(r"^4\. "))
    expect_current([dropped], DECISION_ITEM)  # it cannot know yet
    dropped.context.set_offline(False)
    expect_meeting_live(dropped)
    expect_current([dropped], re.compile(r"^4\. "))

    # The last item: the same pair of buttons ends the meeting.
    moderator.page.once("dialog", lambda dialog: dialog.accept())
    moderator.page.get_by_role("button", name="Dealt with — end the meeting").click()
    expect_current(everyone, "The meeting has ended")

    # The minutes: what became of each item, both rounds and the decision, the action item.
    members[0].page.goto(f"{live.removesuffix('/live')}/minutes")
    record = members[0].page.locator("main")
    items = record.locator("article.minutes-item")
    expect(items).to_have_count(4)
    for index, status in enumerate(["Dealt with", "Carried forward", "Dealt with", "Dealt with"]):
        expect(items.nth(index).locator(".state").first).to_contain_text(status)
    expect(items.nth(2)).to_contain_text("Round 1")
    expect(items.nth(2)).to_contain_text("(of 5 eligible) — consensus")
    expect(items.nth(2)).to_contain_text(action)

    # The decision log lists the decision (decided in round 2); the whole decision, a click
    # away, has the amended minutes: they are the approved record.
    members[0].page.goto(f"{team}/decisions")
    entry = members[0].page.locator("article", has_text="Approve the minutes of").first
    expect(entry).to_contain_text("in round 2")
    entry.get_by_role("link", name=re.compile("^Read the whole decision")).click()
    expect(members[0].page.locator("main")).to_contain_text(
        "Correction: the police liaison changes in January."
    )
    screens.assert_no_browser_errors(ignore=_offline_noise)

    # The action item waits in its owner's deliverables (issue 16, item 3).
    members[0].page.goto("/my/deliverables")
    expect(members[0].page.locator("main")).to_contain_text(action)


def _offline_noise(screen: Screen, problem: str) -> bool:
    """The failed connections Chromium logs while a context is offline."""
    return screen.who == MEMBERS[2] and (
        "ERR_INTERNET_DISCONNECTED" in problem or "WebSocket connection to" in problem
    )
