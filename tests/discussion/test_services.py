"""The discussion's services: posting, one level of replies, edits keeping their history,
deleting, hiding by the moderator or a lead (audited), mentions and the signal, access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from teamwork import retention
from teamwork.audit.models import AuditEvent
from teamwork.database import utcnow
from teamwork.discussion import rules, services
from teamwork.discussion.models import Comment, CommentRevision
from teamwork.discussion.rules import BODY_MAX, CommentState
from teamwork.discussion.signals import comment_posted
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound, TeamArchived
from teamwork.extensions import db
from teamwork.meetings.models import MeetingStatus


@pytest.fixture
def sent() -> Any:
    """What `comment_posted` was sent with, in order."""
    calls: list[dict[str, Any]] = []

    def receiver(comment: Comment, **kwargs: Any) -> None:
        calls.append({"comment": comment.id, **kwargs})

    comment_posted.connect(receiver)
    yield calls
    comment_posted.disconnect(receiver)


def post(place: Any, who: Any, body: str = "A thought.", **kwargs: Any) -> Comment:
    return services.post_comment(who.user, "proposal", place.proposal.id, body=body, **kwargs)


def test_a_member_posts_a_comment_on_each_kind_of_subject(place) -> None:
    on_proposal = post(place, place.member)
    on_item = services.post_comment(place.member.user, "agenda_item", place.item.id, body="x")
    on_activity = services.post_comment(place.member.user, "activity", place.activity.id, body="y")
    for comment in (on_proposal, on_item, on_activity):
        assert comment.team_id == place.team.id
        assert comment.author_id == place.member.id
    listed = services.list_discussion(place.lead.user, "proposal", place.proposal.id)
    assert [t.comment.id for t in listed.threads] == [on_proposal.id]


def test_observers_read_and_post(place) -> None:
    comment = post(place, place.observer, "A question from the court.")
    assert comment.author_id == place.observer.id


def test_a_reply_to_a_reply_joins_the_top_comment(place, sent) -> None:
    top = post(place, place.member)
    reply = services.reply_to_comment(place.second.user, top.id, body="I agree.")
    deeper = services.reply_to_comment(place.lead.user, reply.id, body="So do I.")
    assert reply.parent_id == top.id and deeper.parent_id == top.id
    threads = services.list_discussion(place.member.user, "proposal", place.proposal.id).threads
    assert [[r.id for r in t.replies] for t in threads] == [[reply.id, deeper.id]]
    # Replied to: the author of the comment actually answered, not the thread's top.
    assert sent[-1]["replied_to"] == place.second.id
    assert sent[-2]["replied_to"] == place.member.id
    assert sent[0]["replied_to"] is None


def test_mentions_of_current_members_are_sent_with_the_comment(place, sent) -> None:
    place.second.removed_at = utcnow()
    db.session.commit()
    comment = post(
        place,
        place.member,
        "@lee.lead and @morgan.moderator, please look. @dana.reyes left; @nobody.here and"
        " @jordan.ellis (me) are not told.",
    )
    assert sent == [
        {
            "comment": comment.id,
            "mentioned": [place.lead.id, place.moderator.id],
            "replied_to": None,
        }
    ]


def test_a_reply_to_ones_own_comment_replies_to_no_one(place, sent) -> None:
    top = post(place, place.member)
    services.reply_to_comment(place.member.user, top.id, body="And another thing.")
    assert sent[-1]["replied_to"] is None


def test_edit_keeps_the_earlier_wording(place) -> None:
    comment = post(place, place.member, "First words.")
    services.edit_comment(place.member.user, comment.id, body="Second words.")
    services.edit_comment(place.member.user, comment.id, body="Third words.")
    _access, shown, _subject, revisions = services.comment_history(place.second.user, comment.id)
    assert shown.body == "Third words." and shown.edited_at is not None
    assert [r.body for r in revisions] == ["First words.", "Second words."]
    assert revisions[0].written_at == comment.created_at


def test_an_edit_that_changes_nothing_keeps_no_revision(place) -> None:
    comment = post(place, place.member, "Same.")
    services.edit_comment(place.member.user, comment.id, body="  Same.  ")
    assert comment.revisions == [] and comment.edited_at is None


def test_only_the_author_edits_or_deletes(place) -> None:
    comment = post(place, place.member)
    with pytest.raises(Forbidden):
        services.edit_comment(place.lead.user, comment.id, body="Changed by the lead")
    with pytest.raises(Forbidden):
        services.delete_comment(place.moderator.user, comment.id)
    assert db.session.get(Comment, comment.id).body == "A thought."


def test_a_deleted_comment_keeps_its_replies(place) -> None:
    top = post(place, place.member)
    reply = services.reply_to_comment(place.second.user, top.id, body="Reply.")
    services.delete_comment(place.member.user, top.id)
    thread = services.list_discussion(place.lead.user, "proposal", place.proposal.id).threads[0]
    assert thread.comment.state is CommentState.DELETED
    assert [r.id for r in thread.replies] == [reply.id]
    with pytest.raises(Conflict):
        services.edit_comment(place.member.user, top.id, body="Back again")


@pytest.mark.parametrize("hider", ["moderator", "lead"])
def test_the_moderator_or_a_lead_hides_a_comment_with_a_reason_in_the_audit_trail(
    place, hider
) -> None:
    comment = post(place, place.member)
    actor = getattr(place, hider)
    services.hide_comment(actor.user, comment.id, reason="Names a person under supervision")
    assert comment.state is CommentState.HIDDEN and comment.hidden_by_id == actor.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "comment.hidden"))
    assert event.team_id == place.team.id and event.actor_id == actor.user_id
    assert event.target_type == "comment" and event.target_id == comment.id
    assert event.details["reason"] == "Names a person under supervision"
    assert event.details["membership_id"] == place.member.id
    services.unhide_comment(actor.user, comment.id)
    assert comment.state is CommentState.SHOWN and comment.hidden_reason == ""
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("comment.%"))
    ).all()
    assert sorted(actions) == ["comment.hidden", "comment.unhidden"]


@pytest.mark.parametrize("who", ["member", "second", "observer"])
def test_other_members_may_not_hide(place, who) -> None:
    comment = post(place, place.member)
    with pytest.raises(Forbidden):
        services.hide_comment(getattr(place, who).user, comment.id, reason="No")
    assert comment.state is CommentState.SHOWN


def test_hiding_needs_a_reason(place) -> None:
    comment = post(place, place.member)
    with pytest.raises(InvalidInput) as raised:
        services.hide_comment(place.moderator.user, comment.id, reason="  ")
    assert raised.value.field == "reason"


def test_only_the_author_and_moderators_read_a_hidden_comment(place) -> None:
    comment = post(place, place.member)
    services.hide_comment(place.lead.user, comment.id, reason="Off topic")

    def sees(who: Any) -> bool:
        access, _c, _s = services.get_comment(who.user, comment.id)
        return services.sees_hidden_text(access, comment)

    assert sees(place.member) and sees(place.lead) and sees(place.moderator)
    assert not sees(place.second) and not sees(place.observer)
    assert services.comment_history(place.second.user, comment.id)[3] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write your comment first."), ("x" * (BODY_MAX + 1), f"at most {BODY_MAX}")],
)
def test_a_comment_is_required_and_limited_in_length(place, body, message) -> None:
    with pytest.raises(InvalidInput) as raised:
        post(place, place.member, body)
    assert raised.value.field == "body" and message in raised.value.message
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


@pytest.mark.parametrize(
    ("status", "words"), [(MeetingStatus.ENDED, "ended"), (MeetingStatus.CANCELLED, "cancelled")]
)
def test_agenda_items_take_comments_only_until_their_meeting_ends(place, status, words) -> None:
    services.post_comment(place.member.user, "agenda_item", place.item.id, body="Before.")
    place.meeting.status = MeetingStatus.IN_PROGRESS
    db.session.commit()
    services.post_comment(place.member.user, "agenda_item", place.item.id, body="During.")
    place.meeting.status = status
    db.session.commit()
    with pytest.raises(Conflict) as raised:
        services.post_comment(place.member.user, "agenda_item", place.item.id, body="After.")
    assert words in raised.value.message and raised.value.field == "body"
    listed = services.list_discussion(place.member.user, "agenda_item", place.item.id)
    assert not listed.can_post and len(listed.threads) == 2


def test_foreign_and_unknown_subjects_are_not_found(place) -> None:
    theirs = services.post_comment(place.member.user, "activity", place.activity.id, body="Ours.")
    for call in (
        lambda: post(place, place.outsider),
        lambda: services.list_discussion(place.outsider.user, "proposal", place.proposal.id),
        lambda: services.reply_to_comment(place.outsider.user, theirs.id, body="Hi"),
        lambda: services.edit_comment(place.outsider.user, theirs.id, body="Hi"),
        lambda: services.hide_comment(place.outsider.user, theirs.id, reason="Hi"),
        lambda: services.comment_history(place.outsider.user, theirs.id),
        lambda: services.post_comment(place.member.user, "minutes", 1, body="x"),
        lambda: services.post_comment(place.member.user, "proposal", 10**9, body="x"),
        # A team's own id with another team's subject.
        lambda: services.list_discussion(
            place.member.user, "proposal", place.proposal.id, team_id=place.other.id
        ),
    ):
        with pytest.raises(NotFound):
            call()


def test_a_reply_must_be_to_a_comment_of_the_same_discussion(place) -> None:
    elsewhere = services.post_comment(place.member.user, "activity", place.activity.id, body="x")
    with pytest.raises(NotFound):
        post(place, place.member, parent_id=elsewhere.id)


def test_removed_members_lose_access(place) -> None:
    comment = post(place, place.second)
    place.second.removed_at = utcnow()
    db.session.commit()
    with pytest.raises(NotFound):
        services.edit_comment(place.second.user, comment.id, body="Still mine?")


def test_an_archived_teams_discussions_are_read_only(place) -> None:
    post(place, place.member)
    place.team.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(TeamArchived):
        post(place, place.member)
    assert not services.list_discussion(place.member.user, "proposal", place.proposal.id).can_post


def test_handles_are_unique_in_a_team_and_picked_from_names() -> None:
    handles = rules.team_handles([(3, "Jordan Ellis"), (1, "Jordan  Ellis"), (2, "Zoë O'Neil")])
    assert handles == {"jordan.ellis": 1, "zoe.o.neil": 2, "jordan.ellis.2": 3}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hi @jordan.ellis.", ["jordan.ellis"]),
        ("mail jo@jordan.ellis now", []),
        ("(@Dana.Reyes) and @dana.reyes", ["dana.reyes"]),
        ("@a.b.c, @x", ["a.b.c", "x"]),
    ],
)
def test_mentions_are_found_where_an_at_sign_opens_a_word(text, found) -> None:
    assert rules.mentioned_handles(text) == found


def test_the_demo_has_a_discussion_with_a_mentioning_reply(demo) -> None:
    comments = db.session.scalars(sa.select(Comment)).all()
    kinds = {str(c.subject_kind) for c in comments}
    assert kinds == {"proposal", "activity"}
    replies = [c for c in comments if c.parent_id is not None]
    assert replies and all("@" in c.body for c in replies)


def test_purge_clears_deleted_comments_text_and_history_after_the_period(app, place) -> None:
    def post(body: str) -> Comment:
        comment = services.post_comment(place.member.user, "proposal", place.proposal.id, body=body)
        services.edit_comment(place.member.user, comment.id, body=body + " (edited)")
        return comment

    old, recent, hidden, shown = post("Old"), post("Recent"), post("Hidden"), post("Shown")
    reply = services.reply_to_comment(place.second.user, old.id, body="A reply")
    for comment in (old, recent, hidden):
        services.delete_comment(place.member.user, comment.id)
    services.hide_comment(place.lead.user, shown.id, reason="x")
    services.unhide_comment(place.lead.user, shown.id)
    db.session.execute(sa.update(Comment).where(Comment.id == hidden.id).values(hidden_at=utcnow()))
    long_ago = utcnow() - timedelta(days=31)
    db.session.execute(
        sa.update(Comment).where(Comment.id.in_([old.id, hidden.id])).values(deleted_at=long_ago)
    )
    db.session.commit()

    assert retention.purge(utcnow(), app.config, dry_run=True)["texts of deleted comments"] == 1
    counts = retention.purge(utcnow(), app.config)
    db.session.commit()
    assert counts["texts of deleted comments"] == 1
    assert counts["earlier wordings of deleted comments"] == 1
    bodies = dict(db.session.execute(sa.select(Comment.id, Comment.body)).all())
    assert bodies[old.id] == "" and bodies[reply.id] == "A reply"
    assert bodies[recent.id] == "Recent (edited)" and bodies[hidden.id] == "Hidden (edited)"
    revised = set(db.session.scalars(sa.select(CommentRevision.comment_id)))
    assert revised == {recent.id, hidden.id, shown.id}
    again = retention.purge(utcnow(), app.config)
    assert again["texts of deleted comments"] == 0
