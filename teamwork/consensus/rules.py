"""Pure consensus engine for the "thumbs" decision process.

Members vote thumbs up, sideways (stand aside) or down on a proposal, in rounds, and the
team loops until it reaches consensus (or withdraws the proposal, or a fallback such as
tabling it kicks in). This module holds every rule of that process as plain data and pure
functions: a team's :class:`DecisionRule`, ballot validation, tallying, evaluating a round,
which votes are concerns, deciding what is visible, and the rule in plain words. These are the
rules the services run (`consensus.services`, `consensus.voting`, `consensus.live`); a round's
lifecycle itself (open, revealed, closed) is kept in database rows by the services.

It may import only the Python standard library. It must never touch Flask, the database,
the clock or any other I/O, and it holds no mutable global state: callers pass everything
in (including times, if ever needed) and persist whatever comes out. That keeps the rules
trivially testable and lets the web layer and the database layer change without the rules
of consensus changing by accident.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Upper bound for every count in a rule. No team comes close to it; it exists so that a
# hostile or buggy client cannot store a number that overflows an integer database column.
MAX_COUNT = 1_000_000

# A fraction written as text ("1/2") never needs to be long; refusing long strings keeps
# Fraction() from doing pointless work on garbage input.
_MAX_FRACTION_TEXT = 32


# --------------------------------------------------------------------------------------
# Enums
# --------------------------------------------------------------------------------------


class Choice(StrEnum):
    """A member's vote on a proposal."""

    UP = "up"
    SIDEWAYS = "sideways"
    DOWN = "down"


