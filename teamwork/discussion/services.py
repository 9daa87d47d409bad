"""The discussion's operations: posting comments and replies, editing (keeping each earlier
body), deleting by the author, hiding and unhiding by the moderator in office or a lead, and
reading a subject's discussion.

Who may do what (checked against the database on every call):
  - only current members of the subject's team read or post; a subject, comment or team the
    actor does not belong to is NotFound, whatever it is;
  - observers read and post too: a discussion is not a vote, and the people who follow the
    team's work are the ones whose questions should be heard before it;
  - only a comment's author edits or deletes it; a deleted comment is shown as "Comment
    deleted" and its replies stay;
  - the moderator in office (or a stand-in, or a lead while no one holds the term: see
    `TeamAccess.is_moderator`) and every lead hide a comment, with a reason, and unhide it;
    both are written to the team's audit trail. The author, leads and the moderator still see a
    hidden comment's text, marked as hidden; other members see "Hidden by the moderator:
    <reason>";
  - an agenda item takes comments (and edits) before and during its meeting, not once the
    meeting has ended or was cancelled; an archived team's discussions are read only.

May import the capabilities below it (consensus, meetings, workplans, teams, audit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.cleaning import clean_line, clean_text
from teamwork.consensus.models import Proposal
from teamwork.database import utcnow
from teamwork.discussion import rules
from teamwork.discussion.models import Comment, CommentRevision
from teamwork.discussion.rules import BODY_MAX, REASON_MAX, CommentState, SubjectKind
from teamwork.discussion.signals import comment_posted
from teamwork.errors import Conflict, Forbidden, NotFound
from teamwork.extensions import db
from teamwork.forms import ID_MAX
from teamwork.meetings.models import AgendaItem, Meeting, MeetingStatus
from teamwork.teams.models import Membership
from teamwork.teams.rules import Role
from teamwork.teams.services import TeamAccess, require_writable, team_access
from teamwork.workplans.models import Activity

# --- Subjects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The thing a discussion is about, as the discussion needs it."""

    kind: SubjectKind
    id: int
    team_id: int
    title: str
    # Why it takes no comments now ("" while it does).
    closed_message: str = ""
    # Where the subject's page is: (endpoint, URL values, anchor).
    endpoint: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    anchor: str = ""


# Each kind's page (the endpoint, and the URL value naming the subject or, for an agenda item,
# its meeting), where its discussion is shown.
PAGES: dict[SubjectKind, tuple[str, str]] = {
    SubjectKind.PROPOSAL: ("consensus.vote", "proposal_id"),
    SubjectKind.AGENDA_ITEM: ("meetings.show", "meeting_id"),
    SubjectKind.ACTIVITY: ("workplans.show", "activity_id"),
}


def parse_kind(value: Any) -> SubjectKind:
    """A subject kind from a URL or a payload; anything else is no discussion of ours."""
    try:
        return SubjectKind(value)
    except ValueError:
        raise NotFound() from None


