"""The team permission table (teamwork.teams.rules): pure values in, pure values out."""

from __future__ import annotations

import pytest

from teamwork.teams.rules import (
    DISCIPLINE_LABELS,
    LEVEL_LABELS,
    MODERATOR_GRANTS,
    ROLE_DESCRIPTIONS,
    ROLE_GRANTS,
    ROLE_LABELS,
    Action,
    Discipline,
    Role,
    TeamLevel,
    allowed,
    can_hold_moderator_term,
)

LEAD_ONLY = [
    Action.MANAGE_MEMBERS,
    Action.EDIT_TEAM,
    Action.CREATE_SUBTEAM,
    Action.DESIGNATE_MODERATOR,
]

# The whole table, spelled out: a change to who may do what must change this test too.
EXPECTED = {
    Role.OBSERVER: {Action.VIEW_TEAM},
    Role.MEMBER: {Action.VIEW_TEAM, Action.VOTE},
    # Recorders are the team's staff: they keep minutes, prepare agendas and enter measures.
    Role.RECORDER: {
        Action.VIEW_TEAM,
        Action.VOTE,
        Action.RECORD_MINUTES,
        Action.EDIT_AGENDA,
        Action.ENTER_MEASURES,
    },
    # Leads moderate only through a term, a recorded stand-in, or while no one holds the term.
    Role.LEAD: set(Action) - {Action.MODERATE},
}


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("action", list(Action), ids=str)
def test_permission_table_without_a_moderator_term(role: Role, action: Action) -> None:
    assert allowed(role, action) is (action in EXPECTED[role])


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_non_member_may_do_nothing_even_with_a_term(action: Action) -> None:
    assert allowed(None, action) is False
    assert allowed(None, action, is_moderator=True) is False


def test_every_role_may_view_its_team() -> None:
    assert all(allowed(role, Action.VIEW_TEAM) for role in Role)


def test_observer_cannot_vote_or_moderate_even_holding_a_term() -> None:
    assert allowed(Role.OBSERVER, Action.VOTE) is False
    assert allowed(Role.OBSERVER, Action.VOTE, is_moderator=True) is False
    assert allowed(Role.OBSERVER, Action.MODERATE) is False
    assert allowed(Role.OBSERVER, Action.MODERATE, is_moderator=True) is False
    assert can_hold_moderator_term(Role.OBSERVER) is False


@pytest.mark.parametrize("role", [Role.MEMBER, Role.RECORDER, Role.LEAD], ids=str)
def test_every_voting_role_votes_and_may_hold_a_term(role: Role) -> None:
    assert allowed(role, Action.VOTE) is True
    assert can_hold_moderator_term(role) is True


def test_recorder_records_minutes_but_member_does_not() -> None:
    assert allowed(Role.RECORDER, Action.RECORD_MINUTES) is True
    assert allowed(Role.MEMBER, Action.RECORD_MINUTES) is False
    assert allowed(Role.OBSERVER, Action.RECORD_MINUTES) is False


def test_lead_manages_members_but_moderates_only_with_the_moderators_powers() -> None:
    assert allowed(Role.LEAD, Action.MANAGE_MEMBERS) is True
    assert allowed(Role.LEAD, Action.MODERATE) is False
    assert allowed(Role.LEAD, Action.MODERATE, is_moderator=True) is True


@pytest.mark.parametrize("role", [Role.MEMBER, Role.RECORDER], ids=str)
def test_moderator_term_grants_moderate_to_a_voting_member(role: Role) -> None:
    assert allowed(role, Action.MODERATE) is False
    assert allowed(role, Action.MODERATE, is_moderator=True) is True


@pytest.mark.parametrize("role", [Role.MEMBER, Role.RECORDER, Role.OBSERVER], ids=str)
@pytest.mark.parametrize("action", LEAD_ONLY, ids=str)
def test_moderator_term_grants_nothing_but_moderating(role: Role, action: Action) -> None:
    assert allowed(role, action, is_moderator=True) is False


def test_moderator_grants_are_exactly_running_meetings() -> None:
    assert frozenset({Action.MODERATE, Action.EDIT_AGENDA}) == MODERATOR_GRANTS


def test_table_covers_every_role_and_only_known_actions() -> None:
    assert set(ROLE_GRANTS) == set(Role)
    for grants in ROLE_GRANTS.values():
        assert grants <= set(Action)


def test_roles_are_nested_observer_member_recorder_lead() -> None:
    chain = [Role.OBSERVER, Role.MEMBER, Role.RECORDER, Role.LEAD]
    for lower, higher in zip(chain, chain[1:], strict=False):
        assert ROLE_GRANTS[lower] < ROLE_GRANTS[higher]


def test_every_value_has_a_label_and_roles_a_description() -> None:
    assert set(LEVEL_LABELS) == set(TeamLevel)
    assert set(DISCIPLINE_LABELS) == set(Discipline)
    assert set(ROLE_LABELS) == set(Role)
    assert set(ROLE_DESCRIPTIONS) == set(Role)
    assert Role.OBSERVER.label == "Observer"
    assert "does not vote" in Role.OBSERVER.description
    assert Discipline.PROBATION_PAROLE.label == "Probation and parole"
    assert TeamLevel.CASE_MANAGEMENT.label == "Case management"


def test_roles_round_trip_from_their_stored_values() -> None:
    for role in Role:
        assert Role(role.value) is role
    with pytest.raises(ValueError, match="superuser"):
        Role("superuser")
