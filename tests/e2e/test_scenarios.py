"""Whole scenarios in real browsers, end to end on one real server with the demo jurisdiction
(issue #10): an invitation followed to a first sign-in; a charter goal drafted, put to the team
and adopted by consensus; an action item from a meeting's minutes turned into a workplan
activity and carried to done by its owner; a search that finds a decision for its team's
members only; and a comment posted without a reload that appears, with its Reply, on another
member's open page.

The tests share the module's server, so each works on data of its own (a new address, a new
goal, the one action item it turns into an activity, words no other test changes) and none
depends on another having run. Paths are found by following links, never by guessing ids.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    _CSP_LISTENER,
    ACTION_TIMEOUT_MS,
    DESKTOP,
    PHONE,
    TEAM,
    Screen,
    Screens,
    chromium_missing_reason,
)
from tests.e2e.test_live_consensus import (
    NAMES,
    UP,
    enter_raised_hand,
    proposal_path,
    team_path,
    vote,
)

pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python")
from playwright.sync_api import Page, expect  # noqa: E402

NO_CHROMIUM = chromium_missing_reason()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or "")]
# The emailed invitation is read from the server's log, where the background worker writes it.
NEEDS_WORKER = True

LEAD = "lead@example.org"
MODERATOR = "moderator@example.org"
OUTSIDER = "outsider@example.org"  # lead of Harbor County's team, in no Northfield team
# Every county member by name: who owns an activity is read off its page by name.
EMAILS_BY_NAME = {name: email for email, name in NAMES.items()} | {
    "Jamie Herrera": "member8@example.org"
}


# ---- Helpers -----------------------------------------------------------------------------------


def anonymous_screen(screens: Screens, who: str, *, device: dict[str, Any] = DESKTOP) -> Screen:
    """A browser of its own with no one signed in (someone opening a link from an email),
    watched for console errors and CSP violations like the signed-in screens."""
    context = screens.browser.new_context(base_url=screens.base_url, **device)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    problems: list[str] = []
    context.expose_binding(
        "__teamworkCspViolation",
        lambda _source, text: problems.append(f"CSP violation: {text}"),
    )
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    screen = Screen(who=who, context=context, page=page, problems=problems)
    screens.opened.append(screen)  # closed and checked with the others
    page.on("console", lambda message: Screens._console(screen, message))
    page.on("pageerror", lambda error: screen.problems.append(f"uncaught: {error}"))
    return screen


def emailed_link(screens: Screens, to: str, path_pattern: str) -> str:
    """The path of the link in the last email logged for `to` (no SMTP server: the app
    writes each message to its log, which the test reads like an inbox)."""
    pattern = re.compile(rf"https?://[^/\s]+({path_pattern})")
    deadline = time.monotonic() + ACTION_TIMEOUT_MS / 1000
    while True:
        log = screens.server.log_text()
        start = log.rfind(f"To: {to}\n")
        found = pattern.search(log, start) if start >= 0 else None
        if found:
            return found.group(1)
        if time.monotonic() > deadline:
            pytest.fail(f"no email to {to} with a link like {path_pattern} in the log:\n{log}")
        time.sleep(0.1)


def flash(page: Page) -> Any:
    return page.locator("#flash-status")


# ---- Tests -------------------------------------------------------------------------------------


def test_an_invited_person_follows_the_emailed_link_to_a_first_sign_in_and_joins_the_team(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    email, name = "riley.brooks@example.org", "Riley Brooks"
    agency = "Northfield Housing Authority"
    lead = screens.open(LEAD)
    team = team_path(lead.page)
    lead.page.goto(team)
    lead.page.get_by_role("button", name="Manage members").click()
    expect(lead.page).to_have_url(re.compile(rf"{team}/members#invite-heading$"))  # the form

    invite = lead.page.locator("form", has=lead.page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("Email address").fill(email)
    invite.get_by_label("Agency they represent").fill(agency)
    invite.get_by_label("Discipline").select_option(label="Social services")
    invite.get_by_label("Role").select_option("member")
    invite.get_by_role("button", name="Send invitation").click()
    expect(flash(lead.page)).to_contain_text(f"Invitation sent to {email}.")
    pending = lead.page.locator("section[aria-labelledby=pending-heading]")
    expect(pending.get_by_role("row", name=re.compile(re.escape(email)))).to_have_count(1)

    # The invited person opens the emailed link in a browser where no one is signed in.
    link = emailed_link(screens, email, r"/invitations/[A-Za-z0-9_\-]+")
    newcomer = anonymous_screen(screens, email, device=PHONE)
    page = newcomer.page
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join {TEAM}")
    expect(page.locator("main")).to_contain_text(f"Create your account for {email}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill("a long walk along the riverbend")
    page.get_by_label("Repeat the password").fill("a long walk along the riverbend")
    page.get_by_role("button", name="Create account and join").click()

    # Signed in, on the team's page, as a member.
    expect(page).to_have_url(re.compile(rf"{team}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TEAM)
    expect(flash(page)).to_contain_text(f"Welcome to {TEAM}, {name}.")
    expect(page.locator("header.stack .badge-member")).to_have_text("Member")
    screenshot(page, "invitation-first-sign-in")
    # On a phone the person's own links are behind the header's Menu.
    page.get_by_text("Menu", exact=True).click()
    expect(page.get_by_role("navigation", name="Primary")).to_contain_text(name)

    # The link worked once: opened again, it is gone.
    again = screens.browser.new_context(base_url=screens.base_url)
    try:
        assert again.request.get(link).status == 410
    finally:
        again.close()

    # The lead's members page lists the new member, and the invitation is no longer pending.
    lead.page.reload()
    current = lead.page.locator("section[aria-labelledby=current-heading]")
    member = current.locator("details.member-edit summary", has_text=name)
    expect(member).to_have_count(1)
    expect(member).to_contain_text(agency)
    expect(member).to_contain_text("Social services")
    expect(member).to_contain_text("Member")
    expect(lead.page.locator("section[aria-labelledby=pending-heading]")).to_have_count(0)
    screens.assert_no_browser_errors()


def test_a_drafted_charter_goal_is_adopted_by_consensus(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    goal = (
        "Train every new member of the team in the containment approach within three months "
        "of joining."
    )
    lead = screens.open(LEAD)
    team = team_path(lead.page)
    lead.page.goto(team)
    lead.page.get_by_role("navigation", name="Team").get_by_role("link", name="Charter").click()
    expect(lead.page).to_have_url(re.compile(rf"{team}/charter$"))

    # The lead drafts a new short-term goal and puts it to the team.
    drafting = lead.page.locator("section[aria-labelledby=draft-heading]")
    drafting.get_by_label("What are you drafting?").select_option(label="Short-term goal")
    drafting.get_by_role("textbox", name=re.compile(r"^Text")).fill(goal)
    drafting.get_by_role("button", name="Save draft").click()
    expect(flash(lead.page)).to_contain_text("Draft saved: Short-term goal, version 1.")
    lead.page.get_by_role("button", name="Put version 1 to the team for adoption").click()
    expect(flash(lead.page)).to_contain_text("The draft is before the team")
    expect(lead.page).to_have_url(re.compile(rf"{team}/proposals/\d+$"))
    proposal = lead.page.url.removeprefix(screens.base_url)
    expect(lead.page.get_by_role("heading", level=1)).to_contain_text(
        "Adopt the short-term goal (version 1)"
    )

    # Not adopted yet: the charter shows it as a draft before the team.
    lead.page.goto(f"{team}/charter")
    before = lead.page.locator(
        "section[aria-labelledby=kind-short_term_goal] article", has_text=goal
    )
    expect(before).to_contain_text("Not adopted yet.")
    expect(before).to_contain_text("before the team")

    # The moderator runs a round; three members vote on their phones, five hands are entered.
    moderator = screens.open(MODERATOR, path=f"{proposal}/console")
    phones = [
        screens.open(email, device=PHONE, path=proposal)
        for email in ("member1@example.org", "member2@example.org", "member3@example.org")
    ]
    for screen in (moderator, *phones):
        expect(screen.page.locator("#cs-connection")).to_have_attribute("data-state", "live")
    moderator.page.get_by_role("button", name="Open round 1").click()
    for phone in phones:
        expect(phone.page.locator("#cs-round-line")).to_have_text("Round 1 — open")
        vote(phone.page, UP)
    hands = [LEAD, *(f"member{n}@example.org" for n in (4, 5, 6, 7))]
    for email in hands:
        enter_raised_hand(moderator.page, NAMES[email])
    # Eight of the 11 voting members (12 once the invitation scenario has added one): quorum.
    expect(moderator.page.locator("#cs-progress-text")).to_have_text(
        re.compile(r"^8 of 1[12] have voted$")
    )
    moderator.page.get_by_role("button", name="Close round").click()
    for screen in (moderator, *phones):
        expect(screen.page.locator("#cs-round-line")).to_have_text(
            "Round 1 — closed: Consensus reached"
        )

    # The charter now has the goal adopted, linked to the decision.
    lead.page.goto(team)
    lead.page.get_by_role("navigation", name="Team").get_by_role("link", name="Charter").click()
    adopted = lead.page.locator(
        "section[aria-labelledby=kind-short_term_goal] article", has_text=goal
    )
    expect(adopted).to_have_count(1)
    expect(adopted.locator(".state", has_text="Adopted")).to_be_visible()
    expect(adopted).to_contain_text("version 1")
    expect(adopted).not_to_contain_text("Not adopted yet.")
    expect(adopted.locator("p.proposal-text")).to_have_text(goal)
    adopted.get_by_role("link", name="the decision").click()
    expect(lead.page).to_have_url(re.compile(rf"{proposal}/history$"))
    lead.page.go_back()
    screenshot(lead.page, "charter-adopted")

    # A member sees it adopted too.
    phones[0].page.goto(f"{team}/charter")
    seen = phones[0].page.locator(
        "section[aria-labelledby=kind-short_term_goal] article", has_text=goal
    )
    expect(seen.locator(".state", has_text="Adopted")).to_be_visible()
    screens.assert_no_browser_errors()


def test_an_action_item_becomes_a_workplan_activity_its_owner_carries_to_done(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    lead = screens.open(LEAD)
    team = team_path(lead.page)
    lead.page.goto(team)
    lead.page.get_by_role("link", name="Minutes archive").click()

    # The latest minutes (proposed, not yet approved) list their action items.
    row = lead.page.get_by_role("row").filter(has_text="Minutes proposed").first
    row.get_by_role("link").first.click()
    expect(lead.page).to_have_url(re.compile(rf"{team}/meetings/\d+/minutes$"))
    actions = lead.page.locator("section[aria-labelledby=actions-heading]")
    add = actions.get_by_role("button", name=re.compile(r"^Add to the workplan\s*:")).first
    label = add.text_content() or ""
    description = " ".join(label.split(":", 1)[1].split())
    assert description, label
    add.click()

    # The new activity carries the action item's text and owner.
    expect(flash(lead.page)).to_contain_text(f"Added to the workplan: {description}.")
    expect(lead.page).to_have_url(re.compile(rf"{team}/workplan/activities/\d+$"))
    activity = lead.page.url.removeprefix(screens.base_url)
    expect(lead.page.get_by_role("heading", level=1)).to_have_text(description)
    expect(lead.page.locator(".wp-status").first).to_have_text("Not started")
    owner_fact = lead.page.locator("dl.wp-facts dt:text-is('Owner') + dd").text_content() or ""
    owner_name = owner_fact.split(" (", 1)[0].strip()
    assert owner_name in EMAILS_BY_NAME, owner_fact

    # Back on the minutes, the action item now links to its activity instead.
    lead.page.go_back()
    lead.page.reload()
    in_plan = actions.locator("li", has_text=description)
    expect(in_plan.get_by_role("link", name="In the workplan: not started")).to_have_count(1)
    expect(in_plan.get_by_role("button", name=re.compile(r"^Add to the workplan"))).to_have_count(0)

    # The owner, in a browser of their own, moves it on through the edit form.
    owner = screens.open(EMAILS_BY_NAME[owner_name], device=PHONE, path=activity)
    page = owner.page
    for status in ("In progress", "Done"):
        page.get_by_role("link", name="Edit the activity").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Edit the activity")
        page.get_by_label("Status", exact=True).select_option(label=status)
        page.get_by_role("button", name="Save the activity").click()
        expect(flash(page)).to_contain_text("Activity saved.")
        expect(page).to_have_url(re.compile(rf"{re.escape(activity)}$"))
        expect(page.locator(".wp-status").first).to_have_text(status)
    expect(page.locator("dl.wp-facts")).to_contain_text("Done on")
    history = page.locator(".wp-history")
    expect(history).to_contain_text(owner_name)
    screenshot(page, "workplan-activity-done")

    # The team's workplan shows it done.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Workplan").click()
    expect(page).to_have_url(re.compile(rf"{team}/workplan$"))
    listed = page.get_by_role("row").filter(has=page.get_by_role("link", name=description))
    expect(listed).to_have_count(1)
    expect(listed.locator(".wp-status")).to_have_text("Done")
    expect(listed).to_contain_text(owner_name)

    # And the owner's own deliverables list it as done (on a phone, behind the header's Menu).
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("navigation", name="Primary").get_by_role(
        "link", name="My deliverables"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My deliverables")
    mine = page.get_by_role("row").filter(has=page.get_by_role("link", name=description))
    expect(mine).to_have_count(1)
    expect(mine.locator(".wp-status")).to_have_text("Done")
    screens.assert_no_browser_errors()


def test_search_finds_a_decision_for_members_and_nothing_for_another_team(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    word = "mission"  # the demo's adopted mission: "Adopt the mission (version 1)"
    member = screens.open("member2@example.org", device=PHONE)
    team = team_path(member.page)
    page = member.page
    page.get_by_text("Menu", exact=True).click()  # a phone: the header's links are in its Menu
    page.get_by_role("navigation", name="Primary").get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search all my teams")
    page.get_by_role("searchbox", name=re.compile(r"^Search for")).fill(word)
    page.get_by_role("main").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(rf"/search\?q={word}$"))

    results = page.locator("ol.search-results > li")
    expect(page.locator("#results-heading")).to_contain_text(f"for “{word}”")
    decision = results.filter(has_text=re.compile(r"\bDecision\b")).filter(
        has=page.locator("h3 mark", has_text=re.compile(rf"^{word}$", re.IGNORECASE))
    )
    expect(decision.first).to_be_visible()
    expect(decision.first).to_contain_text(TEAM)
    expect(decision.first.locator("h3")).to_contain_text("Adopt the mission")
    screenshot(page, "search-results-phone")

    decision.first.locator("h3 a").click()
    expect(page).to_have_url(re.compile(rf"{team}/decisions/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Adopt the mission (version 1)")
    expect(page.locator("main")).to_contain_text("Decided by consensus")

    # Someone from another county searching the same word finds nothing of Northfield's.
    outsider = screens.open(OUTSIDER)
    outsider.page.goto("/")
    outsider.page.get_by_role("navigation", name="Primary").get_by_role(
        "link", name="Search"
    ).click()
    outsider.page.get_by_role("searchbox", name=re.compile(r"^Search for")).fill(word)
    outsider.page.get_by_role("main").get_by_role("button", name="Search").click()
    expect(outsider.page.locator("#results-heading")).to_have_text(f"Nothing found for “{word}”")
    expect(outsider.page.locator("ol.search-results")).to_have_count(0)
    expect(outsider.page.locator("main")).not_to_contain_text("Northfield")
    # Nor through the county team's own search: that team does not exist for them.
    assert outsider.context.request.get(f"{team}/search?q={word}").status == 404
    screens.assert_no_browser_errors()


def test_a_comment_posted_without_a_reload_reaches_another_members_page_with_its_reply(
    screens: Screens, screenshot: Callable[[Page, str], Path]
) -> None:
    title = "Notify the victim advocate before any change to a supervision plan"
    words = "Could the advocate also hear of curfew exceptions granted at the weekend?"
    author = screens.open("member1@example.org")  # Jordan Ellis, at a desk
    reader = screens.open("member3@example.org", device=PHONE)  # Alex Moreno, on a phone
    vote_page = proposal_path(author.page, team_path(author.page), title)
    for screen in (author, reader):
        screen.page.goto(vote_page)
        expect(screen.page.locator("section.dc")).to_have_attribute("data-live", "following")
    page = author.page
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    section = page.locator("section.dc")
    box = section.get_by_label("Add a comment")

    # An empty comment: the server's message beside the box, nothing posted.
    box.fill("   ")
    section.get_by_role("button", name="Post comment").click()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(section.locator(".field-error")).to_contain_text("Write your comment first.")

    box.fill(words)
    section.get_by_role("button", name="Post comment").click()
    mine = section.locator("article.dc-comment", has_text=words)
    expect(mine).to_have_count(1)
    expect(box).to_have_value("")
    expect(section.locator(".field-error")).to_have_count(0)
    expect(mine.get_by_role("link", name="Edit your comment")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "discussion-posted-desktop")

    # The other member's open page shows it once, with its Reply and not the author's buttons.
    theirs = reader.page.locator("section.dc article.dc-comment", has_text=words)
    expect(theirs).to_have_count(1)
    expect(theirs.locator("summary", has_text="Reply")).to_be_visible()
    expect(theirs.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    theirs.scroll_into_view_if_needed()
    screenshot(reader.page, "discussion-live-phone")
    expect(mine).to_have_count(1)  # the post's answer and the live event: shown once
    # The browser logs the refused empty post's 422 as a failed load: that one was expected.
    screens.assert_no_browser_errors(
        ignore=lambda _screen, text: "status of 422" in text and "/discussion/proposal/" in text
    )