def _valid_id(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= ID_MAX:
        raise NotFound()
    return value


def find_subject(kind: SubjectKind, subject_id: int) -> Subject:
    """The subject, whatever team it is in (callers check access), or NotFound."""
    subject_id = _valid_id(subject_id)
    if kind is SubjectKind.PROPOSAL:
        proposal = db.session.get(Proposal, subject_id)
        if proposal is None:
            raise NotFound()
        return Subject(
            kind,
            subject_id,
            proposal.team_id,
            proposal.title,
            endpoint=PAGES[kind][0],
            values={"team_id": proposal.team_id, "proposal_id": proposal.id},
        )
    if kind is SubjectKind.AGENDA_ITEM:
        row = db.session.execute(
            sa.select(AgendaItem, Meeting)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(AgendaItem.id == subject_id)
        ).first()
        if row is None:
            raise NotFound()
        item, meeting = row
        closed = ""
        if meeting.status is MeetingStatus.ENDED:
            closed = "Comments on this agenda item closed when its meeting ended."
        elif meeting.status is MeetingStatus.CANCELLED:
            closed = "Comments on this agenda item closed: its meeting was cancelled."
        return Subject(
            kind,
            subject_id,
            meeting.team_id,
            item.title,
            closed,
            endpoint=PAGES[kind][0],
            values={"team_id": meeting.team_id, "meeting_id": meeting.id},
            anchor=f"item-{item.id}-discussion",
        )
    activity = db.session.get(Activity, subject_id)
    if activity is None:
        raise NotFound()
    return Subject(
        kind,
        subject_id,
        activity.team_id,
        activity.title,
        endpoint=PAGES[kind][0],
        values={"team_id": activity.team_id, "activity_id": activity.id},
    )


def comment_places(comment_ids: Iterable[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    """Where each comment is shown: its subject page's endpoint and URL values (the caller adds
    the `comment-N` anchor), in two queries however many there are (search results link here).
    No access check: callers show only comments the reader may find (search joins their
    memberships); a comment whose subject is gone has no place."""
    ids = list(comment_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Comment.id, Comment.team_id, Comment.subject_kind, Comment.subject_id).where(
            Comment.id.in_(ids)
        )
    ).all()
    items = [subject_id for _id, _team, kind, subject_id in rows if kind is SubjectKind.AGENDA_ITEM]
    meetings = dict(
        db.session.execute(
            sa.select(AgendaItem.id, AgendaItem.meeting_id).where(AgendaItem.id.in_(items))
        ).all()
        if items
        else []
    )
    places = {}
    for comment_id, team_id, kind, subject_id in rows:
        endpoint, name = PAGES[kind]
        value = meetings.get(subject_id) if kind is SubjectKind.AGENDA_ITEM else subject_id
        if value is not None:
            places[comment_id] = (endpoint, {"team_id": team_id, name: value})
    return places


def subject_access(
    actor: User, kind: SubjectKind | str, subject_id: int, *, team_id: int | None = None
) -> tuple[TeamAccess, Subject]:
    """The subject and the actor's access to its team (NotFound for anyone outside it, and when
    `team_id` names another team)."""
    subject = find_subject(parse_kind(kind), subject_id)
    if team_id is not None and subject.team_id != team_id:
        raise NotFound()
    return team_access(actor, subject.team_id), subject


def _comment_access(
    actor: User, comment_id: int, team_id: int | None
) -> tuple[TeamAccess, Comment, Subject]:
    comment = db.session.get(Comment, _valid_id(comment_id))
    if comment is None or (team_id is not None and comment.team_id != team_id):
        raise NotFound()
    access = team_access(actor, comment.team_id)
    return access, comment, find_subject(comment.subject_kind, comment.subject_id)


def can_moderate(access: TeamAccess) -> bool:
    """The moderator in office (or standing in) and leads hide and unhide comments."""
    return access.membership.role is Role.LEAD or access.is_moderator


def sees_hidden_text(access: TeamAccess, comment: Comment) -> bool:
    return comment.author_id == access.membership.id or can_moderate(access)


def can_post(access: TeamAccess, subject: Subject) -> bool:
    """Whether the subject takes comments now (and so replies and edits): not once an agenda
    item's meeting is over, nor in an archived team."""
    return not subject.closed_message and access.team.archived_at is None


# --- Members and mentions --------------------------------------------------------------------


@dataclass(frozen=True)
class Mentionable:
    handle: str
    name: str
    membership_id: int


def mentionable_members(team_id: int) -> list[Mentionable]:
    """The team's current members with their handles (`rules` says how they are made)."""
    rows = db.session.execute(
        sa.select(Membership.id, User.name)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.team_id == team_id,
            Membership.removed_at.is_(None),
            User.deactivated_at.is_(None),
        )
    ).all()
    names = dict(rows)
    handles = rules.team_handles(rows)
    return sorted(
        (Mentionable(handle, names[mid], mid) for handle, mid in handles.items()),
        key=lambda m: (m.name.lower(), m.handle),
    )


# --- Changing comments -----------------------------------------------------------------------


def _body(body: str | None) -> str:
    return clean_text(body, "body", BODY_MAX, required="Write your comment first.")


def _writable(access: TeamAccess, subject: Subject) -> None:
    require_writable(access)
    if subject.closed_message:
        raise Conflict(subject.closed_message, field="body")


def post_comment(
    actor: User,
    kind: SubjectKind | str,
    subject_id: int,
    *,
    body: str | None,
    parent_id: int | None = None,
    team_id: int | None = None,
) -> Comment:
    """A new comment on the subject, or a reply to one of its comments (`parent_id`: a reply
    to a reply joins its top comment's thread). Sends `comment_posted` once committed."""
    access, subject = subject_access(actor, kind, subject_id, team_id=team_id)
    _writable(access, subject)
    text = _body(body)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, _valid_id(parent_id))
        if parent is None or (parent.subject_kind, parent.subject_id) != (
            subject.kind,
            subject.id,
        ):
            raise NotFound("That comment is not in this discussion any more.")
    me = access.membership
    comment = Comment(
        team_id=subject.team_id,
        subject_kind=subject.kind,
        subject_id=subject.id,
        author_id=me.id,
        parent_id=rules.thread_parent(
            parent.id if parent else None, parent.parent_id if parent else None
        ),
        body=text,
    )
    db.session.add(comment)
    handles = {m.handle: m.membership_id for m in mentionable_members(subject.team_id)}
    mentioned = rules.mentioned_members(text, handles, author_id=me.id)
    replied_to = parent.author_id if parent is not None and parent.author_id != me.id else None
    db.session.commit()
    comment_posted.send(comment, mentioned=mentioned, replied_to=replied_to)
    return comment


