"""Accessibility of every main page in a real browser: axe-core (WCAG 2.0, 2.1 and 2.2, levels A
and AA) finds no serious or critical violation, at phone and desktop sizes; and each page has
exactly one <h1>, one <main> and a `lang` on <html>.

axe-core is vendored (tests/vendor/axe-core/axe.min.js) and put into every page of a context
with `context.add_init_script(path=...)`. These contexts are opened with `bypass_csp=True`, so
that nothing of axe's is refused by the app's Content-Security-Policy (`script-src 'self'`); the
pages still get their CSP header, the browser just does not enforce it in these contexts. CSP
violations by the app's own pages are caught by the `screens` fixture in test_live_consensus.py,
not here.

One server for the module; one signed-in browser context per actor and screen size, kept for
the whole module. Paths are found the way a person finds them: by following links from the
dashboard, the team page and its lists, never by guessing ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import (
    ACTION_TIMEOUT_MS,
    DEMO_PASSWORD,
    DESKTOP,
    PHONE,
    REPO,
    TEAM,
    chromium_missing_reason,
)

pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python")
from playwright.sync_api import expect  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

NO_CHROMIUM = chromium_missing_reason()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or "")]

AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

DEVICES: dict[str, dict[str, Any]] = {"phone": PHONE, "desktop": DESKTOP}

LEAD = "lead@example.org"
MODERATOR = "moderator@example.org"
MEMBER = "member1@example.org"
OBSERVER = "observer@example.org"
RECORDER = "recorder@example.org"

# The demo proposal the moderator opens a round on, for the voting screen and the console.
VOTING_PROPOSAL = "Notify the victim advocate before any change to a supervision plan"
# A demo proposal that reached consensus: its history has rounds, votes and a decision.
DECIDED_PROPOSAL = "Adopt the mission (version 1)"
AGREEMENT = "Memorandum of understanding"

_LANDMARKS = """
() => ({
  h1: document.querySelectorAll("h1").length,
  main: document.querySelectorAll("main").length,
  lang: (document.documentElement.getAttribute("lang") || "").trim(),
})
"""

# Runs axe and returns its violations, trimmed to what a failure message needs.
_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      html: node.html.slice(0, 240),
      summary: node.failureSummary,
    })),
  }));
}
"""