class RoundStatus(StrEnum):
    """Whether a round still accepts votes."""

    OPEN = "open"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a closed round ended."""

    CONSENSUS = "consensus"
    NO_CONSENSUS = "no_consensus"
    WITHDRAWN = "withdrawn"


class RevealMode(StrEnum):
    """When members may see the running tally of a round."""

    # Everyone sees votes as they come in.
    LIVE = "live"
    # The tally stays hidden until everyone voted, the round closed, or it was revealed,
    # so early votes cannot anchor later ones.
    SIMULTANEOUS = "simultaneous"


class Fallback(StrEnum):
    """What happens after too many rounds without consensus."""

    KEEP_LOOPING = "keep_looping"
    TABLE = "table"
    ESCALATE = "escalate"


# --------------------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------------------


class ConsensusError(Exception):
    """Base class for every error raised by the consensus rules.

    ``message`` is plain English meant to be shown to the user as-is.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RuleError(ConsensusError, ValueError):
    """A decision rule is malformed; ``field`` names the offending field when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidVote(ConsensusError, ValueError):
    """A ballot is malformed (unknown choice, missing or overlong reason); ``field`` names the
    part of the ballot at fault ("choice" or "reason")."""

    def __init__(self, message: str, field: str = "reason") -> None:
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------------------
# Decision rule
# --------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    # bool is a subclass of int, but True is never a sensible count.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class DecisionRule:
    """A team's consensus rule.

    Quorum: ``quorum_count`` (when set) wins over ``quorum_share``. If both are ``None``
    the only quorum is "at least one vote". See :meth:`quorum_needed`.
    """

    quorum_share: Fraction | None = Fraction(1, 2)
    quorum_count: int | None = None
    block_threshold: int = 1
    sideways_cap: Fraction | None = None
    down_requires_reason: bool = True
    sideways_requires_reason: bool = False
    reveal_mode: RevealMode = RevealMode.LIVE
    anonymous: bool = False
    fallback_after_rounds: int | None = None
    fallback: Fallback = Fallback.KEEP_LOOPING

    def __post_init__(self) -> None:
        # Validate here as well as in from_dict so that an invalid rule cannot exist at all,
        # however it was built.
        share = self.quorum_share
        if share is not None and (not isinstance(share, Fraction) or not 0 < share <= 1):
            raise RuleError(
                'quorum_share must be a fraction greater than 0 and at most 1, such as "1/2".',
                "quorum_share",
            )
        count = self.quorum_count
        if count is not None and (not _is_int(count) or not 1 <= count <= MAX_COUNT):
            raise RuleError(
                f"quorum_count must be a whole number from 1 to {MAX_COUNT}, or empty.",
                "quorum_count",
            )
        if not _is_int(self.block_threshold) or not 1 <= self.block_threshold <= MAX_COUNT:
            raise RuleError(
                f"block_threshold must be a whole number from 1 to {MAX_COUNT}.",
                "block_threshold",
            )
        cap = self.sideways_cap
        if cap is not None and (not isinstance(cap, Fraction) or not 0 <= cap <= 1):
            raise RuleError(
                'sideways_cap must be a fraction from 0 to 1, such as "1/2", or empty.',
                "sideways_cap",
            )
        for name in ("down_requires_reason", "sideways_requires_reason", "anonymous"):
            if not isinstance(getattr(self, name), bool):
                raise RuleError(f"{name} must be true or false.", name)
        if not isinstance(self.reveal_mode, RevealMode):
            raise RuleError(
                f"reveal_mode must be one of: {_choices(RevealMode)}.",
                "reveal_mode",
            )
        rounds = self.fallback_after_rounds
        if rounds is not None and (not _is_int(rounds) or not 1 <= rounds <= MAX_COUNT):
            raise RuleError(
                f"fallback_after_rounds must be a whole number from 1 to {MAX_COUNT}, or empty.",
                "fallback_after_rounds",
            )
        if not isinstance(self.fallback, Fallback):
            raise RuleError(f"fallback must be one of: {_choices(Fallback)}.", "fallback")

    def quorum_needed(self, eligible: int) -> int:
        """How many of ``eligible`` members must vote for the round to count.

        - ``quorum_count`` set: that many votes, capped at ``eligible`` — a team smaller than
          the count can still decide, but only if everyone votes.
        - ``quorum_share`` < 1: strictly more than that share, i.e.
          ``floor(eligible * share) + 1`` (1/2 is a simple majority: 3 of 4, 3 of 5).
        - ``quorum_share`` == 1: everyone.
        - neither: one vote.

        Always between 1 and ``eligible`` when ``eligible > 0``; 0 when nobody is eligible.
        """
        if not _is_int(eligible) or eligible < 0:
            raise ValueError("eligible must be a non-negative whole number.")
        if eligible == 0:
            return 0
        if self.quorum_count is not None:
            needed = self.quorum_count
        elif self.quorum_share is None:
            needed = 1
        elif self.quorum_share >= 1:
            needed = eligible
        else:
            needed = math.floor(eligible * self.quorum_share) + 1
        return max(1, min(needed, eligible))

    def to_dict(self) -> dict[str, object]:
        """JSON-safe representation; fractions become strings such as ``"1/2"``."""
        return {
            "quorum_share": _fraction_text(self.quorum_share),
            "quorum_count": self.quorum_count,
            "block_threshold": self.block_threshold,
            "sideways_cap": _fraction_text(self.sideways_cap),
            "down_requires_reason": self.down_requires_reason,
            "sideways_requires_reason": self.sideways_requires_reason,
            "reveal_mode": self.reveal_mode.value,
            "anonymous": self.anonymous,
            "fallback_after_rounds": self.fallback_after_rounds,
            "fallback": self.fallback.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> "DecisionRule":
        """Build a rule from untrusted data (e.g. JSON or a form), validating by allowlist.

        Missing keys take their defaults; unknown keys, wrong types and out-of-range values
        raise :class:`RuleError` with a message naming the field.
        """
        if not isinstance(data, Mapping):
            raise RuleError("The decision rule must be a set of named settings.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise RuleError(f"Unknown setting(s) in the decision rule: {', '.join(unknown)}.")

        kwargs: dict[str, object] = {}
        for name in ("quorum_share", "sideways_cap"):
            if name in data:
                kwargs[name] = _parse_fraction(name, data[name])
        for name in ("quorum_count", "block_threshold", "fallback_after_rounds"):
            if name in data:
                value = data[name]
                nullable = name != "block_threshold"
                if not (_is_int(value) or (nullable and value is None)):
                    suffix = ", or empty" if nullable else ""
                    raise RuleError(f"{name} must be a whole number{suffix}.", name)
                kwargs[name] = value
        for name in ("down_requires_reason", "sideways_requires_reason", "anonymous"):
            if name in data:
                if not isinstance(data[name], bool):
                    raise RuleError(f"{name} must be true or false.", name)
                kwargs[name] = data[name]
        if "reveal_mode" in data:
            kwargs["reveal_mode"] = _parse_enum("reveal_mode", RevealMode, data["reveal_mode"])
        if "fallback" in data:
            kwargs["fallback"] = _parse_enum("fallback", Fallback, data["fallback"])
        # Ranges are checked once, in __post_init__.
        return cls(**kwargs)  # type: ignore[arg-type]


def _choices(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _parse_fraction(name: str, value: object) -> Fraction | None:
    # Accept what a JSON client could plausibly send: "1/2", "0.5", 0.5, 1, or null.
    message = f'{name} must be a fraction such as "1/2", or empty.'
    if value is None:
        return None
    if isinstance(value, bool):
        raise RuleError(message, name)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RuleError(message, name)
        # Going through str() keeps the decimal the user wrote (0.1 -> 1/10), not the
        # binary approximation Fraction(0.1) would give.
        return Fraction(str(value))
    if isinstance(value, str) and len(value) <= _MAX_FRACTION_TEXT:
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise RuleError(message, name) from None
    raise RuleError(message, name)


_E = TypeVar("_E", bound=StrEnum)


def _parse_enum(name: str, enum: type[_E], value: object) -> _E:
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise RuleError(f"{name} must be one of: {_choices(enum)}.", name)


# --------------------------------------------------------------------------------------
# Ballots and tallies
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    """One vote by one member. A later ballot by the same member replaces earlier ones."""

    voter_id: int
    choice: Choice
    reason: str = ""


@dataclass(frozen=True)
class Tally:
    """Counts of each choice, one per voter."""

    up: int = 0
    sideways: int = 0
    down: int = 0

    @property
    def total(self) -> int:
        return self.up + self.sideways + self.down


def _latest_per_voter(ballots: Iterable[Ballot]) -> dict[int, Ballot]:
    # A dict keyed by voter keeps only the last ballot, so a changed vote never counts twice.
    latest: dict[int, Ballot] = {}
    for ballot in ballots:
        latest[ballot.voter_id] = ballot
    return latest


def tally(ballots: Iterable[Ballot]) -> Tally:
    """Count the ballots; only each voter's last ballot counts."""
    counts = dict.fromkeys(Choice, 0)
    for ballot in _latest_per_voter(ballots).values():
        counts[ballot.choice] += 1
    return Tally(up=counts[Choice.UP], sideways=counts[Choice.SIDEWAYS], down=counts[Choice.DOWN])


