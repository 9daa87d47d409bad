"""What the workplans capability tells the capabilities above it (blinker signals).

Standard library and blinker only.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the `Activity` (flushed, its owner set) and `actor` when an activity is created with
# an owner or given to another one; inside the change's transaction.
activity_assigned = _signals.signal("activity-assigned")