def reply_to_comment(
    actor: User, comment_id: int, *, body: str | None, team_id: int | None = None
) -> Comment:
    """A reply to a comment, in the same discussion (see `post_comment`)."""
    _access, parent, subject = _comment_access(actor, comment_id, team_id)
    return post_comment(actor, subject.kind, subject.id, body=body, parent_id=parent.id)


def edit_comment(
    actor: User, comment_id: int, *, body: str | None, team_id: int | None = None
) -> Comment:
    """The author's new wording; the previous one is kept as a revision."""
    access, comment, subject = _comment_access(actor, comment_id, team_id)
    if comment.author_id != access.membership.id:
        raise Forbidden("Only its author can edit a comment.")
    _writable(access, subject)
    if comment.state is CommentState.DELETED:
        raise Conflict("This comment was deleted.", field="body")
    if comment.state is CommentState.HIDDEN:
        raise Conflict("A hidden comment cannot be edited.", field="body")
    text = _body(body)
    if text == comment.body:
        return comment
    now = utcnow()
    db.session.add(
        CommentRevision(
            comment=comment,
            body=comment.body,
            written_at=comment.edited_at or comment.created_at,
            replaced_at=now,
        )
    )
    comment.body = text
    comment.edited_at = now
    db.session.commit()
    return comment


def delete_comment(actor: User, comment_id: int, *, team_id: int | None = None) -> Comment:
    """The author withdraws their comment: shown as "Comment deleted", its replies stay."""
    access, comment, _subject = _comment_access(actor, comment_id, team_id)
    if comment.author_id != access.membership.id:
        raise Forbidden("Only its author can delete a comment.")
    require_writable(access)
    if comment.deleted_at is None:
        comment.deleted_at = utcnow()
        db.session.commit()
    return comment


def _audit_details(comment: Comment, subject: Subject) -> dict[str, Any]:
    return {
        "comment_id": comment.id,
        "membership_id": comment.author_id,
        "subject": f"the {subject.kind.label} “{subject.title[:120]}”",
    }


def hide_comment(
    actor: User, comment_id: int, *, reason: str | None, team_id: int | None = None
) -> Comment:
    """The moderator or a lead hides a comment, saying why (kept in the audit trail)."""
    access, comment, subject = _comment_access(actor, comment_id, team_id)
    if not can_moderate(access):
        raise Forbidden("Only the moderator in office or a lead can hide a comment.")
    require_writable(access)
    why = clean_line(reason, "reason", REASON_MAX, required="Say why the comment is hidden.")
    if comment.state is CommentState.DELETED:
        raise Conflict("This comment was deleted by its author.", field="reason")
    if comment.state is CommentState.HIDDEN:
        raise Conflict("This comment is already hidden.", field="reason")
    comment.hidden_at = utcnow()
    comment.hidden_by_id = access.membership.id
    comment.hidden_reason = why
    recorder.record(
        "comment.hidden",
        team_id=comment.team_id,
        target=("comment", comment.id),
        actor=actor,
        details={**_audit_details(comment, subject), "reason": why},
    )
    db.session.commit()
    return comment


