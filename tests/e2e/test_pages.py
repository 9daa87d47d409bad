"""Every page of the demo, for every demo role, in a phone-sized browser: nothing scrolls
sideways at 390 px, the meeting and voting screens have no target under 44 px, every team page
shows the team menu with its place marked, and axe-core finds no serious or critical WCAG A/AA
violation.

The pages are found the way a person finds them: by following the links from the dashboard and
on from every page reached (same site, GET only; sign-out, exports and downloads left out). So
that the crawl stays cheap, pages are grouped by the shape of their path (ids replaced by
`<id>`, the query dropped) and each role opens at most one page of each shape; axe runs once per
shape across the roles, and not on the shapes test_accessibility.py already runs it on (its main
screens, at two sizes). One server, one browser, one context per role for the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.e2e import test_accessibility
from tests.e2e.conftest import (
    ACTION_TIMEOUT_MS,
    DEMO_PASSWORD,
    PHONE,
    REPO,
    chromium_missing_reason,
)

pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python")
from playwright.sync_api import expect  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

NO_CHROMIUM = chromium_missing_reason()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM or "")]

AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

ROLES = [
    "lead@example.org",
    "moderator@example.org",
    "recorder@example.org",
    "member1@example.org",
    "observer@example.org",
]

# Not pages to look at: files to download, and feeds.
SKIPPED = re.compile(r"(\.(csv|md|pdf|ics|json)$)|/export|/logout")
# The meeting and voting screens, where every target must be at least 44 × 44 px.
TOUCH_SCREENS = re.compile(
    r"/meetings/<id>/live$|/proposals/<id>$|/proposals/<id>/console$|/meetings/<id>$"
)
# Team pages built to have no site chrome: printouts and the projector's room displays.
NO_TEAM_MENU = re.compile(r"/print$|/room$")

# The same-site links of a page (not downloads), as paths with their query.
_LINKS = """
() => [...document.querySelectorAll("a[href]")]
  .filter((a) => !a.hasAttribute("download") && a.origin === location.origin)
  .map((a) => a.pathname + a.search)
"""

# What overflows the viewport sideways, and the page's width.
_OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return { scroll, width, wide: [] };  // the usual case: nothing to list
  const wide = [...document.querySelectorAll("body *")].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && getComputedStyle(el).position !== "fixed";
  }).slice(0, 5).map((el) => el.outerHTML.slice(0, 160));
  return { scroll, width, wide };
}
"""

# Visible targets smaller than 44 × 44 px. A link inside a sentence is exempt (WCAG 2.5.5's
# "inline" exception); a checkbox or radio counts by its label, which is the target.
_SMALL_TARGETS = """
() => {
  const selector = "a[href], button, summary, select, [role=button]," +
    " input:not([type=hidden]), textarea";
  return [...document.querySelectorAll(selector)].filter((el) => {
    const target = (el.matches("input[type=checkbox], input[type=radio]") && el.closest("label"))
      || el;
    const box = target.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;  // not shown
    if (getComputedStyle(target).visibility === "hidden") return false;
    if (target.closest(".visually-hidden, .skip-link")) return false;
    if (el.matches("a") && getComputedStyle(el).display === "inline" && el.closest("p, li, td, dd"))
      return false;
    return box.width < 43.5 || box.height < 43.5;
  }).map((el) => `${el.outerHTML.slice(0, 120)} (${Math.round(el.getBoundingClientRect().width)}` +
    ` × ${Math.round(el.getBoundingClientRect().height)})`);
}
"""

_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"],
  });
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}
"""


def shape(path: str) -> str:
    """A path with its ids replaced and its query dropped: one page of each shape is enough."""
    return re.sub(r"/\d+(?=/|$)", "/<id>", urlsplit(path).path)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _check_page(page: Page, path: str, *, run_axe: bool) -> tuple[list[str], list[str]]:
    """Open `path`; return (what is wrong with it, the links on it)."""
    response = page.goto(path, wait_until="load")
    if response is None or response.status != 200:
        return [f"answered {response and response.status}"], []
    if "text/html" not in (response.headers.get("content-type") or ""):
        return [], []
    # The live screens (#cs-connection, #mt-connection) are measured once their socket is live.
    connection = page.locator("[id$=-connection][data-state]")
    if connection.count():
        expect(connection.first).to_have_attribute("data-state", "live")
    problems = []
    overflow: dict[str, Any] = page.evaluate(_OVERFLOW)
    if overflow["scroll"] > overflow["width"]:
        problems.append(
            f"scrolls sideways: {overflow['scroll']} px in {overflow['width']}:\n      "
            + "\n      ".join(overflow["wide"])
        )
    kind = shape(path)
    if TOUCH_SCREENS.search(kind):
        small = page.evaluate(_SMALL_TARGETS)
        if small:
            problems.append("targets under 44 px:\n      " + "\n      ".join(small))
    if kind.startswith("/teams/<id>") and not NO_TEAM_MENU.search(kind):
        marked = page.locator('nav[aria-label="Team"] a[aria-current="page"]')
        if marked.count() != 2:  # the desktop tabs and the phone menu's copy
            problems.append("no team menu with its place marked")
    if run_axe:
        page.add_script_tag(path=str(AXE))
        problems += page.evaluate(_RUN_AXE, WCAG_TAGS)
    return problems, page.evaluate(_LINKS)


def _crawl(page: Page, axed: set[str]) -> Iterator[tuple[str, list[str]]]:
    seen: set[str] = set()
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        kind = shape(path)
        if kind in seen or SKIPPED.search(kind):
            continue
        seen.add(kind)
        problems, links = _check_page(page, path, run_axe=kind not in axed)
        axed.add(kind)
        yield path, problems
        queue += [link for link in links if shape(link) not in seen]


# One path of each kind test_accessibility.py discovers, to tell the shapes of its checks.
_SAMPLE_PATHS = {
    "team": "/teams/1",
    "voting": "/teams/1/proposals/1",
    "decided": "/teams/1/proposals/1",
    "decision": "/teams/1/decisions/1",
    "statement": "/teams/1/charter/statements/1",
    "agency": "/teams/1/charter/incentives/agency",
    "agreement": "/teams/1/agreements/1",
    "upcoming": "/teams/1/meetings/1",
    "past": "/teams/1/meetings/1",
    "activity": "/teams/1/workplan/activities/1",
    "measure": "/teams/1/evaluation/measures/1",
    "results": "/teams/1/evaluation/assessments/1",
}


@pytest.fixture(scope="module")
def axed() -> set[str]:
    """The page shapes axe has run on, by any role here or by test_accessibility.py."""
    return {shape(check.path.format(**_SAMPLE_PATHS)) for check in test_accessibility.CHECKS}


@pytest.mark.parametrize("email", ROLES)
def test_every_page_fits_a_phone_and_passes_axe(
    email: str, browser: Browser, live_server: str, axed: set[str]
) -> None:
    # Layout is in CSS pixels: a 390 px phone at scale 1 measures the same and paints a quarter
    # of the pixels (the crawl opens some 200 pages).
    phone = {**PHONE, "device_scale_factor": 1}
    context = browser.new_context(base_url=live_server, bypass_csp=True, **phone)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        _sign_in(page, email)
        report = dict(_crawl(page, axed))
    finally:
        context.close()
    assert len(report) > 20, f"the crawl found only {sorted(report)}"
    failures = {path: problems for path, problems in report.items() if problems}
    if failures:
        pytest.fail(
            "\n".join(
                f"{path}:\n  " + "\n  ".join(problems) for path, problems in failures.items()
            ),
            pytrace=False,
        )
