"""The pure rules of evaluation: the collaboration questionnaire, number checks, targets, trends
and the aggregation of assessment answers.

Pure module: standard library only (a test enforces it), so these rules are tested without an
app and serve the pages, the CSV exports and the demo alike.

The questionnaire is the brief's Table 1 ("Distinguishing Features: Cooperation, Coordination,
and Collaboration", after Blank et al., 1992), word for word: four dimensions, each with rows
that describe the same feature at the three levels. A member places their team on each row.

Anonymity: answers are only ever shown aggregated, and not at all for groups smaller than
`MIN_GROUP`, because with one or two respondents a distribution *is* their answers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum

# The fewest responses for which aggregated results are shown (per team, per period).
MIN_GROUP = 3

NAME_MAX = 200
UNIT_MAX = 20
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
PERIOD_TITLE_MAX = 120
# Values beyond this are typing mistakes, not measurements (and keep floats exact enough).
VALUE_LIMIT = 1e12


class Level(IntEnum):
    """A place on the Table 1 scale; the integer orders it (a median is taken on it)."""

    COOPERATION = 1
    COORDINATION = 2
    COLLABORATION = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class Row:
    """One row of Table 1: the same feature described at each level."""

    key: str
    cooperation: str
    coordination: str
    collaboration: str

    def text(self, level: Level) -> str:
        return {
            Level.COOPERATION: self.cooperation,
            Level.COORDINATION: self.coordination,
            Level.COLLABORATION: self.collaboration,
        }[level]


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    rows: tuple[Row, ...]


QUESTIONNAIRE: tuple[Dimension, ...] = (
    Dimension(
        "vision",
        "Vision and Relationships",
        (
            Row(
                "vision.commitment",
                "Based on individual relationships that may be mandated by a third party.",
                "Individual relationships are supported by the organizations they represent.",
                "Commitment of organizations and their leaders is fully behind their "
                "representatives.",
            ),
            Row(
                "vision.mission",
                "Organizational missions and goals are not taken into account.",
                "Mission and goals of the individual organizations are reviewed for compatibility.",
                "Common mission and goals are created.",
            ),
            Row(
                "vision.interaction",
                "Interactions occur as needed and may last indefinitely.",
                "Interaction is usually around one specific project or task of definable length.",
                "One or more projects are undertaken for longer-term results.",
            ),
        ),
    ),
    Dimension(
        "structure",
        "Structure, Responsibility, and Communication",
        (
            Row(
                "structure.roles",
                "Relationships are informal; each organization functions separately.",
                "Organizations involved take on needed roles, but function relatively "
                "independently of each other.",
                "New organizational structure and/or clearly defined and interrelated roles "
                "that constitute a formal division of labor are created.",
            ),
            Row(
                "structure.planning",
                "No joint planning is required.",
                "Some project-specific planning is required.",
                "Comprehensive planning is required that includes developing joint strategies "
                "and measuring success in terms of impact on the needs of those served.",
            ),
            Row(
                "structure.communication",
                "Information is conveyed as needed.",
                "Communication roles are established and definite channels are created to "
                "facilitate interaction.",
                "Many levels of communication are created beyond those needed to merely "
                "promote interaction, as clear information is a keystone of success.",
            ),
        ),
    ),
    Dimension(
        "resources",
        "Resources and Rewards",
        (
            Row(
                "resources.resources",
                "Resources are separate, serving the individual organization's needs.",
                "Resources are acknowledged and can be made available to others for a "
                "specific project.",
                "Resources are pooled or jointly secured for a longer-term effort that is "
                "managed by the collaborative structure.",
            ),
            Row(
                "resources.rewards",
                "Rewards are mutually acknowledged.",
                "Rewards are mutually acknowledged.",
                "Organizations share in the products; more is accomplished jointly than could "
                "have been individually.",
            ),
        ),
    ),
    Dimension(
        "authority",
        "Authority and Accountability",
        (
            Row(
                "authority.authority",
                "Authority rests solely with individual organizations.",
                "Authority rests with the individual organizations, but there is coordination "
                "among participants.",
                "Authority is determined by the need to balance ownership by individual "
                "organizations with expediency to accomplish purpose.",
            ),
            Row(
                "authority.leadership",
                "Leadership is unilateral and control is central.",
                "Some sharing of leadership and control.",
                "Leadership is dispersed and control is shared and mutual.",
            ),
            Row(
                "authority.accountability",
                "All authority and accountability rests with the individual organizations, "
                "which act independently.",
                "There is some shared risk, but most of the authority and accountability falls "
                "to the individual organizations.",
                "Equal risk is shared by all organizations in the collaboration.",
            ),
        ),
    ),
)

ROWS: dict[str, Row] = {row.key: row for d in QUESTIONNAIRE for row in d.rows}
ROW_DIMENSION: dict[str, str] = {row.key: d.key for d in QUESTIONNAIRE for row in d.rows}
DIMENSIONS: dict[str, Dimension] = {d.key: d for d in QUESTIONNAIRE}


class AnswerError(ValueError):
    """An answer set that does not fit the questionnaire; `key` names the row, if one."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def clean_answers(raw: Mapping[str, object]) -> dict[str, Level]:
    """Every row answered with a level (1-3), and nothing else; AnswerError otherwise."""
    unknown = sorted(set(raw) - set(ROWS))
    if unknown:
        raise AnswerError("The answers do not match the questionnaire. Reload the page.")
    answers: dict[str, Level] = {}
    for key in ROWS:
        value = raw.get(key)
        if value is None or value == "":
            raise AnswerError("Place the team on every row, then send.", key)
        try:
            answers[key] = Level(int(str(value)))
        except ValueError:
            raise AnswerError("Choose cooperation, coordination or collaboration.", key) from None
    return answers


