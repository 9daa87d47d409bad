"""Who may search. A team's search is for its members; the search across "all my teams"
(`/search`) is outside any team and joins the searcher's memberships itself: tested in
tests/search/test_search.py (another team's minutes are never found)."""

from __future__ import annotations

from typing import Any

POLICY = {"search.team": {"GET": "member"}}
NOT_TEAM_SCOPED = {"search.everywhere"}


def arrange(ctx: Any) -> dict[str, Any]:
    return {}  # the team id is all this URL needs