# ---- The pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One page to check: who looks at it, its path (a template over the discovered paths),
    and, for the live screens, what shows the page is ready."""

    name: str
    actor: str | None  # None: signed out
    path: str
    ready: str = "main h1"
    needs_open_round: bool = False
    # Known violations not fixed yet, by screen size: {"phone": "<rule id>: <what>"}.
    xfail: dict[str, str] = field(default_factory=dict)


class KnownViolation(AssertionError):
    """Only the violations a check's xfail names were found: the expected failure. Anything
    else (another rule, a missing <h1>...) fails the test as usual."""


LIVE = '#cs-connection[data-state="live"]'
MEETING_LIVE = '#mt-connection[data-state="live"]'

CHECKS = [
    Check("sign-in", None, "/login"),
    Check("dashboard", LEAD, "/"),
    Check("team", LEAD, "{team}"),
    Check("members-lead", LEAD, "{team}/members"),
    Check("proposals", MEMBER, "{team}/proposals"),
    Check("voting-screen-round-open", MEMBER, "{voting}", ready=LIVE, needs_open_round=True),
    Check("voting-screen-observer", OBSERVER, "{voting}", ready=LIVE, needs_open_round=True),
    Check("moderator-console", MODERATOR, "{voting}/console", ready=LIVE, needs_open_round=True),
    Check("amend-form", MODERATOR, "{voting}/amend"),
    Check("rounds-history", MEMBER, "{decided}/history"),
    Check("decision-log", OBSERVER, "{team}/decisions"),
    Check("decision", MEMBER, "{decision}"),
    Check("charter", LEAD, "{team}/charter"),
    Check("charter-print", MEMBER, "{team}/charter/print"),
    Check("charter-statement-history", LEAD, "{statement}"),
    Check("decision-rule-form-lead", LEAD, "{team}/charter/decision-rule"),
    Check("norms", MEMBER, "{team}/charter/norms"),
    Check("norms-edit-lead", LEAD, "{team}/charter/norms/edit"),
    Check("norms-history", MEMBER, "{team}/charter/norms/history"),
    Check("incentives", LEAD, "{team}/charter/incentives"),
    Check("agency-incentives", LEAD, "{agency}"),
    Check("composition", MEMBER, "{team}/charter/composition"),
    Check("structure", LEAD, "{team}/structure"),
    Check("agreements", MEMBER, "{team}/agreements"),
    Check("agreement", LEAD, "{agreement}"),
    Check("agreement-print", MEMBER, "{agreement}/print"),
    Check("account", OBSERVER, "/account"),
    Check("room-display", MEMBER, "{voting}/room", ready=LIVE, needs_open_round=True),
    # Meetings
    Check("meetings", MEMBER, "{team}/meetings"),
    Check("schedule-meeting-lead", LEAD, "{team}/meetings/new"),
    Check("upcoming-meeting", MEMBER, "{upcoming}"),
    Check("agenda-editor-recorder", RECORDER, "{upcoming}/agenda"),
    Check("live-meeting", MEMBER, "{upcoming}/live", ready=MEETING_LIVE),
    Check("live-meeting-moderator", MODERATOR, "{upcoming}/live", ready=MEETING_LIVE),
    Check("live-meeting-recorder", RECORDER, "{upcoming}/live", ready=MEETING_LIVE),
    Check("meeting-room-display", MEMBER, "{upcoming}/room", ready=MEETING_LIVE),
    Check("attendance-recorder", RECORDER, "{past}/attendance"),
    Check("minutes", MEMBER, "{past}/minutes"),
    Check("minutes-notes-recorder", RECORDER, "{past}/notes"),
    Check("meeting-summary", OBSERVER, "{past}/summary"),
    Check("minutes-archive", MEMBER, "{team}/minutes"),
    Check("calendar-feed", MEMBER, "/calendar"),
    Check("team-calendar-feed", MEMBER, "{team}/calendar"),
    Check("search", MEMBER, "{team}/search?q=polygraph"),
    Check("search-everywhere", MEMBER, "/search?q=treatment"),
    # Moderator terms
    Check("moderation", MEMBER, "{team}/moderation"),
    Check("moderation-history", MEMBER, "{team}/moderation/history"),
    Check("moderation-settings-lead", LEAD, "{team}/moderation/settings"),
    # Workplans
    Check("workplan", MEMBER, "{team}/workplan"),
    Check("activity", MEMBER, "{activity}"),
    Check("workplan-timeline", MEMBER, "{team}/workplan/timeline"),
    Check("workplan-changes", LEAD, "{team}/workplan/changes"),
    Check("new-activity-lead", LEAD, "{team}/workplan/new"),
    Check("my-deliverables", MEMBER, "/my/deliverables"),
    # Evaluation
    Check("evaluation-dashboard", MEMBER, "{team}/evaluation"),
    Check("measures", LEAD, "{team}/evaluation/measures"),
    Check("measure", MEMBER, "{measure}"),
    Check("assessments", MEMBER, "{team}/evaluation/assessments"),
    Check("assessment-results", MEMBER, "{results}"),
    # Security
    Check("audit-trail-lead", LEAD, "{team}/audit"),
    Check("two-step-setup", OBSERVER, "/account/two-step"),
]


def _params() -> Iterator[Any]:
    for check in CHECKS:
        for device in DEVICES:
            reason = check.xfail.get(device)
            marks = (
                [pytest.mark.xfail(strict=True, reason=reason, raises=KnownViolation)]
                if reason
                else []
            )
            yield pytest.param(check, device, id=f"{check.name}-{device}", marks=marks)


# ---- Fixtures ----------------------------------------------------------------------------------


class Sessions:
    """One browser context (own cookies, CSP bypassed for axe) per actor and screen size,
    signed in on first use and reused for the rest of the module."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self._contexts: dict[tuple[str | None, str], BrowserContext] = {}
        self._pages: dict[tuple[str | None, str], Page] = {}

    def page(self, actor: str | None, device: str = "desktop") -> Page:
        key = (actor, device)
        if key not in self._pages:
            context = self.browser.new_context(
                base_url=self.base_url, bypass_csp=True, **DEVICES[device]
            )
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            # axe-core in every page of the context from its start: sent to the browser once,
            # instead of its 500 KB with each check (add_script_tag cost a sixth of the run).
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            if actor is not None:
                page.goto("/login")
                page.get_by_label("Email").fill(actor)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(lambda url: "/login" not in url)
            self._contexts[key] = context
            self._pages[key] = page
        return self._pages[key]

    def close(self) -> None:
        for context in self._contexts.values():
            context.close()


@pytest.fixture(scope="module")
def sessions(browser: Browser, live_server: str) -> Iterator[Sessions]:
    opened = Sessions(browser, live_server)
    try:
        yield opened
    finally:
        opened.close()


def _href(page: Page, name: str) -> str:
    href = page.get_by_role("link", name=name, exact=True).first.get_attribute("href")
    assert href, f"no link named {name!r} on {page.url}"
    return href


