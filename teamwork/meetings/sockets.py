"""Socket.IO events of the live meeting screen (the protocol: docs/realtime.md)."""

from __future__ import annotations


def init_app() -> None:
    """Register the meeting namespace's handlers (none yet)."""
