"""Who may leave or archive a team: any member leaves (the service keeps the last lead);
only leads archive and restore it. Tested further in tests/teams/test_leave_and_archive.py."""

from __future__ import annotations

POLICY = {
    "teams.leave": {"GET": "member", "POST": "member"},
    "teams.archive": {"GET": "lead", "POST": "lead"},
    "teams.unarchive": {"POST": "lead"},
}