# --- Numbers, targets and trends -------------------------------------------------------------


class MeasureKind(StrEnum):
    PROCESS = "process"  # how the team works (meetings held, plans on time)
    OUTCOME = "outcome"  # what the work achieves (treatment plans current, reoffending)

    @property
    def label(self) -> str:
        return self.capitalize()


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def label(self) -> str:
        return self.capitalize()


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"

    @property
    def label(self) -> str:
        return "Higher is better" if self is Direction.HIGHER else "Lower is better"


def parse_number(text: str | None, *, what: str = "The value") -> float:
    """A finite number typed by a person ("12", "12.5", "1,250", "-3"); ValueError otherwise.

    Thousands separators are accepted; a comma as decimal mark is not (it is ambiguous).
    """
    cleaned = (text or "").strip().replace(",", "").replace("\u202f", "").replace(" ", "")
    if not cleaned:
        raise ValueError(f"{what} is missing: type a number.")
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(f"{what} must be a number, for example 42 or 12.5.") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be an ordinary number.")
    if abs(number) > VALUE_LIMIT:
        raise ValueError(f"{what} is too large.")
    return number


def check_number(value: float, *, what: str = "The value") -> float:
    """The same checks for a number that is already a float (NaN and infinity refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number.")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be an ordinary number.")
    if abs(value) > VALUE_LIMIT:
        raise ValueError(f"{what} is too large.")
    return float(value)


def format_number(value: float | None) -> str:
    """A value as people write it: no trailing ".0", at most two decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def on_target(value: float | None, target: float | None, direction: Direction) -> bool | None:
    """Whether a value meets its target (None when either is unknown)."""
    if value is None or target is None:
        return None
    return value >= target if direction is Direction.HIGHER else value <= target


