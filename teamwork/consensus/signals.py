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

# Sent with the new `Proposal` (flushed) when a member puts one to the team, unless the
# capability that made it announces it in its own words (minutes put for approval).
proposal_created = _signals.signal("proposal-created")

# Sent with the new `Round` (flushed, so it has an id; its `closes_at` set if it has a deadline)
# when a moderator opens a round; the notifications capability tells those who may vote.
round_opened = _signals.signal("round-opened")

# Sent with an open `Round` whose deadline is near (TEAMWORK_ROUND_REMINDER_HOURS), once per
# round, and `membership_ids`: the frozenset of eligible voters who have not voted yet. The
# notifications capability reminds them; consensus itself sends no email.
round_deadline_near = _signals.signal("round-deadline-near")

# Asked with a team id before a designee's vote is recorded; a receiver answers True when the
# team's operating norms let designees vote (the charter's norms do). No receiver, or none
# answering True, means designees may not vote.
designee_votes_allowed = _signals.signal("designee-votes-allowed")

# Asked with the frozenset of ids of proposals whose open rounds wait for someone's vote (the
# dashboard); a receiver answers the set of those it lists under a heading of its own (the
# meetings capability: minutes put to the team for approval), so that "Waiting for your vote"
# leaves them out rather than list them twice.
listed_apart = _signals.signal("listed-apart")


def proposals_listed_apart(proposal_ids: frozenset[int]) -> frozenset[int]:
    found: set[int] = set()
    for _receiver, answer in listed_apart.send(proposal_ids):
        if isinstance(answer, frozenset | set):
            found |= answer
    return frozenset(found & proposal_ids)


def designees_may_vote(team_id: int) -> bool:
    return any(answer is True for _receiver, answer in designee_votes_allowed.send(team_id))


# Asked with a team id for the members eligible to vote in a round now; a receiver answers the
# set of their membership ids when it knows better than the membership list (the meetings
# capability: during a meeting with attendance recorded, the voting members who attend, and
# designees when the norms let them vote), or None. No receiver, or none answering a set, means
# every voting member of the team is eligible. Every count and list of a round (eligible, not
# voted yet, who has voted, quorum) is derived from this one answer (`consensus.services`).
eligible_voters = _signals.signal("eligible-voters")


def attending_voter_ids(team_id: int) -> frozenset[int] | None:
    for _receiver, answer in eligible_voters.send(team_id):
        if isinstance(answer, frozenset | set):
            return frozenset(answer)
    return None
