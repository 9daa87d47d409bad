"""What meetings asks of the capabilities above it (blinker signals they answer).

Meetings sits below workplans in the layer order (`teamwork/layers.py`), so it never imports
workplans: the minutes page asks, and the workplans capability answers.

Standard library and blinker only.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with a team id and `action_item_ids` (a list): a receiver answers {action item id: the
# workplan activity it became}, for those that became one (workplans.services answers).
action_item_activities = _signals.signal("action-item-activities")

# Sent with the new `ActionItem` (flushed) when the recorder gives it to its owner.
action_item_added = _signals.signal("action-item-added")

# Sent with the meeting and the `Proposal` that puts its minutes to the team for approval.
minutes_proposed = _signals.signal("minutes-proposed")

# Sent with the `Meeting` when the moderator ends it (status ended, unresolved items carried
# forward), inside that transaction: its summary goes to every member.
meeting_ended = _signals.signal("meeting-ended")

# Sent with the `Meeting`, its agenda `items` (in order), `updated` (published before) and
# `actor`, when the agenda is published or published again; inside that transaction.
agenda_published = _signals.signal("agenda-published")

# Sent by the daily job (`meetings.reminders.send_action_item_reminders`) with the `ActionItem`
# and `day`, once per due date: `action_item_due_soon` in the days before it,
# `action_item_overdue` the first run after it passed; inside the transaction that records it.
action_item_due_soon = _signals.signal("action-item-due-soon")
action_item_overdue = _signals.signal("action-item-overdue")
