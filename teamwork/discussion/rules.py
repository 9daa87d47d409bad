"""Pure rules of the discussion: the kinds of things people comment on, the limits, the
`@mention` handles of a team and finding them in a comment.

Mentions: `@` followed by the member's handle, made from their name: lower case, letters and
digits kept (accents dropped), every run of anything else one dot ("Jordan Ellis" ->
`@jordan.ellis`, "Dana O'Neil-Reyes" -> `@dana.o.neil.reyes`). Handles are unique in a team:
when two current members' names give the same handle, the one who joined later (higher
membership id) gets `.2`, the next `.3`, and so on. A handle that names no current member is
plain text. The `@` must open a word (`jo@jordan.ellis` is not a mention), and a trailing dot
ends the sentence, not the handle.

Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

BODY_MAX = 5000
REASON_MAX = 300


class SubjectKind(StrEnum):
    """What a comment is about."""

    PROPOSAL = "proposal"
    AGENDA_ITEM = "agenda_item"
    ACTIVITY = "activity"

    @property
    def label(self) -> str:
        return {"proposal": "proposal", "agenda_item": "agenda item", "activity": "activity"}[
            self.value
        ]


class CommentState(StrEnum):
    SHOWN = "shown"
    DELETED = "deleted"
    HIDDEN = "hidden"


MENTION = re.compile(r"(?<![\w@.])@([a-z0-9]+(?:\.[a-z0-9]+)*)", re.IGNORECASE)


def handle_of(name: str) -> str:
    """The handle a name gives, before making it unique ("member" when nothing is left)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    handle = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")
    return handle or "member"


def team_handles(members: Iterable[tuple[int, str]]) -> dict[str, int]:
    """{handle: membership id} for a team's current members given as (membership id, name)."""
    handles: dict[str, int] = {}
    for membership_id, name in sorted(members):
        base = handle_of(name)
        handle, number = base, 1
        while handle in handles:
            number += 1
            handle = f"{base}.{number}"
        handles[handle] = membership_id
    return handles


def mentioned_handles(text: str) -> list[str]:
    """The handles written after `@` in `text`, lower case, first occurrence first."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def mentioned_members(text: str, handles: dict[str, int], *, author_id: int) -> list[int]:
    """The membership ids `text` mentions (known handles only, the author left out)."""
    found = (handles.get(handle) for handle in mentioned_handles(text))
    return list(dict.fromkeys(m for m in found if m is not None and m != author_id))


def thread_parent(parent_id: int | None, parents_parent_id: int | None) -> int | None:
    """The comment a reply attaches to: one level only, so a reply to a reply joins the top
    comment's thread."""
    if parent_id is None:
        return None
    return parents_parent_id if parents_parent_id is not None else parent_id


def relative_time(then: datetime, now: datetime) -> str:
    """How long ago, as a phone's thread says it ("just now", "5 minutes ago", "yesterday")."""
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return "1 minute ago" if minutes == 1 else f"{minutes} minutes ago"
    hours = minutes // 60
    if hours < 24:
        return "1 hour ago" if hours == 1 else f"{hours} hours ago"
    days = hours // 24
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{days} days ago"
    months = days // 30
    if months < 12:
        return "1 month ago" if months == 1 else f"{months} months ago"
    years = days // 365
    return "1 year ago" if years <= 1 else f"{years} years ago"
