"""The audit trail in words: each kind of event reads as a sentence with names, and no kind the
app records is left without one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from teamwork.teams.audit_trail import rules
from teamwork.teams.audit_trail.rules import Event, Names

PACKAGE = Path(__file__).resolve().parents[3] / "teamwork"
NAMES = Names(
    people={1: "Dana Whitfield", 2: "Sam Okafor"},
    members={10: "Sam Okafor", 11: "Robin Achebe"},
    subjects={
        ("proposal", 5): "“Monthly treatment reports”",
        ("round", 7): "“Monthly treatment reports”, round 2",
        ("meeting", 3): "“Monthly team meeting” of 13 Oct 2026",
    },
)


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        (
            Event(
                "vote.cast",
                2,
                target_type="round",
                target_id=7,
                details={"membership_id": 10, "via": "member", "choice": "up"},
            ),
            "Sam Okafor voted thumbs up on “Monthly treatment reports”, round 2.",
        ),
        (
            Event(
                "vote.cast",
                1,
                target_type="round",
                target_id=7,
                details={"membership_id": 11, "via": "moderator", "choice": "down"},
            ),
            "Dana Whitfield entered Robin Achebe's raised hand thumbs down on"
            " “Monthly treatment reports”, round 2.",
        ),
        (  # an anonymous round records no choice, so none is told
            Event(
                "vote.cast",
                2,
                target_type="round",
                target_id=7,
                details={"membership_id": 10, "via": "member"},
            ),
            "Sam Okafor voted on “Monthly treatment reports”, round 2.",
        ),
        (
            Event(
                "round.closed",
                1,
                target_type="round",
                target_id=99,
                details={
                    "proposal_id": 5,
                    "outcome": "no_consensus",
                    "up": 6,
                    "sideways": 1,
                    "down": 2,
                },
            ),
            "Dana Whitfield closed “Monthly treatment reports”: no consensus"
            " (6 up, 1 sideways, 2 down).",
        ),
        (
            Event(
                "round.opened",
                1,
                target_type="round",
                target_id=7,
                details={"proposal_id": 5, "number": 2},
            ),
            "Dana Whitfield opened “Monthly treatment reports”, round 2.",
        ),
        (
            Event(
                "membership.role_changed",
                1,
                details={"user_id": 2, "from": "member", "to": "recorder"},
            ),
            "Dana Whitfield changed Sam Okafor's role from member to recorder.",
        ),
        (
            Event("minutes.approved", 1, details={"meeting_id": 3}),
            "Dana Whitfield approved the minutes of “Monthly team meeting” of 13 Oct 2026.",
        ),
        (
            Event("access.denied", 2, details={"method": "POST", "path": "/teams/4/edit"}),
            "Sam Okafor was refused: tried to change /teams/4/edit.",
        ),
        (  # a person since deleted, and no actor at all
            Event("audit.exported", 40, actor_email="gone@example.org"),
            "gone@example.org exported the audit trail.",
        ),
        (Event("team.archived"), "The system archived the team."),
    ],
)
def test_each_event_reads_as_a_sentence_with_names(event: Event, sentence: str) -> None:
    assert rules.describe(event, NAMES) == sentence


def test_names_not_found_are_told_as_such_not_as_ids() -> None:
    event = Event(
        "vote.cast",
        2,
        target_type="round",
        target_id=8,
        details={"membership_id": 12, "via": "member", "choice": "sideways"},
    )
    assert rules.describe(event, NAMES) == "A former member voted thumbs sideways on a proposal."
    assert "12" not in rules.describe(event, NAMES)


def test_a_kind_of_event_without_words_still_shows_its_kind_and_details() -> None:
    event = Event("webhook.paused", 1, details={"endpoint": "chat", "failures": 5})
    assert rules.describe(event, NAMES) == (
        "Dana Whitfield: webhook.paused · endpoint: chat · failures: 5"
    )


def test_the_names_a_page_needs_are_collected_by_kind() -> None:
    event = Event(
        "vote.cast",
        1,
        target_type="round",
        target_id=7,
        details={"membership_id": 10, "proposal_id": 5},
    )
    assert rules.mentioned(event) == {
        "user": {1},
        "membership": {10},
        "proposal": {5},
        "round": {7},
    }


def recorded_team_actions() -> set[str]:
    """Every event kind the app writes with a team (literal names in the source)."""
    pattern = re.compile(
        r"""(?:event_row|record|record_now)\(\s*"([a-z_]+\.[a-z_]+)"\s*,\s*team_id"""
    )
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found.update(pattern.findall(path.read_text()))
    return found


def test_every_kind_of_team_event_the_app_records_has_words() -> None:
    actions = recorded_team_actions()
    assert {"vote.cast", "round.opened", "membership.added"} <= actions  # the scan finds them
    assert actions - set(rules.SENTENCES) == set()
