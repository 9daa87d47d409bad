"""Who may use the calendar pages. The team feed page and its reset are every member's own
(each member has their own feed of the team). The personal pages and the feed itself are
outside any team: they are tested in tests/meetings/test_calendar.py (a foreign or wrong
token answers 404; a removed member's feed no longer lists that team)."""

from __future__ import annotations

from typing import Any

POLICY = {
    "calendar.team": {"GET": "member"},
    "calendar.reset_team": {"POST": "member"},
}
NOT_TEAM_SCOPED = {"calendar.mine", "calendar.reset_mine", "calendar.feed"}


def arrange(ctx: Any) -> dict[str, Any]:
    return {}  # the team id is all these URLs need
