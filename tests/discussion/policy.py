"""Who may use the discussion's routes (merged into tests/test_authorization_matrix.py).

Posting is for every current member, observers included (a discussion is not a vote). Editing
and deleting are for the comment's author ("own": tests/discussion/test_views.py checks that
others are refused); hiding and unhiding for the moderator in office or a lead ("stand_in").
"""

from __future__ import annotations

from typing import Any

from teamwork.discussion import services

POLICY: dict[str, dict[str, str]] = {
    "discussion.thread": {"GET": "member", "POST": "member"},
    "discussion.history": {"GET": "member"},
    "discussion.comment": {"GET": "member"},
    "discussion.edit": {"GET": "own", "POST": "own"},
    "discussion.delete": {"POST": "own"},
    "discussion.hide": {"GET": "stand_in", "POST": "stand_in"},
    "discussion.unhide": {"POST": "stand_in"},
}


def arrange(ctx: Any) -> dict[str, Any]:
    comment = services.post_comment(
        ctx.members["target"].user, "proposal", ctx.values["proposal_id"], body="A comment."
    )
    return {"kind": "proposal", "subject_id": ctx.values["proposal_id"], "comment_id": comment.id}