def validate_ballot(
    rule: DecisionRule, choice: str, reason: str | None, max_reason_length: int = 2000
) -> tuple[Choice, str]:
    """Parse a raw choice and reason; raise :class:`InvalidVote` if the rule rejects them.

    The choice is matched case-insensitively after trimming whitespace; the reason is
    trimmed so that a reason of only spaces does not satisfy a "reason required" rule.
    """
    if not isinstance(choice, str):
        raise InvalidVote("Please choose thumbs up, sideways or down.", field="choice")
    try:
        parsed = Choice(choice.strip().lower())
    except ValueError:
        raise InvalidVote(
            f"{choice!r} is not a valid vote; choose thumbs up, sideways or down.", field="choice"
        ) from None
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise InvalidVote("The reason must be text.")
    reason = reason.strip()
    if parsed is Choice.DOWN and rule.down_requires_reason and not reason:
        raise InvalidVote("Please give a reason for your thumbs down.")
    if parsed is Choice.SIDEWAYS and rule.sideways_requires_reason and not reason:
        raise InvalidVote("Please give a reason for standing aside.")
    if len(reason) > max_reason_length:
        raise InvalidVote(
            f"The reason is too long: {len(reason)} characters, at most "
            f"{max_reason_length} allowed."
        )
    return parsed, reason


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """The verdict on a set of ballots, with every reason consensus failed."""

    outcome: Outcome
    tally: Tally
    eligible: int
    quorum_needed: int
    quorum_met: bool
    blocked: bool
    sideways_exceeded: bool
    no_support: bool
    reasons: tuple[str, ...] = ()


