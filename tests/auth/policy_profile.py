"""The account page's own routes are outside any team: ending one of one's own sign-in
sessions, and the email-change link (the token names the account). Tested in
tests/auth/test_profile.py."""

from __future__ import annotations

POLICY: dict[str, dict[str, str]] = {}
NOT_TEAM_SCOPED = {"auth.end_session", "auth.confirm_email"}
