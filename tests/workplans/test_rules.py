"""The workplan's pure rules: status transitions, timing against a given day, progress per goal,
dependency cycles, history diffs and CSV row checks (no app needed)."""

from __future__ import annotations

from datetime import date

import pytest

from teamwork.workplans import rules
from teamwork.workplans.rules import ActivityStatus as S
from teamwork.workplans.rules import RuleViolation, Timing

TODAY = date(2026, 3, 10)


def test_done_records_the_day_and_reopening_clears_it() -> None:
    done = rules.change_status(S.IN_PROGRESS, S.DONE, reason="", completed_on=None, today=TODAY)
    assert (done.status, done.completed_on) == (S.DONE, TODAY)
    reopened = rules.change_status(
        S.DONE, S.IN_PROGRESS, reason="", completed_on=TODAY, today=TODAY
    )
    assert reopened.completed_on is None


def test_saving_done_again_keeps_the_original_completion_day() -> None:
    again = rules.change_status(
        S.DONE, S.DONE, reason="", completed_on=date(2026, 3, 1), today=TODAY
    )
    assert again.completed_on == date(2026, 3, 1)


@pytest.mark.parametrize("reason", ["", "   "])
def test_blocked_needs_a_reason(reason: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.change_status(S.IN_PROGRESS, S.BLOCKED, reason=reason, completed_on=None, today=TODAY)
    assert caught.value.field == "blocked_reason"


def test_leaving_blocked_forgets_the_reason() -> None:
    change = rules.change_status(
        S.BLOCKED, S.IN_PROGRESS, reason="Waiting on counsel", completed_on=None, today=TODAY
    )
    assert change.blocked_reason == ""


@pytest.mark.parametrize(("current", "new"), [(S.DONE, S.BLOCKED), (S.DONE, S.DROPPED)])
def test_done_activities_only_reopen(current: S, new: S) -> None:
    with pytest.raises(RuleViolation):
        rules.change_status(current, new, reason="x", completed_on=TODAY, today=TODAY)


def test_due_before_start_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        rules.check_dates(date(2026, 4, 1), date(2026, 3, 31))
    assert caught.value.field == "due_on"
    rules.check_dates(date(2026, 4, 1), date(2026, 4, 1))  # same day is fine


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        (S.IN_PROGRESS, date(2026, 3, 9), Timing.OVERDUE),
        (S.BLOCKED, date(2026, 1, 1), Timing.OVERDUE),
        (S.NOT_STARTED, date(2026, 3, 10), Timing.DUE_SOON),  # due today: not overdue yet
        (S.IN_PROGRESS, date(2026, 3, 17), Timing.DUE_SOON),
        (S.IN_PROGRESS, date(2026, 3, 18), Timing.ON_TRACK),
        (S.IN_PROGRESS, None, Timing.NO_DUE_DATE),
        (S.DONE, date(2026, 1, 1), Timing.CLOSED),
        (S.DROPPED, date(2026, 1, 1), Timing.CLOSED),
    ],
)
def test_timing_against_the_given_day(status: S, due: date | None, expected: Timing) -> None:
    assert rules.timing(status, due, TODAY) is expected


def test_days_overdue_counts_from_the_due_date() -> None:
    assert rules.days_overdue(S.IN_PROGRESS, date(2026, 3, 7), TODAY) == 3
    assert rules.days_overdue(S.DONE, date(2026, 3, 7), TODAY) == 0


def test_done_on_time_compares_completion_with_due() -> None:
    assert rules.done_on_time(date(2026, 3, 10), date(2026, 3, 10)) is True
    assert rules.done_on_time(date(2026, 3, 10), date(2026, 3, 11)) is False
    assert rules.done_on_time(None, date(2026, 3, 11)) is None


def test_progress_leaves_dropped_activities_out() -> None:
    progress = rules.progress(
        [
            (S.DONE, date(2026, 3, 1)),
            (S.IN_PROGRESS, date(2026, 3, 1)),  # overdue
            (S.BLOCKED, date(2026, 4, 1)),
            (S.DROPPED, None),
        ],
        TODAY,
    )
    assert (progress.counted, progress.done, progress.percent) == (3, 1, 33)
    assert (progress.overdue, progress.blocked) == (1, 1)
    assert progress.summary == "1 of 3 done (33%), 1 blocked, 1 overdue"


