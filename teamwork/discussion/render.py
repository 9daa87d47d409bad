"""How a comment reads: its Markdown rendered and sanitized (`teamwork.markdown`), mentions of
current members highlighted with their names, and the placeholders of deleted and hidden
comments. Used by the pages and by the live events alike, so both show the same words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from markupsafe import Markup, escape

from teamwork.database import utcnow
from teamwork.discussion.models import Comment
from teamwork.discussion.rules import MENTION, CommentState, relative_time
from teamwork.markdown import render_markdown

DELETED = "Comment deleted"


def when(value: datetime) -> str:
    """How long ago `value` was (the absolute time is shown beside it, in the reader's zone)."""
    return relative_time(value, utcnow())


def hidden_notice(comment: Comment) -> str:
    return f"Hidden by the moderator: {comment.hidden_reason}"


def body_html(text: str, handles: dict[str, str]) -> Markup:
    """`text` as sanitized HTML, each `@handle` of a current member shown as a highlighted
    name. Mentions are marked after sanitizing, in the text between tags only, and what is
    inserted is escaped here."""
    html = str(render_markdown(text))
    parts = []
    for index, piece in enumerate(_split_tags(html)):
        if index % 2:  # a tag: left as it is
            parts.append(piece)
            continue
        parts.append(MENTION.sub(lambda m: _mention(m, handles), piece))
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - sanitized, inserts escaped


def _split_tags(html: str) -> list[str]:
    """Text, tag, text, tag, ... (the sanitizer's output has no `<` or `>` outside tags)."""
    pieces, start = [], 0
    while (opening := html.find("<", start)) != -1:
        closing = html.find(">", opening)
        if closing == -1:
            break
        pieces += [html[start:opening], html[opening : closing + 1]]
        start = closing + 1
    pieces.append(html[start:])
    return pieces


def _mention(match: Any, handles: dict[str, str]) -> str:
    handle = match.group(1).lower()
    name = handles.get(handle)
    if name is None:
        return match.group(0)
    return (
        f'<strong class="dc-mention" title="@{escape(handle)}">'
        f'<span aria-hidden="true">@</span>{escape(name)}</strong>'
    )


def shown_html(comment: Comment, handles: dict[str, str], *, text_visible: bool) -> Markup:
    """What a reader sees as the comment's body (`text_visible`: they may read a hidden one)."""
    state = comment.state
    if state is CommentState.DELETED:
        return Markup('<p class="dc-placeholder">{}</p>').format(DELETED)
    if state is CommentState.HIDDEN and not text_visible:
        return Markup('<p class="dc-placeholder">{}</p>').format(hidden_notice(comment))
    return body_html(comment.body, handles)


def live_comment(comment: Comment, handles: dict[str, str], team: Any) -> dict[str, Any]:
    """A comment as a live event carries it: ids, its state, and `html`, the comment's article
    as any member sees it (no author's or moderator's buttons, and a reply form whose CSRF
    token the page fills in). A page asks for its reader's own version (`readers_comment`, the
    view `discussion.comment`) and shows this one only when it cannot get that."""
    html = render_template(
        "discussion/_comment.html",
        comment=comment,
        team=team,
        body=shown_html(comment, handles, text_visible=False),
        me=None,
        can_post=False,
        can_moderate=False,
        live=True,
    )
    return _carried(comment, html)


def readers_comment(
    comment: Comment,
    handles: dict[str, str],
    team: Any,
    *,
    me: Any,
    can_post: bool,
    can_moderate: bool,
    text_visible: bool,
) -> dict[str, Any]:
    """A comment as one reader sees it on the page: the same article as the discussion
    section renders, with their buttons (decided by the caller from the database)."""
    html = render_template(
        "discussion/_comment.html",
        comment=comment,
        team=team,
        body=shown_html(comment, handles, text_visible=text_visible),
        me=me,
        can_post=can_post,
        can_moderate=can_moderate,
        live=False,
    )
    return _carried(comment, html)


def _carried(comment: Comment, html: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "state": str(comment.state),
        "html": html,
    }
