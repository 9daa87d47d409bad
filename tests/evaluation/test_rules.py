"""The pure rules: the questionnaire is Table 1, numbers are checked, targets and trends follow
the measure's direction, and aggregation hides small groups."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import pytest

from teamwork.evaluation import rules
from teamwork.evaluation.rules import Direction, Level, Trend

BRIEF = Path("/work/shared/domain/collaborative-approach-brief.txt")


def table_1() -> list[list[str]]:
    """Table 1's rows as printed in the brief: [dimension or "", cooperation, coordination,
    collaboration]."""
    text = BRIEF.read_text()
    section = text.split("Table 1: Distinguishing Features", 1)[1].split("\n\nCollaboration", 1)[0]
    return [line.split("\t") for line in section.splitlines() if line.count("\t") == 3][1:]


@pytest.mark.skipif(not BRIEF.exists(), reason="the policy brief is not on this machine")
def test_questionnaire_is_table_1_word_for_word() -> None:
    printed = table_1()
    rows = [row for dim in rules.QUESTIONNAIRE for row in dim.rows]
    assert len(rows) == len(printed)
    for row, cells in zip(rows, printed, strict=True):
        assert [row.cooperation, row.coordination, row.collaboration] == [
            c.strip() for c in cells[1:]
        ]
    dimensions = [cells[0] for cells in printed if cells[0]]
    assert [d.title for d in rules.QUESTIONNAIRE] == dimensions


def test_questionnaire_has_the_four_dimensions_of_the_brief() -> None:
    assert [d.key for d in rules.QUESTIONNAIRE] == ["vision", "structure", "resources", "authority"]
    assert [len(d.rows) for d in rules.QUESTIONNAIRE] == [3, 3, 2, 3]
    assert len(rules.ROWS) == 11


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("42", 42.0), (" 12.5 ", 12.5), ("1,250", 1250.0), ("-3", -3.0), ("0", 0.0)],
)
def test_numbers_people_type_are_read(typed: str, expected: float) -> None:
    assert rules.parse_number(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "abc", "12 %", "nan", "NaN", "inf", "-Infinity", "1e400", "1e13", "twelve"]
)
def test_anything_but_an_ordinary_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="number|large"):
        rules.parse_number(typed)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True])
def test_floats_that_are_not_ordinary_numbers_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="number"):
        rules.check_number(value)


def test_on_target_follows_which_way_is_better() -> None:
    assert rules.on_target(91, 90, Direction.HIGHER) is True
    assert rules.on_target(89, 90, Direction.HIGHER) is False
    assert rules.on_target(14, 14, Direction.LOWER) is True
    assert rules.on_target(15, 14, Direction.LOWER) is False
    assert rules.on_target(15, None, Direction.LOWER) is None
    assert rules.on_target(None, 14, Direction.LOWER) is None


def test_trend_is_judged_by_direction() -> None:
    assert rules.trend([20, 17], Direction.LOWER) is Trend.IMPROVING
    assert rules.trend([20, 17], Direction.HIGHER) is Trend.WORSENING
    assert rules.trend([5, 5], Direction.HIGHER) is Trend.STEADY
    assert rules.trend([5], Direction.HIGHER) is Trend.UNKNOWN


def test_future_dates_are_refused_for_data_points() -> None:
    with pytest.raises(ValueError, match="future"):
        rules.check_point_date(date(2026, 5, 2), date(2026, 5, 1))
    rules.check_point_date(date(2026, 5, 1), date(2026, 5, 1))


def answer_set(level: int, **overrides: int) -> dict[str, int]:
    answers = dict.fromkeys(rules.ROWS, level)
    answers.update({key.replace("__", "."): value for key, value in overrides.items()})
    return answers


def test_summary_gives_distribution_and_median_per_dimension() -> None:
    sets = [answer_set(1), answer_set(2), answer_set(3, vision__mission=2)]
    summary = rules.summarize(sets)
    vision = summary.dimension("vision")
    assert not summary.suppressed and summary.responses == 3
    # 3 rows x 3 people: 3 cooperation, 4 coordination (one changed), 2 collaboration.
    assert (vision.distribution.cooperation, vision.distribution.coordination) == (3, 4)
    assert vision.distribution.collaboration == 2
    assert vision.median == 2
    mission = next(r for r in vision.rows if r.row.key == "vision.mission")
    assert mission.distribution.count(Level.COLLABORATION) == 0


def test_fewer_than_three_responses_show_nothing_but_the_count() -> None:
    summary = rules.summarize([answer_set(1), answer_set(3)])
    assert summary.suppressed and summary.responses == 2 and summary.dimensions == ()


def test_change_is_the_difference_of_medians() -> None:
    before = rules.summarize([answer_set(1)] * 3)
    after = rules.with_change(rules.summarize([answer_set(2)] * 2 + [answer_set(3)]), before)
    assert all(d.change == 1 for d in after.dimensions)
    assert rules.change_label(1.0) == "+1 step towards collaboration"
    assert rules.change_label(-0.5).startswith("−0.5 steps")


def test_even_counts_give_a_median_between_levels() -> None:
    assert rules.median_label(2.5) == "Between coordination and collaboration"
    assert rules.median_label(1) == "Cooperation"


def test_answers_must_cover_every_row_with_a_level() -> None:
    complete = {key: "2" for key in rules.ROWS}
    assert set(rules.clean_answers(complete).values()) == {Level.COORDINATION}
    missing = dict(complete)
    del missing["authority.leadership"]
    with pytest.raises(rules.AnswerError) as caught:
        rules.clean_answers(missing)
    assert caught.value.key == "authority.leadership"
    with pytest.raises(rules.AnswerError):
        rules.clean_answers({**complete, "vision.mission": "4"})
    with pytest.raises(rules.AnswerError):
        rules.clean_answers({**complete, "someone.else": "1"})


def test_format_number_drops_needless_decimals() -> None:
    assert rules.format_number(90.0) == "90"
    assert rules.format_number(12.345) == "12.35"
    assert re.fullmatch(r"1,250", rules.format_number(1250))
