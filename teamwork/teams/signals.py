"""Signals of the teams capability, answered by the capabilities built on it.

Who moderates a team is the moderation capability's business (its terms, stand-ins and
policy), but the team's permissions (`TeamAccess.is_moderator`), its roster and its membership
changes need to know. teams asks here; moderation answers (`teamwork/moderation/terms.py`), so
nothing in teams imports moderation. Receivers of `membership_ending` run inside the sender's
transaction, before its commit. Imports only blinker.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace

_signals = Namespace()

# Asked with a team id and `membership` (the actor's current Membership) when a permission needs
# the moderator's powers; a receiver answers True or False (moderation: the term in office, a
# stand-in, or a lead while no one holds the term), or None when it has no say.
moderator_powers = _signals.signal("moderator-powers")


def holds_moderator_powers(team_id: int, membership: Any) -> bool | None:
    """What the receivers answered (True if any said True), or None when none answered."""
    answers = [
        a for _r, a in moderator_powers.send(team_id, membership=membership) if a is not None
    ]
    return any(a is True for a in answers) if answers else None


# Sent with a Membership that is being removed, or moved to a role that cannot hold the
# moderator's powers (observer): moderation ends the member's terms the same day.
membership_ending = _signals.signal("membership-ending")

# Asked with a team id and `members` (its current memberships) for the roster; a receiver
# answers a mapping with any of: "moderator" and "backup" (members), "term" and "next_term"
# (the term in office and the next one), "stand_in" (standing in for the moderator today).
roster_moderation = _signals.signal("roster-moderation")


def moderation_of_roster(team_id: int, members: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for _receiver, answer in roster_moderation.send(team_id, members=members):
        found.update(answer or {})
    return found