def evaluate(rule: DecisionRule, eligible: int, ballots: Iterable[Ballot]) -> Evaluation:
    """Decide whether ``ballots`` reach consensus among ``eligible`` members under ``rule``.

    Consensus holds exactly when the quorum is met, there are fewer downs than the block
    threshold, sideways votes do not exceed the cap (if any), and at least one member is in
    favour — a proposal nobody supports is not a decision, even if nobody objects.
    """
    counts = tally(ballots)
    needed = rule.quorum_needed(eligible)
    quorum_met = counts.total >= needed
    blocked = counts.down >= rule.block_threshold
    cap = rule.sideways_cap
    # With no votes at all the share of sideways is undefined; "no support" covers that case.
    sideways_exceeded = (
        cap is not None and counts.total > 0 and Fraction(counts.sideways, counts.total) > cap
    )
    no_support = counts.up < 1

    reasons: list[str] = []
    if not quorum_met:
        reasons.append(f"Quorum not met: {counts.total} of {eligible} voted, {needed} needed.")
    if blocked:
        threshold = "" if rule.block_threshold == 1 else f" ({rule.block_threshold} or more block)"
        reasons.append(f"Blocked: {counts.down} thumbs down{threshold}.")
    if sideways_exceeded:
        reasons.append(
            f"Too many stand aside: {counts.sideways} of {counts.total} votes are sideways "
            f"(cap {cap})."
        )
    if no_support:
        reasons.append("No one is in favour.")

    return Evaluation(
        outcome=Outcome.NO_CONSENSUS if reasons else Outcome.CONSENSUS,
        tally=counts,
        eligible=eligible,
        quorum_needed=needed,
        quorum_met=quorum_met,
        blocked=blocked,
        sideways_exceeded=sideways_exceeded,
        no_support=no_support,
        reasons=tuple(reasons),
    )


def is_concern(choice: Choice, reason: str | None) -> bool:
    """Whether a vote is a concern: every thumbs down, and a sideways vote that gives a reason
    (standing aside with something to say). Concerns are shown with the tally and recorded at
    close, for the next amendment to answer."""
    return choice is Choice.DOWN or (choice is Choice.SIDEWAYS and bool(reason))


def fallback_due(rule: DecisionRule, rounds_without_consensus: int) -> Fallback | None:
    """The fallback to apply now, or ``None`` to keep looping."""
    if (
        rule.fallback_after_rounds is not None
        and rounds_without_consensus >= rule.fallback_after_rounds
        and rule.fallback is not Fallback.KEEP_LOOPING
    ):
        return rule.fallback
    return None


def tally_visible(
    rule: DecisionRule, *, status: RoundStatus, eligible: int, voted: int, revealed: bool
) -> bool:
    """Whether members may see the running tally of a round.

    In simultaneous mode the tally is hidden until the round is closed, the moderator
    reveals it, or every eligible member has voted — so nobody votes after peeking.
    """
    if rule.reveal_mode is RevealMode.LIVE:
        return True
    return status is RoundStatus.CLOSED or revealed or (eligible > 0 and voted >= eligible)


def movement(history: Iterable[Ballot]) -> dict[int, tuple[Choice, ...]]:
    """Per voter, the sequence of distinct successive choices (e.g. down → sideways → up).

    Re-casting the same choice (say, only to reword the reason) is not movement.
    """
    paths: dict[int, list[Choice]] = {}
    for ballot in history:
        path = paths.setdefault(ballot.voter_id, [])
        if not path or path[-1] != ballot.choice:
            path.append(ballot.choice)
    return {voter: tuple(path) for voter, path in paths.items()}


# --- The rule in words ------------------------------------------------------------------


def _percent(share: Fraction) -> str:
    return f"{float(share) * 100:.0f}%"