@pytest.fixture(scope="module")
def paths(sessions: Sessions) -> dict[str, str]:
    """The pages' paths, found by following links as the lead."""
    page = sessions.page(LEAD)
    page.goto("/")
    team = _href(page, TEAM)
    assert re.fullmatch(r"/teams/\d+", team), team
    page.goto(f"{team}/proposals")
    voting, decided = _href(page, VOTING_PROPOSAL), _href(page, DECIDED_PROPOSAL)
    page.goto(f"{team}/decisions")
    decision = page.locator(f'main a[href^="{team}/decisions/"]').first.get_attribute("href")
    page.goto(f"{team}/charter")
    statement = _href(page, "History and editing of this mission")
    page.goto(f"{team}/charter/incentives")
    agency = page.locator('main a[href*="/charter/incentives/agency?agency="]').first
    agency_path = agency.get_attribute("href")
    page.goto(f"{team}/agreements")
    agreement = _href(page, AGREEMENT)
    page.goto(f"{team}/meetings")
    upcoming = page.locator("section[aria-labelledby=upcoming-heading] h3 a").first
    past = page.locator("section[aria-labelledby=past-heading] h3 a").first
    upcoming_path, past_path = upcoming.get_attribute("href"), past.get_attribute("href")
    page.goto(f"{team}/workplan")
    activity = page.locator(f'main a[href^="{team}/workplan/activities/"]').first
    activity_path = activity.get_attribute("href")
    page.goto(f"{team}/evaluation/measures")
    measure = page.locator(f'main a[href^="{team}/evaluation/measures/"]').first
    measure_path = measure.get_attribute("href")
    page.goto(f"{team}/evaluation/assessments")
    results = page.locator(f'main a[href^="{team}/evaluation/assessments/"]').first
    results_path = results.get_attribute("href")
    found = {
        "upcoming": upcoming_path or "",
        "past": past_path or "",
        "activity": activity_path or "",
        "measure": measure_path or "",
        "results": results_path or "",
        "voting": voting,
        "decided": decided,
        "decision": decision or "",
        "statement": statement,
        "agency": agency_path or "",
        "agreement": agreement,
    }
    for name, path in found.items():
        assert path.startswith(f"{team}/"), f"{name}: {path!r}"
    return {"team": team, **found}


@pytest.fixture(scope="module")
def open_round(sessions: Sessions, paths: dict[str, str]) -> None:
    """The moderator opens round 1 of the voting proposal from the console (once)."""
    page = sessions.page(MODERATOR)
    page.goto(f"{paths['voting']}/console")
    expect(page.locator(LIVE)).to_be_visible()
    page.get_by_role("button", name="Open round 1").click()
    expect(page.locator("#cs-round-line")).to_have_text("Round 1 — open")


# ---- The test ----------------------------------------------------------------------------------


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}\n      {node['html']}")
            summary = (node["summary"] or "").replace("\n", "\n        ")
            lines.append(f"        {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize(("check", "device"), list(_params()))
def test_page_is_accessible(
    check: Check,
    device: str,
    sessions: Sessions,
    paths: dict[str, str],
    request: pytest.FixtureRequest,
    screenshot: Callable[[Page, str], Path],
) -> None:
    if check.needs_open_round:
        request.getfixturevalue("open_round")
    page = sessions.page(check.actor, device)
    path = check.path.format(**paths)
    # Only the live screens run scripts: `load` (every stylesheet, script and image in) then
    # their socket's "live" state, or the page's heading, and the web fonts.
    response = page.goto(path, wait_until="load")
    expect(page.locator(check.ready).first).to_be_visible()
    if check.needs_open_round:
        expect(page.locator("#cs-round-line")).to_have_text("Round 1 — open")
    page.evaluate("document.fonts.ready.then(() => true)")
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    assert page.url.removeprefix(sessions.base_url) == path, "redirected"

    # The page's landmarks and language, which axe's WCAG A/AA rules do not all require (read
    # in one round trip to the browser).
    landmarks = page.evaluate(_LANDMARKS)
    assert landmarks["h1"] == 1, "a page has exactly one <h1>"
    assert landmarks["main"] == 1, "a page has one <main>"
    assert landmarks["lang"], "<html> has a lang"

    # Every main screen, as people see it on a phone and a desktop (test-artifacts/screenshots).
    screenshot(page, f"{check.name}-{device}")

    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, WCAG_TAGS)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    message = (
        f"axe-core: serious or critical WCAG A/AA violations on {path} ({device}):\n"
        + _describe(blocking)
    )
    known = check.xfail.get(device, "").partition(":")[0]
    if blocking and {v["id"] for v in blocking} == {known}:
        raise KnownViolation(message)
    assert blocking == [], message
