"""What the workplans capability tells the capabilities above it (blinker signals).

Standard library and blinker only.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the `Activity` (flushed, its owner set) and `actor` when an activity is created with
# an owner or given to another one; inside the change's transaction.
activity_assigned = _signals.signal("activity-assigned")

# Sent by the daily job (`workplans.reminders.send_due_reminders`) with the open `Activity`
# (its owner current and active) and `day`, once per due date: `activity_due_soon` in the days
# before it, `activity_overdue` the first run after it passed; inside the transaction that
# records it (`reminder_due_on`, `overdue_due_on`).
activity_due_soon = _signals.signal("activity-due-soon")
activity_overdue = _signals.signal("activity-overdue")
