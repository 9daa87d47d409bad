"""Comments and their earlier wordings.

A `Comment` is about one subject (`subject_kind` + `subject_id`: a proposal, an agenda item or
a workplan activity) of one team, written by a membership. Replies go one level deep: a
reply's `parent_id` is always a top-level comment (`rules.thread_parent`). Deleting by the
author and hiding by a moderator or lead only set timestamps: the row, and its text, stay (a
hidden comment's text is kept for the audit trail's sake; a deleted one is simply not shown).
Each edit keeps the previous body as a `CommentRevision`.

Retention (`flask purge`, teamwork.retention): TEAMWORK_PURGE_DELETED_COMMENTS_AFTER after its
author deleted it, a comment's text is cleared and its earlier wordings deleted; the row stays,
so its replies keep their thread and "Comment deleted" its place. A hidden comment keeps its
text (the audit trail records the hiding, and the moderator may need to read what was hidden),
and so does a shown one its history: what it said before an edit is part of the discussion.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork import retention
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.discussion.rules import CommentState, SubjectKind
from teamwork.extensions import db
from teamwork.teams.models import Membership


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_subject", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    subject_kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind))
    subject_id: Mapped[int] = mapped_column()
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL")
    )
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    author: Mapped[Membership] = relationship(foreign_keys=[author_id])
    hidden_by: Mapped[Membership | None] = relationship(foreign_keys=[hidden_by_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id])
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment",
        cascade="all, delete-orphan",
        order_by="(CommentRevision.written_at, CommentRevision.id)",
    )

    @property
    def state(self) -> CommentState:
        if self.deleted_at is not None:
            return CommentState.DELETED
        if self.hidden_at is not None:
            return CommentState.HIDDEN
        return CommentState.SHOWN

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.subject_kind}:{self.subject_id} {self.state}>"


class CommentRevision(db.Model):
    """A body the comment had before an edit, and when it was written. Never edited."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="revisions")

    def __repr__(self) -> str:
        return f"<CommentRevision {self.id} comment={self.comment_id}>"


def _deleted_long_ago(now: datetime, config: Any) -> sa.ColumnElement[bool]:
    """Comments their author deleted more than TEAMWORK_PURGE_DELETED_COMMENTS_AFTER ago, and
    not hidden before (a hidden comment's text is kept with its audit record)."""
    before = now - config["TEAMWORK_PURGE_DELETED_COMMENTS_AFTER"]
    return sa.and_(Comment.deleted_at < before, Comment.hidden_at.is_(None))


retention.register(
    "texts of deleted comments",
    Comment,
    lambda now, config: sa.and_(_deleted_long_ago(now, config), Comment.body != ""),
    clear={"body": ""},
)
retention.register(
    "earlier wordings of deleted comments",
    CommentRevision,
    lambda now, config: CommentRevision.comment_id.in_(
        sa.select(Comment.id).where(_deleted_long_ago(now, config))
    ),
)
