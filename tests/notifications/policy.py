"""Who may use the notification pages. None is a team's page: each person sees only their own
notifications (tested in tests/notifications/test_notifications.py: someone else's is not
found), and the unsubscribe link works without signing in, by its signed token."""

from __future__ import annotations

POLICY: dict[str, dict[str, str]] = {}
NOT_TEAM_SCOPED = {
    "notifications.index",
    "notifications.open_one",
    "notifications.read_all",
    "notifications.preferences",
    "notifications.unsubscribe",
    "notifications.unsubscribe_now",
}
