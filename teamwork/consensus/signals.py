"""Signals of the consensus loop, for the capabilities built on it (charter adoption, ...).

Receivers run inside the sender's transaction, before its commit: what they change is committed
together with the decision, or rolled back with it.
"""

from blinker import Namespace

_signals = Namespace()

# Sent with the new `Decision` (flushed, so it has an id) when a round reaches consensus.
decision_recorded = _signals.signal("decision-recorded")

# Sent with the closed `Round` (its outcome and tally set) whenever a round is closed, whatever
# the outcome; the meetings capability writes the tally into the minutes.
round_closed = _signals.signal("round-closed")

# Asked with a team id before a designee's vote is recorded; a receiver answers True when the
# team's operating norms let designees vote (the charter's norms do). No receiver, or none
# answering True, means designees may not vote.
designee_votes_allowed = _signals.signal("designee-votes-allowed")


def designees_may_vote(team_id: int) -> bool:
    return any(answer is True for _receiver, answer in designee_votes_allowed.send(team_id))