def test_reminder_once_per_due_date_within_the_window() -> None:
    due = date(2026, 3, 13)
    assert rules.needs_reminder(S.IN_PROGRESS, due, None, TODAY, 3)
    assert not rules.needs_reminder(S.IN_PROGRESS, due, due, TODAY, 3)  # already reminded
    assert rules.needs_reminder(S.IN_PROGRESS, due, date(2026, 3, 1), TODAY, 3)  # date moved
    assert not rules.needs_reminder(S.IN_PROGRESS, date(2026, 3, 14), None, TODAY, 3)
    assert not rules.needs_reminder(S.DONE, due, None, TODAY, 3)


def test_dependency_cycles_are_found() -> None:
    edges = {2: {1}, 3: {2}}  # 3 depends on 2, 2 on 1
    assert rules.creates_cycle(edges, 1, 3)
    assert rules.creates_cycle(edges, 1, 1)
    assert not rules.creates_cycle(edges, 3, 1)


def test_diff_lists_only_changed_fields() -> None:
    assert rules.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}


def test_formula_cells_are_protected_and_read_back() -> None:
    for value in ["=SUM(A1)", "+1", "@x", "-2", "plain"]:
        assert rules.unprotect_cell(rules.protect_cell(value)) == value
    assert rules.protect_cell("=1") == "'=1"


def _row(**cells: str) -> dict[str, str]:
    row = dict.fromkeys(rules.CSV_COLUMNS, "")
    row.update(title="Train staff", owner_email="a@example.org")
    row.update(cells)
    return row


def test_a_good_row_is_typed() -> None:
    data, errors = rules.parse_row(
        _row(
            id="7",
            goal="3",
            collaborators="B@example.org; a@example.org",
            start_on="2026-03-01",
            due_on="2026-04-01",
            status="in progress",
        ),
        2,
        member_emails={"a@example.org", "b@example.org"},
        goal_ids={3},
        activity_ids={7},
    )
    assert errors.errors == []
    assert data is not None
    assert (data.id, data.goal_id, data.status) == (7, 3, S.IN_PROGRESS)
    assert data.collaborator_emails == ["b@example.org"]  # the owner is not a collaborator
    assert data.due_on == date(2026, 4, 1)


def test_a_bad_row_names_every_wrong_column() -> None:
    data, errors = rules.parse_row(
        _row(
            id="99",
            title="",
            owner_email="stranger@example.org",
            due_on="31/03/2026",
            status="blocked",
            goal="5",
        ),
        4,
        member_emails={"a@example.org"},
        goal_ids={3},
        activity_ids={7},
    )
    assert data is None
    assert errors.number == 4
    columns = {column for column, _message in errors.errors}
    assert columns == {"id", "title", "owner_email", "due_on", "goal", "blocked_reason"}


def test_successive_changes_net_out_for_the_agenda() -> None:
    net, notes = rules.net_changes(
        [
            {"status": ["Not started", "In progress"]},
            {"note": [None, "Started"]},
            {"status": ["In progress", "Blocked"], "due_on": ["2026-03-01", "2026-04-01"]},
            {"due_on": ["2026-04-01", "2026-03-01"]},  # back where it was
        ]
    )
    assert net == {"status": ["Not started", "Blocked"]}
    assert notes == 1
    assert rules.describe_changes(net) == ["Status: Not started → Blocked"]


def test_history_lines_read_naturally() -> None:
    lines = rules.describe_changes(
        {
            "blocked_reason": ["", "No reviewer"],
            "due_on": ["2026-03-01", None],
            "collaborators": [["Ann"], ["Ann", "Bo"]],
        }
    )
    assert lines == [
        "Blocked because: No reviewer",
        "Due removed (was 2026-03-01)",
        "Collaborators: Ann → Ann, Bo",
    ]