class Trend(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    STEADY = "steady"
    UNKNOWN = "unknown"  # fewer than two values

    @property
    def label(self) -> str:
        return {
            Trend.IMPROVING: "Improving",
            Trend.WORSENING: "Getting worse",
            Trend.STEADY: "Steady",
            Trend.UNKNOWN: "Not enough data yet",
        }[self]

    @property
    def symbol(self) -> str:
        return {Trend.IMPROVING: "▲", Trend.WORSENING: "▼", Trend.STEADY: "■", Trend.UNKNOWN: "–"}[
            self
        ]


def trend(values: Sequence[float], direction: Direction) -> Trend:
    """The direction of the latest change, judged by which way is better for the measure."""
    if len(values) < 2:
        return Trend.UNKNOWN
    last, previous = values[-1], values[-2]
    if math.isclose(last, previous, rel_tol=1e-9, abs_tol=1e-9):
        return Trend.STEADY
    went_up = last > previous
    better = went_up if direction is Direction.HIGHER else not went_up
    return Trend.IMPROVING if better else Trend.WORSENING


def check_point_date(day: date, today: date) -> None:
    """A data point is about something that happened: never dated in the future."""
    if day > today:
        raise ValueError("The date is in the future: enter values for days that have passed.")
    if day.year < 1990:
        raise ValueError("The date is too far in the past; check the year.")


# --- Aggregating assessment answers -------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    cooperation: int
    coordination: int
    collaboration: int

    @property
    def total(self) -> int:
        return self.cooperation + self.coordination + self.collaboration

    def count(self, level: Level) -> int:
        return (self.cooperation, self.coordination, self.collaboration)[level - 1]

    def share(self, level: Level) -> float:
        return self.count(level) / self.total if self.total else 0.0


def distribution(levels: Iterable[int]) -> Distribution:
    counts = {level: 0 for level in Level}
    for value in levels:
        counts[Level(value)] += 1
    return Distribution(
        counts[Level.COOPERATION], counts[Level.COORDINATION], counts[Level.COLLABORATION]
    )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def median_label(value: float | None) -> str:
    """A median on the scale in words; halfway medians (even counts) say "between"."""
    if value is None:
        return "No answers"
    if float(value).is_integer():
        return Level(int(value)).label
    low, high = Level(math.floor(value)), Level(math.ceil(value))
    return f"Between {low.label.lower()} and {high.label.lower()}"


@dataclass(frozen=True)
class RowResult:
    row: Row
    distribution: Distribution
    median: float | None


@dataclass(frozen=True)
class DimensionResult:
    dimension: Dimension
    # Every answer given on the dimension's rows, by every respondent.
    distribution: Distribution
    median: float | None
    rows: tuple[RowResult, ...]
    change: float | None = None  # median now minus median in the previous period


@dataclass(frozen=True)
class Summary:
    """A period's results. `suppressed` means too few responses to show anything but the count."""

    responses: int
    suppressed: bool
    dimensions: tuple[DimensionResult, ...]

    def dimension(self, key: str) -> DimensionResult | None:
        return next((d for d in self.dimensions if d.dimension.key == key), None)


def summarize(answer_sets: Sequence[Mapping[str, int]], min_group: int = MIN_GROUP) -> Summary:
    """Aggregate a period's answer sets (one per respondent) by dimension and by row.

    Below `min_group` respondents nothing but the count comes out: no distribution, no median.
    """
    if len(answer_sets) < min_group:
        return Summary(responses=len(answer_sets), suppressed=True, dimensions=())
    results = []
    for dim in QUESTIONNAIRE:
        rows = []
        every: list[int] = []
        for row in dim.rows:
            given = [int(a[row.key]) for a in answer_sets if row.key in a]
            every.extend(given)
            rows.append(RowResult(row, distribution(given), median(given)))
        results.append(DimensionResult(dim, distribution(every), median(every), tuple(rows)))
    return Summary(responses=len(answer_sets), suppressed=False, dimensions=tuple(results))


def with_change(current: Summary, previous: Summary | None) -> Summary:
    """The current summary, each dimension carrying its change since the previous period."""
    if current.suppressed or previous is None or previous.suppressed:
        return current
    dims = []
    for result in current.dimensions:
        before = previous.dimension(result.dimension.key)
        change = None
        if before is not None and before.median is not None and result.median is not None:
            change = result.median - before.median
        dims.append(
            DimensionResult(
                result.dimension, result.distribution, result.median, result.rows, change
            )
        )
    return Summary(current.responses, current.suppressed, tuple(dims))


def change_label(change: float | None) -> str:
    if change is None:
        return "No earlier results to compare"
    if math.isclose(change, 0.0, abs_tol=1e-9):
        return "No change"
    steps = format_number(abs(change))
    unit = "step" if math.isclose(abs(change), 1.0) else "steps"
    word = "towards collaboration" if change > 0 else "towards cooperation"
    return f"{'+' if change > 0 else '−'}{steps} {unit} {word}"
