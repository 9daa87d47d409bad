"""What the discussion tells the capabilities above it (notifications connect here).

`comment_posted` is sent after a new comment or reply is committed, with the comment as
sender and `mentioned` (membership ids of current members named by `@handle`, the author
left out) and `replied_to` (the membership id of the author of the comment replied to, or None
for a top-level comment or a reply to one's own comment). Edits send nothing: a mention added by
an edit does not notify. Imports blinker only.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

comment_posted = _signals.signal("comment-posted")
