"""Tests for the pure consensus engine (teamwork.consensus.rules).

No app, database or network: every function under test is pure, so plain values in and
plain values out, plus hypothesis properties for the invariants the product relies on.
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teamwork.consensus import rules
from teamwork.consensus.rules import (
    Ballot,
    Choice,
    ConsensusError,
    DecisionRule,
    Evaluation,
    Fallback,
    InvalidVote,
    Outcome,
    RevealMode,
    RoundStatus,
    RuleError,
    Tally,
    describe_rule,
    evaluate,
    fallback_due,
    is_concern,
    movement,
    tally,
    tally_visible,
    validate_ballot,
)

FAST = settings(max_examples=60, deadline=None)

UP, SIDEWAYS, DOWN = Choice.UP, Choice.SIDEWAYS, Choice.DOWN


def ballots_of(*choices: Choice) -> list[Ballot]:
    """One ballot per voter, voter ids 1..n, with a reason so downs are always valid."""
    return [Ballot(voter_id=i, choice=c, reason="r") for i, c in enumerate(choices, start=1)]


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

fractions_0_1 = st.fractions(min_value=0, max_value=1, max_denominator=12)
positive_counts = st.integers(min_value=1, max_value=rules.MAX_COUNT)

rules_strategy = st.builds(
    DecisionRule,
    quorum_share=st.none() | fractions_0_1.filter(lambda f: f > 0),
    quorum_count=st.none() | st.integers(min_value=1, max_value=12),
    block_threshold=st.integers(min_value=1, max_value=5),
    sideways_cap=st.none() | fractions_0_1,
    down_requires_reason=st.booleans(),
    sideways_requires_reason=st.booleans(),
    reveal_mode=st.sampled_from(RevealMode),
    anonymous=st.booleans(),
    fallback_after_rounds=st.none() | st.integers(min_value=1, max_value=10),
    fallback=st.sampled_from(Fallback),
)

choices = st.sampled_from(Choice)


@st.composite
def electorate_and_ballots(draw: st.DrawFn) -> tuple[int, list[Ballot]]:
    """An eligible count and ballots from those voters, with repeat (changed) votes."""
    eligible = draw(st.integers(min_value=0, max_value=10))
    if eligible == 0:
        return 0, []
    ballot = st.builds(
        Ballot,
        voter_id=st.integers(min_value=1, max_value=eligible),
        choice=choices,
        reason=st.sampled_from(["", "because"]),
    )
    return eligible, draw(st.lists(ballot, max_size=25))


# --------------------------------------------------------------------------------------
# Enums and exceptions
# --------------------------------------------------------------------------------------


def test_enum_values_are_the_stored_strings() -> None:
    assert [c.value for c in Choice] == ["up", "sideways", "down"]
    assert [s.value for s in RoundStatus] == ["open", "closed"]
    assert [o.value for o in Outcome] == ["consensus", "no_consensus", "withdrawn"]
    assert [m.value for m in RevealMode] == ["live", "simultaneous"]
    assert [f.value for f in Fallback] == ["keep_looping", "table", "escalate"]
    assert Choice("up") is UP


@pytest.mark.parametrize(
    ("error_type", "also_value_error"),
    [(RuleError, True), (InvalidVote, True)],
)
def test_errors_share_a_base_and_carry_a_user_message(
    error_type: type[ConsensusError], also_value_error: bool
) -> None:
    error = error_type("Something is wrong.")
    assert isinstance(error, ConsensusError)
    assert isinstance(error, ValueError) is also_value_error
    assert error.message == "Something is wrong."
    assert str(error) == "Something is wrong."


# --------------------------------------------------------------------------------------
# Quorum
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eligible", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (10, 6)]
)
def test_quorum_default_is_a_majority_of_eligible(eligible: int, needed: int) -> None:
    assert DecisionRule().quorum_needed(eligible) == needed


def test_quorum_share_of_one_means_everyone() -> None:
    rule = DecisionRule(quorum_share=Fraction(1))
    assert [rule.quorum_needed(n) for n in (1, 4, 7)] == [1, 4, 7]


def test_quorum_share_above_half_needs_strictly_more_than_that_share() -> None:
    rule = DecisionRule(quorum_share=Fraction(2, 3))
    assert rule.quorum_needed(3) == 3
    assert rule.quorum_needed(6) == 5
    assert rule.quorum_needed(7) == 5


def test_quorum_count_overrides_share_and_is_capped_at_team_size() -> None:
    rule = DecisionRule(quorum_share=Fraction(1, 2), quorum_count=4)
    assert rule.quorum_needed(10) == 4
    # A team smaller than the count can still decide, but only if everyone votes.
    assert rule.quorum_needed(3) == 3


def test_quorum_without_share_or_count_is_one_vote() -> None:
    rule = DecisionRule(quorum_share=None)
    assert rule.quorum_needed(9) == 1


def test_quorum_of_an_empty_team_is_zero() -> None:
    assert DecisionRule().quorum_needed(0) == 0


def test_quorum_rejects_a_negative_team_size() -> None:
    with pytest.raises(ValueError, match="eligible"):
        DecisionRule().quorum_needed(-1)


@FAST
@given(rule=rules_strategy, eligible=st.integers(min_value=1, max_value=500))
def test_quorum_is_always_between_one_and_the_team_size(rule: DecisionRule, eligible: int) -> None:
    assert 1 <= rule.quorum_needed(eligible) <= eligible


# --------------------------------------------------------------------------------------
# Rule serialisation and validation
# --------------------------------------------------------------------------------------


def test_rule_defaults_match_the_documented_defaults() -> None:
    assert DecisionRule().to_dict() == {
        "quorum_share": "1/2",
        "quorum_count": None,
        "block_threshold": 1,
        "sideways_cap": None,
        "down_requires_reason": True,
        "sideways_requires_reason": False,
        "reveal_mode": "live",
        "anonymous": False,
        "fallback_after_rounds": None,
        "fallback": "keep_looping",
    }


def test_rule_from_empty_dict_is_the_default_rule() -> None:
    assert DecisionRule.from_dict({}) == DecisionRule()


def test_rule_from_dict_parses_text_fractions_and_enum_values() -> None:
    rule = DecisionRule.from_dict(
        {
            "quorum_share": "2/3",
            "sideways_cap": "0.5",
            "reveal_mode": "simultaneous",
            "fallback": "table",
            "fallback_after_rounds": 3,
        }
    )
    assert rule.quorum_share == Fraction(2, 3)
    assert rule.sideways_cap == Fraction(1, 2)
    assert rule.reveal_mode is RevealMode.SIMULTANEOUS
    assert rule.fallback is Fallback.TABLE
    assert rule.fallback_after_rounds == 3


def test_rule_from_dict_accepts_json_numbers_for_fractions() -> None:
    rule = DecisionRule.from_dict({"quorum_share": 1, "sideways_cap": 0.25})
    assert rule.quorum_share == Fraction(1)
    assert rule.sideways_cap == Fraction(1, 4)


@FAST
@given(rule=rules_strategy)
def test_rule_round_trips_through_to_dict_and_from_dict(rule: DecisionRule) -> None:
    data = rule.to_dict()
    # JSON-safe: only plain scalars, no Fraction or enum objects sneaking through.
    assert all(type(v) in (str, int, bool, type(None)) for v in data.values())
    assert DecisionRule.from_dict(data) == rule


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"quorum_share": "0"}, "quorum_share"),
        ({"quorum_share": "-1/2"}, "quorum_share"),
        ({"quorum_share": "3/2"}, "quorum_share"),
        ({"quorum_share": "1/0"}, "quorum_share"),
        ({"quorum_share": "half"}, "quorum_share"),
        ({"quorum_share": True}, "quorum_share"),
        ({"quorum_share": float("nan")}, "quorum_share"),
        ({"quorum_share": "1" * 100}, "quorum_share"),
        ({"quorum_share": [1, 2]}, "quorum_share"),
        ({"quorum_count": -1}, "quorum_count"),
        ({"quorum_count": 0}, "quorum_count"),
        ({"quorum_count": "3"}, "quorum_count"),
        ({"quorum_count": 2.5}, "quorum_count"),
        ({"quorum_count": rules.MAX_COUNT + 1}, "quorum_count"),
        ({"block_threshold": 0}, "block_threshold"),
        ({"block_threshold": None}, "block_threshold"),
        ({"block_threshold": True}, "block_threshold"),
        ({"sideways_cap": "-1/3"}, "sideways_cap"),
        ({"sideways_cap": "5/4"}, "sideways_cap"),
        ({"down_requires_reason": "yes"}, "down_requires_reason"),
        ({"sideways_requires_reason": 1}, "sideways_requires_reason"),
        ({"anonymous": None}, "anonymous"),
        ({"reveal_mode": "secret"}, "reveal_mode"),
        ({"reveal_mode": 1}, "reveal_mode"),
        ({"fallback_after_rounds": 0}, "fallback_after_rounds"),
        ({"fallback_after_rounds": -3}, "fallback_after_rounds"),
        ({"fallback": "vote_harder"}, "fallback"),
    ],
)
def test_rule_from_dict_rejects_bad_input_naming_the_field(
    data: dict[str, object], field: str
) -> None:
    with pytest.raises(RuleError, match=field) as caught:
        DecisionRule.from_dict(data)
    assert isinstance(caught.value, ValueError)
    assert caught.value.message.endswith(".")


def test_rule_from_dict_rejects_something_that_is_not_a_mapping() -> None:
    with pytest.raises(RuleError, match="named settings"):
        DecisionRule.from_dict(["quorum_share"])  # type: ignore[arg-type]


def test_rule_error_exposes_the_field_for_form_display() -> None:
    with pytest.raises(RuleError) as caught:
        DecisionRule.from_dict({"block_threshold": 0})
    assert caught.value.field == "block_threshold"


def test_an_invalid_rule_cannot_be_constructed_directly() -> None:
    with pytest.raises(RuleError, match="quorum_share"):
        DecisionRule(quorum_share=0.5)  # type: ignore[arg-type]
    with pytest.raises(RuleError, match="block_threshold"):
        DecisionRule(block_threshold=0)
    with pytest.raises(RuleError, match="reveal_mode"):
        DecisionRule(reveal_mode="live")  # type: ignore[arg-type]


def test_rules_are_frozen() -> None:
    rule = DecisionRule()
    with pytest.raises(AttributeError):
        rule.block_threshold = 2  # type: ignore[misc]
    assert rule.block_threshold == 1


# --------------------------------------------------------------------------------------
# Tally
# --------------------------------------------------------------------------------------


def test_tally_counts_each_choice() -> None:
    result = tally(ballots_of(UP, UP, SIDEWAYS, DOWN))
    assert result == Tally(up=2, sideways=1, down=1)
    assert result.total == 4


def test_tally_of_no_ballots_is_empty() -> None:
    assert tally([]) == Tally(0, 0, 0)
    assert tally([]).total == 0


def test_a_changed_vote_only_counts_the_last_choice() -> None:
    ballots = [Ballot(1, DOWN, "no"), Ballot(2, UP), Ballot(1, SIDEWAYS), Ballot(1, UP)]
    assert tally(ballots) == Tally(up=2, sideways=0, down=0)


@FAST
@given(data=electorate_and_ballots())
def test_changing_a_vote_never_counts_twice(data: tuple[int, list[Ballot]]) -> None:
    _, ballots = data
    result = tally(ballots)
    assert result.total == len({b.voter_id for b in ballots})
    last = {b.voter_id: b.choice for b in ballots}
    assert result.up == sum(c is UP for c in last.values())
    assert result.sideways == sum(c is SIDEWAYS for c in last.values())
    assert result.down == sum(c is DOWN for c in last.values())


# --------------------------------------------------------------------------------------
# Ballot validation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("up", UP), ("sideways", SIDEWAYS), (" Down ", DOWN), (UP, UP)]
)
def test_validate_ballot_parses_the_choice(raw: str, expected: Choice) -> None:
    assert validate_ballot(DecisionRule(), raw, "why") == (expected, "why")


@pytest.mark.parametrize("raw", ["", "yes", "thumbs up", "upp", "1", None, 1])
def test_validate_ballot_rejects_unknown_choices(raw: object) -> None:
    with pytest.raises(InvalidVote, match="up, sideways or down"):
        validate_ballot(DecisionRule(), raw, "")  # type: ignore[arg-type]


def test_validate_ballot_strips_the_reason_and_treats_none_as_empty() -> None:
    assert validate_ballot(DecisionRule(), "up", "  because  ") == (UP, "because")
    assert validate_ballot(DecisionRule(), "up", None) == (UP, "")


@pytest.mark.parametrize("reason", [None, "", "   \n\t"])
def test_thumbs_down_requires_a_reason_by_default(reason: str | None) -> None:
    with pytest.raises(InvalidVote, match="reason for your thumbs down"):
        validate_ballot(DecisionRule(), "down", reason)


def test_thumbs_down_without_reason_is_allowed_when_the_rule_says_so() -> None:
    rule = DecisionRule(down_requires_reason=False)
    assert validate_ballot(rule, "down", None) == (DOWN, "")


def test_sideways_reason_is_optional_by_default_but_can_be_required() -> None:
    assert validate_ballot(DecisionRule(), "sideways", "") == (SIDEWAYS, "")
    rule = DecisionRule(sideways_requires_reason=True)
    with pytest.raises(InvalidVote, match="standing aside"):
        validate_ballot(rule, "sideways", " ")
    assert validate_ballot(rule, "sideways", "conflict of interest") == (
        SIDEWAYS,
        "conflict of interest",
    )


def test_validate_ballot_enforces_the_maximum_reason_length() -> None:
    rule = DecisionRule()
    assert validate_ballot(rule, "up", "x" * 10, max_reason_length=10) == (UP, "x" * 10)
    with pytest.raises(InvalidVote, match="too long: 11 characters, at most 10"):
        validate_ballot(rule, "up", "x" * 11, max_reason_length=10)
    with pytest.raises(InvalidVote, match="too long"):
        validate_ballot(rule, "up", "x" * 2001)


def test_validate_ballot_rejects_a_non_text_reason() -> None:
    with pytest.raises(InvalidVote, match="must be text"):
        validate_ballot(DecisionRule(), "up", 42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


def test_all_thumbs_up_with_quorum_is_consensus() -> None:
    result = evaluate(DecisionRule(), 4, ballots_of(UP, UP, UP))
    assert result == Evaluation(
        outcome=Outcome.CONSENSUS,
        tally=Tally(up=3, sideways=0, down=0),
        eligible=4,
        quorum_needed=3,
        quorum_met=True,
        blocked=False,
        sideways_exceeded=False,
        no_support=False,
        reasons=(),
    )


def test_any_down_blocks_consensus_by_default() -> None:
    result = evaluate(DecisionRule(), 5, ballots_of(UP, UP, UP, UP, DOWN))
    assert result.outcome is Outcome.NO_CONSENSUS
    assert result.blocked
    assert result.reasons == ("Blocked: 1 thumbs down.",)


def test_a_higher_block_threshold_tolerates_fewer_downs() -> None:
    rule = DecisionRule(block_threshold=2)
    assert evaluate(rule, 4, ballots_of(UP, UP, DOWN)).outcome is Outcome.CONSENSUS
    blocked = evaluate(rule, 4, ballots_of(UP, DOWN, DOWN))
    assert blocked.outcome is Outcome.NO_CONSENSUS
    assert blocked.reasons == ("Blocked: 2 thumbs down (2 or more block).",)


def test_missing_quorum_prevents_consensus_and_explains_the_numbers() -> None:
    result = evaluate(DecisionRule(), 5, ballots_of(UP, UP))
    assert result.outcome is Outcome.NO_CONSENSUS
    assert not result.quorum_met
    assert result.reasons == ("Quorum not met: 2 of 5 voted, 3 needed.",)


def test_sideways_cap_fails_consensus_only_when_exceeded() -> None:
    rule = DecisionRule(sideways_cap=Fraction(1, 2))
    at_cap = evaluate(rule, 4, ballots_of(UP, UP, SIDEWAYS, SIDEWAYS))
    assert at_cap.outcome is Outcome.CONSENSUS
    over = evaluate(rule, 4, ballots_of(UP, SIDEWAYS, SIDEWAYS, SIDEWAYS))
    assert over.sideways_exceeded
    assert over.reasons == ("Too many stand aside: 3 of 4 votes are sideways (cap 1/2).",)


def test_without_a_sideways_cap_standing_aside_never_blocks() -> None:
    result = evaluate(DecisionRule(), 4, ballots_of(UP, SIDEWAYS, SIDEWAYS, SIDEWAYS))
    assert result.outcome is Outcome.CONSENSUS
    assert not result.sideways_exceeded


def test_a_proposal_no_one_supports_is_not_a_decision() -> None:
    result = evaluate(DecisionRule(), 3, ballots_of(SIDEWAYS, SIDEWAYS, SIDEWAYS))
    assert result.outcome is Outcome.NO_CONSENSUS
    assert result.no_support
    assert result.reasons == ("No one is in favour.",)


def test_every_failed_condition_is_reported_in_order() -> None:
    rule = DecisionRule(quorum_share=Fraction(1), sideways_cap=Fraction(0))
    result = evaluate(rule, 5, ballots_of(SIDEWAYS, DOWN))
    assert result.reasons == (
        "Quorum not met: 2 of 5 voted, 5 needed.",
        "Blocked: 1 thumbs down.",
        "Too many stand aside: 1 of 2 votes are sideways (cap 0).",
        "No one is in favour.",
    )


def test_evaluating_an_empty_round_is_no_consensus_without_crashing() -> None:
    result = evaluate(DecisionRule(sideways_cap=Fraction(1, 2)), 0, [])
    assert result.outcome is Outcome.NO_CONSENSUS
    assert result.quorum_met
    assert not result.sideways_exceeded
    assert result.reasons == ("No one is in favour.",)


def test_evaluate_counts_only_each_voters_last_ballot() -> None:
    ballots = [Ballot(1, DOWN, "no"), Ballot(2, UP), Ballot(1, UP)]
    result = evaluate(DecisionRule(), 2, ballots)
    assert result.outcome is Outcome.CONSENSUS
    assert result.tally == Tally(up=2, sideways=0, down=0)


def expected_quorum(rule: DecisionRule, eligible: int) -> int:
    """Independent re-statement of the quorum rule using integer arithmetic only."""
    if eligible == 0:
        return 0
    if rule.quorum_count is not None:
        needed = rule.quorum_count
    elif rule.quorum_share is None:
        needed = 1
    elif rule.quorum_share == 1:
        needed = eligible
    else:
        share = rule.quorum_share
        needed = eligible * share.numerator // share.denominator + 1
    return max(1, min(needed, eligible))


@settings(max_examples=200, deadline=None)
@given(rule=rules_strategy, data=electorate_and_ballots())
def test_outcome_is_consensus_exactly_when_the_rule_holds(
    rule: DecisionRule, data: tuple[int, list[Ballot]]
) -> None:
    eligible, ballots = data
    last = {b.voter_id: b.choice for b in ballots}
    up = sum(c is UP for c in last.values())
    sideways = sum(c is SIDEWAYS for c in last.values())
    down = sum(c is DOWN for c in last.values())
    total = up + sideways + down
    cap = rule.sideways_cap
    quorum_ok = total >= expected_quorum(rule, eligible)
    sideways_ok = cap is None or sideways * cap.denominator <= cap.numerator * total
    holds = quorum_ok and down < rule.block_threshold and sideways_ok and up >= 1

    result = evaluate(rule, eligible, ballots)

    assert (result.outcome is Outcome.CONSENSUS) is holds
    assert result.quorum_needed == expected_quorum(rule, eligible)
    assert result.quorum_met is quorum_ok
    assert result.blocked is (down >= rule.block_threshold)
    assert result.no_support is (up == 0)
    # Reasons are given exactly when consensus fails, one per failed condition.
    failed = [not quorum_ok, result.blocked, result.sideways_exceeded, result.no_support]
    assert len(result.reasons) == sum(failed)
    assert (result.reasons == ()) is holds


# --------------------------------------------------------------------------------------
# Fallback
# --------------------------------------------------------------------------------------


def test_fallback_is_never_due_by_default() -> None:
    assert fallback_due(DecisionRule(), 1_000) is None


@pytest.mark.parametrize(
    ("rounds", "expected"), [(0, None), (2, None), (3, Fallback.TABLE), (7, Fallback.TABLE)]
)
def test_fallback_is_due_once_enough_rounds_failed(rounds: int, expected: Fallback | None) -> None:
    rule = DecisionRule(fallback_after_rounds=3, fallback=Fallback.TABLE)
    assert fallback_due(rule, rounds) is expected


def test_keep_looping_is_never_reported_as_a_due_fallback() -> None:
    rule = DecisionRule(fallback_after_rounds=1, fallback=Fallback.KEEP_LOOPING)
    assert fallback_due(rule, 5) is None


def test_escalate_fallback_is_reported() -> None:
    rule = DecisionRule(fallback_after_rounds=2, fallback=Fallback.ESCALATE)
    assert fallback_due(rule, 2) is Fallback.ESCALATE


# --------------------------------------------------------------------------------------
# Tally visibility
# --------------------------------------------------------------------------------------

SIMULTANEOUS_RULE = DecisionRule(reveal_mode=RevealMode.SIMULTANEOUS)


def test_live_mode_always_shows_the_tally() -> None:
    assert tally_visible(
        DecisionRule(), status=RoundStatus.OPEN, eligible=5, voted=0, revealed=False
    )


def test_simultaneous_mode_hides_the_tally_while_votes_are_outstanding() -> None:
    assert not tally_visible(
        SIMULTANEOUS_RULE, status=RoundStatus.OPEN, eligible=5, voted=4, revealed=False
    )


@pytest.mark.parametrize(
    ("status", "voted", "revealed"),
    [(RoundStatus.CLOSED, 0, False), (RoundStatus.OPEN, 1, True), (RoundStatus.OPEN, 5, False)],
    ids=["closed", "revealed", "everyone-voted"],
)
def test_simultaneous_mode_shows_the_tally_once_closed_revealed_or_all_voted(
    status: RoundStatus, voted: int, revealed: bool
) -> None:
    assert tally_visible(
        SIMULTANEOUS_RULE, status=status, eligible=5, voted=voted, revealed=revealed
    )


def test_simultaneous_mode_does_not_count_an_empty_team_as_everyone_voted() -> None:
    assert not tally_visible(
        SIMULTANEOUS_RULE, status=RoundStatus.OPEN, eligible=0, voted=0, revealed=False
    )


@FAST
@given(
    status=st.sampled_from(RoundStatus),
    eligible=st.integers(min_value=0, max_value=20),
    voted=st.integers(min_value=0, max_value=20),
    revealed=st.booleans(),
)
def test_simultaneous_mode_hides_the_tally_until_all_voted_revealed_or_closed(
    status: RoundStatus, eligible: int, voted: int, revealed: bool
) -> None:
    visible = tally_visible(
        SIMULTANEOUS_RULE, status=status, eligible=eligible, voted=voted, revealed=revealed
    )
    everyone_voted = eligible > 0 and voted >= eligible
    assert visible is (status is RoundStatus.CLOSED or revealed or everyone_voted)


# --------------------------------------------------------------------------------------
# Movement
# --------------------------------------------------------------------------------------


def test_movement_lists_each_voters_distinct_successive_choices() -> None:
    history = [
        Ballot(1, DOWN, "no"),
        Ballot(2, UP),
        Ballot(1, SIDEWAYS),
        Ballot(1, SIDEWAYS, "reworded"),
        Ballot(1, UP),
        Ballot(2, UP, "still yes"),
    ]
    assert movement(history) == {1: (DOWN, SIDEWAYS, UP), 2: (UP,)}


def test_movement_keeps_a_return_to_an_earlier_choice() -> None:
    history = [Ballot(1, UP), Ballot(1, DOWN, "hm"), Ballot(1, UP)]
    assert movement(history) == {1: (UP, DOWN, UP)}


def test_movement_of_no_history_is_empty() -> None:
    assert movement([]) == {}


# --------------------------------------------------------------------------------------
# Concerns
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "reason", "concern"),
    [
        (DOWN, "It leaves victims out.", True),
        (DOWN, "", True),
        (DOWN, None, True),
        (SIDEWAYS, "I can live with it, but the deadline is tight.", True),
        (SIDEWAYS, "", False),
        (SIDEWAYS, None, False),
        (UP, "Good work.", False),
        (UP, None, False),
    ],
)
def test_downs_and_reasoned_sideways_votes_are_concerns(
    choice: Choice, reason: str | None, concern: bool
) -> None:
    assert is_concern(choice, reason) is concern


# --------------------------------------------------------------------------------------
# The rule in words
# --------------------------------------------------------------------------------------


def test_the_default_rule_in_words() -> None:
    assert describe_rule(DecisionRule()).splitlines() == [
        "A round counts when more than half of the voting members vote; any thumbs down "
        "blocks consensus.",
        "There is no limit on sideways votes.",
        "A thumbs down needs a reason.",
        "The tally is shown live as votes arrive.",
        "Votes are named.",
        "Rounds continue until consensus.",
    ]


def test_a_rule_counts_its_rounds_in_words_one_round_or_several() -> None:
    one = rules.DecisionRule(fallback_after_rounds=1, fallback=rules.Fallback.TABLE)
    three = rules.DecisionRule(fallback_after_rounds=3, fallback=rules.Fallback.TABLE)
    assert "After 1 round without consensus the proposal is tabled." in rules.describe_rule(one)
    assert "After 3 rounds without consensus" in rules.describe_rule(three)
    assert [rules.rounds_text(n) for n in (1, 2)] == ["1 round", "2 rounds"]


# --- Deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "closing now"),
        (-5, "closing now"),
        (59, "less than a minute left"),
        (60, "1 minute left"),
        (3 * 60 + 59, "3 minutes left"),
        (3600, "1 hour left"),
        (3 * 3600 + 5 * 60, "3 hours 5 minutes left"),
        (86400, "1 day left"),
        (2 * 86400 + 4 * 3600 + 59 * 60, "2 days 4 hours left"),
    ],
)
def test_time_left_is_said_in_words(seconds: float, words: str) -> None:
    assert rules.time_left_text(seconds) == words


def test_a_local_closing_time_is_read_in_the_teams_zone_across_daylight_saving() -> None:
    from datetime import UTC, datetime

    winter = rules.parse_local_time("2026-12-11T17:00", "America/Los_Angeles")
    summer = rules.parse_local_time("2026-07-10T17:00", "America/Los_Angeles")
    assert winter == datetime(2026, 12, 12, 1, 0, tzinfo=UTC)
    assert summer == datetime(2026, 7, 11, 0, 0, tzinfo=UTC)
    assert rules.parse_local_time("2026-12-11T17:00+01:00", "America/Los_Angeles") == datetime(
        2026, 12, 11, 16, 0, tzinfo=UTC
    )
    assert rules.parse_local_time("", "America/Los_Angeles") is None
    assert rules.deadline_text(winter, "America/Los_Angeles") == "Fri 11 Dec, 17:00 PST"


def test_a_closing_time_must_lie_ahead_and_within_the_bound() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert rules.deadline_problem(now + timedelta(hours=1), now) is None
    assert rules.deadline_problem(now, now) == "Choose a closing time in the future."
    assert rules.deadline_problem(now + timedelta(days=91), now) == (
        "Choose a closing time within 90 days."
    )
