"""The live-meeting fixtures, shared with the meetings tests."""

from tests.meetings.conftest import live_meeting, meeting_socket  # noqa: F401
