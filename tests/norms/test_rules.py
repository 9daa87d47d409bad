"""The team-composition rule: the brief's recommended disciplines, present and missing.

A pure module: these tests need no app.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from teamwork.norms import rules
from teamwork.norms.rules import composition
from teamwork.teams.rules import Discipline
from tests.test_architecture import imported_modules

EIGHT = {
    "probation_parole",
    "victim_advocacy",
    "treatment",
    "judiciary",
    "prosecution",
    "law_enforcement",
    "defense",
    "polygraph",
}


def test_a_team_with_the_eight_recommended_disciplines_misses_nothing() -> None:
    present, missing, others = composition(EIGHT, juvenile=False)
    assert set(present) == EIGHT and missing == () and others == ()


def test_an_empty_team_misses_every_recommended_discipline_in_the_briefs_order() -> None:
    result = composition(set(), juvenile=False)
    assert result.missing == rules.RECOMMENDED
    assert result.missing[0] == "probation_parole" and result.present_recommended == ()


def test_juvenile_focus_adds_schools_and_social_services() -> None:
    assert composition(EIGHT, juvenile=False).missing == ()
    assert composition(EIGHT, juvenile=True).missing == ("schools", "social_services")
    full = composition(EIGHT | {"schools", "social_services"}, juvenile=True)
    assert full.missing == () and {"schools", "social_services"} <= set(full.present_recommended)


def test_schools_count_as_other_on_a_team_not_focused_on_juveniles() -> None:
    result = composition({"schools", "treatment"}, juvenile=False)
    assert result.present_recommended == ("treatment",)
    assert result.others == ("schools",)


def test_child_protective_services_fills_the_social_services_seat_of_a_juvenile_team() -> None:
    juvenile = composition({"child_protective_services"}, juvenile=True)
    assert "social_services" in juvenile.present_recommended
    assert "social_services" not in juvenile.missing and juvenile.others == ()
    assert rules.covered_by("social_services", {"child_protective_services"}) == (
        "child_protective_services",
    )
    # Without a juvenile focus it is simply another discipline.
    assert composition({"child_protective_services"}, juvenile=False).others == (
        "child_protective_services",
    )


def test_disciplines_outside_the_recommendation_are_listed_as_others_sorted() -> None:
    result = composition({"other", "corrections", "treatment"}, juvenile=False)
    assert result.others == ("corrections", "other")


@pytest.mark.parametrize("juvenile", [False, True])
def test_every_discipline_is_in_exactly_one_group(juvenile: bool) -> None:
    everything = {d.value for d in Discipline}
    present, missing, others = composition(everything, juvenile)
    assert missing == ()
    assert not set(present) & set(others)
    assert set(present) | set(others) <= everything


def test_legislators_are_a_note_not_a_discipline() -> None:
    assert "legislators" in rules.NOT_A_DISCIPLINE
    assert "legislators" not in composition(set(), juvenile=True).missing


def test_recommended_disciplines_are_disciplines_of_the_app() -> None:
    values = {d.value for d in Discipline}
    named = set(rules.recommended(juvenile=True)) | set(rules.COVERED_BY)
    named |= {d for seats in rules.COVERED_BY.values() for d in seats}
    assert named <= values


def test_the_composition_module_imports_only_the_standard_library() -> None:
    import sys

    path = Path(rules.__file__)
    outside = {
        name
        for name in imported_modules(path)
        if name != "__future__" and name not in sys.stdlib_module_names
    }
    assert outside == set()