def unhide_comment(actor: User, comment_id: int, *, team_id: int | None = None) -> Comment:
    """Show a hidden comment again (the moderator or a lead; kept in the audit trail)."""
    access, comment, subject = _comment_access(actor, comment_id, team_id)
    if not can_moderate(access):
        raise Forbidden("Only the moderator in office or a lead can show a hidden comment.")
    require_writable(access)
    if comment.state is not CommentState.HIDDEN:
        raise Conflict("This comment is not hidden.")
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason = ""
    recorder.record(
        "comment.unhidden",
        team_id=comment.team_id,
        target=("comment", comment.id),
        actor=actor,
        details=_audit_details(comment, subject),
    )
    db.session.commit()
    return comment


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment]


@dataclass
class Discussion:
    access: TeamAccess
    subject: Subject
    threads: list[Thread]
    members: list[Mentionable]

    @property
    def count(self) -> int:
        return sum(
            (t.comment.state is not CommentState.DELETED)
            + sum(r.state is not CommentState.DELETED for r in t.replies)
            for t in self.threads
        )

    @property
    def can_post(self) -> bool:
        return can_post(self.access, self.subject)

    @property
    def can_moderate(self) -> bool:
        return can_moderate(self.access)

    @property
    def handles(self) -> dict[str, str]:
        """{handle: name}, for showing mentions."""
        return {m.handle: m.name for m in self.members}


def subject_comments(subject: Subject) -> list[Thread]:
    comments = db.session.scalars(
        sa.select(Comment)
        .options(selectinload(Comment.author).selectinload(Membership.user))
        .where(Comment.subject_kind == subject.kind, Comment.subject_id == subject.id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    threads = {c.id: Thread(c, []) for c in comments if c.parent_id is None}
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    return list(threads.values())


def list_discussion(
    actor: User, kind: SubjectKind | str, subject_id: int, *, team_id: int | None = None
) -> Discussion:
    """The subject's comments, top-level ones oldest first, each with its replies."""
    access, subject = subject_access(actor, kind, subject_id, team_id=team_id)
    return Discussion(
        access, subject, subject_comments(subject), mentionable_members(subject.team_id)
    )


def comment_history(
    actor: User, comment_id: int, *, team_id: int | None = None
) -> tuple[TeamAccess, Comment, Subject, list[CommentRevision]]:
    """A comment and its earlier wordings, oldest first; none for a deleted comment, nor for a
    hidden one unless the actor may read its text."""
    access, comment, subject = _comment_access(actor, comment_id, team_id)
    readable = comment.state is CommentState.SHOWN or (
        comment.state is CommentState.HIDDEN and sees_hidden_text(access, comment)
    )
    return access, comment, subject, list(comment.revisions) if readable else []


def get_comment(
    actor: User, comment_id: int, *, team_id: int | None = None
) -> tuple[TeamAccess, Comment, Subject]:
    return _comment_access(actor, comment_id, team_id)


def comment_for_editing(
    actor: User, comment_id: int, *, team_id: int | None = None
) -> tuple[TeamAccess, Comment, Subject]:
    """The comment for its edit form: its author's only."""
    access, comment, subject = _comment_access(actor, comment_id, team_id)
    if comment.author_id != access.membership.id:
        raise Forbidden("Only its author can edit a comment.")
    return access, comment, subject


def comment_for_moderation(
    actor: User, comment_id: int, *, team_id: int | None = None
) -> tuple[TeamAccess, Comment, Subject]:
    """The comment for the hide form: the moderator's and leads' only."""
    access, comment, subject = _comment_access(actor, comment_id, team_id)
    if not can_moderate(access):
        raise Forbidden("Only the moderator in office or a lead can hide a comment.")
    return access, comment, subject