def describe_rule(rule: DecisionRule) -> str:
    """The rule in plain words, as the text members vote on."""
    if rule.quorum_count is not None:
        quorum = f"at least {rule.quorum_count} voting members vote"
    elif rule.quorum_share is not None and rule.quorum_share < 1:
        share = "half" if rule.quorum_share == Fraction(1, 2) else _percent(rule.quorum_share)
        quorum = f"more than {share} of the voting members vote"
    else:
        quorum = "every voting member votes"
    blocks = (
        "any thumbs down blocks consensus"
        if rule.block_threshold == 1
        else f"{rule.block_threshold} or more thumbs down block consensus"
    )
    lines = [
        f"A round counts when {quorum}; {blocks}.",
        (
            f"Consensus fails when more than {_percent(rule.sideways_cap)} of the votes are "
            "sideways."
            if rule.sideways_cap is not None
            else "There is no limit on sideways votes."
        ),
        "A thumbs down needs a reason."
        if rule.down_requires_reason
        else "A thumbs down needs no reason.",
        (
            "Votes are hidden until everyone has voted or the moderator reveals them."
            if rule.reveal_mode.value == "simultaneous"
            else "The tally is shown live as votes arrive."
        ),
        "Votes are anonymous." if rule.anonymous else "Votes are named.",
    ]
    if rule.fallback_after_rounds and rule.fallback.value != "keep_looping":
        action = "tabled" if rule.fallback.value == "table" else "escalated to the parent team"
        lines.append(
            f"After {rounds_text(rule.fallback_after_rounds)} without consensus the proposal is"
            f" {action}."
        )
    else:
        lines.append("Rounds continue until consensus.")
    return "\n".join(lines)


def rounds_text(count: int) -> str:
    """ "1 round", "2 rounds": a count of rounds as people write it."""
    return f"{count} round" if count == 1 else f"{count} rounds"


# --- Deadlines ---------------------------------------------------------------------------

DEADLINE_MAX_DAYS = 90


def deadline_problem(
    closes_at: datetime, now: datetime, *, max_days: int = DEADLINE_MAX_DAYS
) -> str | None:
    """Why a round may not close at `closes_at` (aware), or None when it may."""
    if closes_at <= now:
        return "Choose a closing time in the future."
    if closes_at - now > timedelta(days=max_days):
        return f"Choose a closing time within {max_days} days."
    return None


def parse_local_time(text: str, zone: str) -> datetime | None:
    """The aware UTC time that `text` names: "YYYY-MM-DDTHH:MM" read in `zone` (or in its own
    offset when it carries one); None for "". ValueError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 32:
        raise ValueError(text)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        # fold=0: of an hour that happens twice (clocks going back), the first.
        value = value.replace(tzinfo=_zone(zone))
        # A time that does not exist (clocks going forward) is moved on by the gap.
        value = value.astimezone(UTC).astimezone(value.tzinfo)
    return value.astimezone(UTC)


def in_zone(value: datetime, zone: str) -> datetime:
    """`value` as the clock in `zone` reads it (an unknown zone reads as UTC)."""
    return value.astimezone(_zone(zone))


def _zone(name: str) -> tzinfo:
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def deadline_text(closes_at: datetime, zone: str) -> str:
    """ "Fri 11 Dec, 17:00 PST": a closing time as the team reads it, in its zone."""
    local = closes_at.astimezone(_zone(zone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname() or 'UTC'}"


def deadline_clock(closes_at: datetime, now: datetime, zone: str) -> str:
    """ "17:00" on the day itself, else "Fri 11 Dec, 17:00 PST": for "Voting closed at 17:00."."""
    local = closes_at.astimezone(_zone(zone))
    if local.date() == now.astimezone(local.tzinfo).date():
        return f"{local:%H:%M}"
    return deadline_text(closes_at, zone)


def time_left_text(seconds: float) -> str:
    """ "2 days 4 hours left", "3 hours 5 minutes left", "3 minutes left", "less than a minute
    left", "closing now" (the same words as static/js/live-round.js)."""
    if seconds <= 0:
        return "closing now"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute left"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    if days:
        parts = [unit(days, "day")] + ([unit(hours, "hour")] if hours else [])
    elif hours:
        parts = [unit(hours, "hour")] + ([unit(minutes, "minute")] if minutes else [])
    else:
        parts = [unit(minutes, "minute")]
    return " ".join(parts) + " left"
