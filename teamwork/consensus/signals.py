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


# Asked with a team id when counting the members eligible to vote in a round; a receiver answers
# a number when it knows better than the membership list (the meetings capability: during a
# meeting with attendance recorded, the voting members who attend), or None. No receiver, or none
# answering a number, means every voting member of the team is eligible.
eligible_voters = _signals.signal("eligible-voters")


def attending_voters(team_id: int) -> int | None:
    for _receiver, answer in eligible_voters.send(team_id):
        if isinstance(answer, int) and not isinstance(answer, bool):
            return answer
    return None
