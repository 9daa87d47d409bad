"""Notifications: telling members what happened in their teams between meetings, in the app (the
bell, the notifications page) and by email (at once, in a daily digest, or not at all, per kind
and person, with a one-click unsubscribe).

The capability sits above every capability whose events it reports (`teamwork/layers.py`): it
listens to their signals (a proposal made, a round opened or closed, a decision reached, an
action item given, a deadline near, a mention in a comment) and nothing imports it.
"""
