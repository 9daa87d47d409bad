"""Tells the pages following a discussion what changed (namespace "/discussion", room of the
subject; protocol in docs/realtime.md). Called by the views after a service has committed."""

from __future__ import annotations

from typing import Any

from teamwork.discussion import render, services
from teamwork.discussion.models import Comment
from teamwork.extensions import socketio

NAMESPACE = "/discussion"


def room_for(kind: str, subject_id: int) -> str:
    return f"discussion:{kind}:{subject_id}"


def _payload(comment: Comment) -> dict[str, Any]:
    handles = {m.handle: m.name for m in services.mentionable_members(comment.team_id)}
    return {
        "kind": str(comment.subject_kind),
        "id": comment.subject_id,
        "comment": render.live_comment(comment, handles, comment.author.team),
    }


def announce(event: str, comment: Comment) -> None:
    """`event` ("comment_posted" or "comment_changed") to the comment's subject room."""
    socketio.emit(
        event,
        _payload(comment),
        to=room_for(str(comment.subject_kind), comment.subject_id),
        namespace=NAMESPACE,
    )
