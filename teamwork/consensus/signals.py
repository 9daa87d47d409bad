"""Signals of the consensus loop, for the capabilities built on it (charter adoption, ...).

Receivers run inside the sender's transaction, before its commit: what they change is committed
together with the decision, or rolled back with it.
"""

from blinker import Namespace

_signals = Namespace()

# Sent with the new `Decision` (flushed, so it has an id) when a round reaches consensus.
decision_recorded = _signals.signal("decision-recorded")
