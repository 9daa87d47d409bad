"""Who may do what on a team: roles, the vocabulary of teams, and the permission table.

Pure module: it imports only the standard library (a test enforces it), so the same table serves
HTTP views, socket events, the CLI and the authorization-matrix tests.

A member's powers come from their role on the team plus, for running meetings, whether they hold
the moderator term in office. Moderating is not a role: terms rotate, and the powers move with
the term without anyone editing roles.
"""

from __future__ import annotations

from enum import StrEnum


class TeamLevel(StrEnum):
    CASE_MANAGEMENT = "case_management"
    LOCAL_POLICY = "local_policy"
    STATEWIDE_POLICY = "statewide_policy"
    OTHER = "other"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    TeamLevel.CASE_MANAGEMENT: "Case management",
    TeamLevel.LOCAL_POLICY: "Local policy",
    TeamLevel.STATEWIDE_POLICY: "Statewide policy",
    TeamLevel.OTHER: "Other",
}


class Discipline(StrEnum):
    PROBATION_PAROLE = "probation_parole"
    TREATMENT = "treatment"
    VICTIM_ADVOCACY = "victim_advocacy"
    LAW_ENFORCEMENT = "law_enforcement"
    PROSECUTION = "prosecution"
    DEFENSE = "defense"
    JUDICIARY = "judiciary"
    POLYGRAPH = "polygraph"
    CORRECTIONS = "corrections"
    CHILD_PROTECTIVE_SERVICES = "child_protective_services"
    SCHOOLS = "schools"
    SOCIAL_SERVICES = "social_services"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DISCIPLINE_LABELS[self]


DISCIPLINE_LABELS = {
    Discipline.PROBATION_PAROLE: "Probation and parole",
    Discipline.TREATMENT: "Treatment",
    Discipline.VICTIM_ADVOCACY: "Victim advocacy",
    Discipline.LAW_ENFORCEMENT: "Law enforcement",
    Discipline.PROSECUTION: "Prosecution",
    Discipline.DEFENSE: "Defense",
    Discipline.JUDICIARY: "Judiciary",
    Discipline.POLYGRAPH: "Polygraph",
    Discipline.CORRECTIONS: "Corrections",
    Discipline.CHILD_PROTECTIVE_SERVICES: "Child protective services",
    Discipline.SCHOOLS: "Schools",
    Discipline.SOCIAL_SERVICES: "Social services",
    Discipline.OTHER: "Other",
}


class Role(StrEnum):
    LEAD = "lead"
    RECORDER = "recorder"
    MEMBER = "member"
    OBSERVER = "observer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def description(self) -> str:
        return ROLE_DESCRIPTIONS[self]


ROLE_LABELS = {
    Role.LEAD: "Lead",
    Role.RECORDER: "Recorder",
    Role.MEMBER: "Member",
    Role.OBSERVER: "Observer",
}

ROLE_DESCRIPTIONS = {
    Role.LEAD: "Champions the team, manages its membership and structure, and votes.",
    Role.RECORDER: "Staff who prepare agendas and keep the minutes; votes.",
    Role.MEMBER: "Takes part in discussions and votes.",
    Role.OBSERVER: "Follows the team's work but does not vote.",
}


class Action(StrEnum):
    VIEW_TEAM = "view_team"
    VOTE = "vote"
    RECORD_MINUTES = "record_minutes"
    MODERATE = "moderate"
    MANAGE_MEMBERS = "manage_members"
    EDIT_TEAM = "edit_team"
    CREATE_SUBTEAM = "create_subteam"
    DESIGNATE_MODERATOR = "designate_moderator"
    EDIT_CHARTER = "edit_charter"
    EDIT_AGENDA = "edit_agenda"  # schedule meetings, build and publish agendas
    MANAGE_WORKPLAN = "manage_workplan"  # any activity (owners edit their own)
    MANAGE_EVALUATION = "manage_evaluation"  # define measures, open assessment periods
    ENTER_MEASURES = "enter_measures"  # enter data points


_EVERYONE = frozenset({Action.VIEW_TEAM})
_VOTERS = _EVERYONE | {Action.VOTE}

# The permission table. Moderating (running rounds and the meeting) is not in it: it comes with
# the moderator term in office, or with standing in for an absent moderator (the backup or a
# lead, recorded as such), or, while no one holds the term, with being a lead (see `allowed`'s
# `is_moderator`, which the caller works out from the database).
ROLE_GRANTS: dict[Role, frozenset[Action]] = {
    Role.OBSERVER: _EVERYONE,
    Role.MEMBER: _VOTERS,
    Role.RECORDER: _VOTERS | {Action.RECORD_MINUTES, Action.EDIT_AGENDA, Action.ENTER_MEASURES},
    Role.LEAD: _VOTERS
    | {
        Action.RECORD_MINUTES,
        Action.MANAGE_MEMBERS,
        Action.EDIT_TEAM,
        Action.CREATE_SUBTEAM,
        Action.DESIGNATE_MODERATOR,
        Action.EDIT_CHARTER,
        Action.EDIT_AGENDA,
        Action.MANAGE_WORKPLAN,
        Action.MANAGE_EVALUATION,
        Action.ENTER_MEASURES,
    },
}

# The moderator in office runs meetings: rounds, and the agenda they work through.
MODERATOR_GRANTS = frozenset({Action.MODERATE, Action.EDIT_AGENDA})


def allowed(role: Role | None, action: Action, *, is_moderator: bool = False) -> bool:
    """Whether a member with `role` (None: not a member) may take `action` on their team."""
    if role is None:
        return False
    if action in ROLE_GRANTS[role]:
        return True
    # An observer who somehow holds a term still may not moderate votes they cannot cast.
    return is_moderator and role is not Role.OBSERVER and action in MODERATOR_GRANTS


def can_hold_moderator_term(role: Role) -> bool:
    return role is not Role.OBSERVER
