"""Signals of the auth capability, answered by the capabilities built on it.

auth knows accounts, not teams: what makes an account need more (two-step sign-in for the
leads of a team) is answered by the teams capability. Imports only blinker.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace

_signals = Namespace()

# Asked with a `User` (who has not set up two-step sign-in yet) when the deployment requires it
# of some people (TEAMWORK_TWO_STEP_FOR_LEADS); a receiver answers True when the user is one of
# them (teams: a lead of any team). No receiver, or none answering True, means not required.
two_step_expected = _signals.signal("two-step-expected")


def expected_to_use_two_step(user: Any) -> bool:
    return any(answer is True for _receiver, answer in two_step_expected.send(user))
