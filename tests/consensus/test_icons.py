"""The vote thumbs are vendored SVG icons, never emoji: on a machine without an emoji font (a
room PC) an emoji thumb is an empty box. No template or script draws one; the icons (and their
licence) are served from static/vendor/lucide/, and every screen with thumbs uses them beside
words a screen reader reads."""

from __future__ import annotations

import re
from pathlib import Path

from teamwork.consensus import services

REPO = Path(__file__).resolve().parents[2]
# Thumbs up/down, and the hand shapes an emoji "sideways" might be drawn with.
# Also the raised hand and the lock, drawn beside words on the meeting and voting screens.
EMOJI_THUMBS = re.compile("[\U0001f44d\U0001f44e\U0001faf2\U0001faf1\U0001f44c\u270b\U0001f512]")
ICONS = ("thumbs-up.svg", "thumbs-down.svg", "hand.svg", "lock.svg")


def sources() -> list[Path]:
    files = [
        *sorted((REPO / "templates").rglob("*.html")),
        *sorted((REPO / "static" / "js").rglob("*.js")),
    ]
    files += sorted((REPO / "teamwork").rglob("*.py"))
    return files


def test_no_template_script_or_module_draws_an_emoji_thumb() -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EMOJI_THUMBS.search(line)
    ]
    assert len(sources()) > 50  # the globs found the app's files
    assert found == []


def test_the_icons_and_their_licence_are_served(client) -> None:
    for name in ICONS:
        with client.get(f"/static/vendor/lucide/{name}") as response:
            assert response.status_code == 200
            assert response.mimetype == "image/svg+xml"
            assert b'stroke="currentColor"' in response.data and b"<path" in response.data
    with client.get("/static/vendor/lucide/LICENSE") as licence:
        assert licence.status_code == 200 and b"ISC License" in licence.data
    versions = (REPO / "static" / "vendor" / "VERSIONS.txt").read_text().split()
    assert any(line.startswith("lucide-static@") for line in versions)
    with client.get("/static/css/teamwork.css") as response:
        css = response.get_data(as_text=True)
    for name in ICONS:
        assert f'mask-image: url("../vendor/lucide/{name}")' in css


def test_the_voting_screen_console_and_room_display_use_the_icons_beside_words(
    meeting, signed_in
) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    base = f"/teams/{m.team.id}/proposals/{m.proposal.id}"
    browser = signed_in(m.moderator.user)
    vote = browser.get(base).get_data(as_text=True)
    for choice, words in (
        ("up", "Thumbs up — in favour"),
        ("sideways", "Sideways — no strong feeling"),
        ("down", "Thumbs down — opposed"),
    ):
        button = re.search(rf'<button[^>]*data-choice="{choice}".*?</button>', vote, re.S)
        assert button, choice
        assert f'class="cs-icon tw-thumb tw-thumb-{choice}" aria-hidden="true"' in button.group(0)
        assert words in button.group(0)
    room = browser.get(f"{base}/room").get_data(as_text=True)
    for choice in ("up", "sideways", "down"):
        assert re.search(
            rf'<span class="tw-thumb tw-thumb-{choice} cs-icon" aria-hidden="true"></span>', room
        )
