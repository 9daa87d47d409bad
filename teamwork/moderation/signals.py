"""What the moderation capability tells the capabilities above it (blinker signals).

Standard library and blinker only.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by the daily job (`moderation.notices.send_term_notices`) with the `ModeratorTerm` about
# to start, `recipients` (a list of (Membership, role) pairs, role "incoming", "outgoing" or
# "backup", each a current member) and `outgoing` (the Membership handing over, or None);
# once per term, inside the transaction that marks it announced (`notified_on`).
term_starting = _signals.signal("term-starting")
