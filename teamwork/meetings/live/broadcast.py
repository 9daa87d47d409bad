"""Sends a meeting's live snapshot to its room on the "/meeting" namespace: after a socket
handler's change, and after the commit of a consensus transaction that wrote minutes lines.

The services never emit: they bump the meeting's version and, when a change reaches a meeting
from elsewhere (the consensus loop), note its id in the session's `info`; the after-commit
listener registered here sends those snapshots once the transaction is committed.

Imports: this package's services (the snapshot), meetings models and the extensions; never the
socket handlers or views.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from teamwork.extensions import db, socketio
from teamwork.meetings.live.services import PENDING_BROADCAST, live_snapshot
from teamwork.meetings.models import Meeting

log = logging.getLogger(__name__)

NAMESPACE = "/meeting"


def room_for(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def emit_meeting(meeting_id: int) -> None:
    """Read the meeting's snapshot now and send it to its room as `meeting_changed`. A failed
    send loses nothing: the change is committed, and clients resync on their next snapshot."""
    meeting = db.session.get(Meeting, meeting_id, populate_existing=True)
    if meeting is None:
        return
    try:
        socketio.emit(
            "meeting_changed",
            live_snapshot(meeting),
            to=room_for(meeting_id),
            namespace=NAMESPACE,
        )
    except Exception:  # a message-queue outage must never undo or fail the change itself
        log.exception("Broadcast of meeting_changed to meeting %s failed", meeting_id)


def _broadcast_after_commit(session: Session) -> None:
    """Send the snapshot of meetings the minutes receivers changed, once committed.

    The committing session can no longer run SQL here, so the snapshot is read in a fresh app
    context (its own session) and that session is removed afterwards.
    """
    pending = session.info.pop(PENDING_BROADCAST, None)
    if not pending:
        return
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:  # no app (a script outside Flask): the next snapshot catches up
        return
    with app.app_context():
        try:
            for meeting_id in sorted(pending):
                emit_meeting(meeting_id)
        finally:
            db.session.remove()


def _forget_pending(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING_BROADCAST, None)


def listen_for_commits() -> None:
    if not sa.event.contains(Session, "after_commit", _broadcast_after_commit):
        sa.event.listen(Session, "after_commit", _broadcast_after_commit)
        sa.event.listen(Session, "after_soft_rollback", _forget_pending)
