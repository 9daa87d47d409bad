"""Demo workplan for the Northfield County team: eight activities across the charter's goals,
done (on time and late), in progress, blocked, not started and overdue, with progress notes
and a history spread over the past weeks. Goals are whatever long- and short-term goal
statements the team has (drafts in the demo); with none, the activities have no goal.

`seed(team, users_by_email, today)` runs after the team, its members and its charter exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.workplans import rules
from teamwork.workplans.models import (
    Activity,
    ActivityChange,
    ActivityCollaborator,
    ActivityDependency,
    ActivityNote,
    ChangeKind,
)
from teamwork.workplans.rules import ActivityStatus
from teamwork.workplans.services import GOAL_KINDS

S = ActivityStatus


@dataclass(frozen=True)
class DemoActivity:
    key: str
    title: str
    deliverable: str
    description: str
    goal: int | None  # index into the team's goals (0: long-term, 1: short-term), or None
    owner: str
    collaborators: tuple[str, ...]
    start: int  # days from today
    due: int
    status: ActivityStatus
    done: int | None = None  # days from today it was completed
    blocked_reason: str = ""
    depends_on: tuple[str, ...] = ()
    notes: tuple[tuple[int, str, str], ...] = ()  # (days from today, author email, text)


ACTIVITIES = [
    DemoActivity(
        "survey",
        "Survey current supervision and treatment practices",
        "A written summary of each agency's current practices",
        "Ask every member agency how it supervises and treats adults convicted of sex "
        "offenses today, so the standards start from what exists.",
        0,
        "member1@example.org",
        ("member2@example.org",),
        -75,
        -40,
        S.DONE,
        done=-42,
        notes=((-50, "member1@example.org", "Nine of ten agencies have answered."),),
    ),
    DemoActivity(
        "draft-standards",
        "Draft countywide supervision and treatment standards",
        "Draft standards document for the team to review",
        "Write the first draft from the survey results and the state guidelines.",
        0,
        "member2@example.org",
        ("member1@example.org", "member7@example.org"),
        -35,
        20,
        S.IN_PROGRESS,
        depends_on=("survey",),
        notes=(
            (-20, "member2@example.org", "Sections on **treatment** and **polygraph** drafted."),
            (-3, "member2@example.org", "Supervision section under review by probation."),
        ),
    ),
    DemoActivity(
        "victim-input",
        "Gather victim advocates' input on the standards",
        "Comments from the victim advocacy center on the draft",
        "",
        0,
        "member3@example.org",
        (),
        -10,
        25,
        S.NOT_STARTED,
        depends_on=("draft-standards",),
    ),
    DemoActivity(
        "mou-draft",
        "Draft the information-sharing agreement",
        "Draft memorandum of understanding",
        "A first draft covering what is shared, with whom, and how releases are obtained.",
        1,
        "lead@example.org",
        ("member5@example.org",),
        -60,
        -30,
        S.DONE,
        done=-24,  # a week late
        notes=((-26, "lead@example.org", "Waiting on the public defender's comments."),),
    ),
    DemoActivity(
        "legal-review",
        "Legal review of the information-sharing agreement",
        "Written legal opinion from each agency's counsel",
        "",
        1,
        "member5@example.org",
        ("member6@example.org",),
        -24,
        -5,
        S.BLOCKED,
        blocked_reason="County counsel has not yet assigned a reviewer.",
        depends_on=("mou-draft",),
    ),
    DemoActivity(
        "release-form",
        "Design the shared release-of-information form",
        "A one-page release form all agencies accept",
        "",
        1,
        "member1@example.org",
        ("member4@example.org",),
        -21,
        -2,
        S.IN_PROGRESS,  # and overdue
        notes=((-4, "member1@example.org", "Police records unit asked for one more field."),),
    ),
    DemoActivity(
        "training",
        "Cross-training on the containment approach",
        "A half-day training held for all member agencies",
        "",
        None,
        "moderator@example.org",
        ("member7@example.org", "member8@example.org"),
        5,
        45,
        S.NOT_STARTED,
    ),
    DemoActivity(
        "roster",
        "Update the team's contact roster",
        "Current roster sent to every member",
        "",
        None,
        "recorder@example.org",
        (),
        -14,
        -7,
        S.DONE,
        done=-9,
    ),
]


def _at(today: date, days: int, hour: int = 15) -> datetime:
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=UTC)


def seed(team: Team, users_by_email: dict[str, User], today: date) -> None:
    """Create the demo workplan on `team` (members named in ACTIVITIES who are not on the
    team are skipped; goals are the team's goal statements in creation order)."""
    from teamwork.charter.models import Statement

    members = {
        m.user.email: m
        for m in db.session.scalars(
            sa.select(Membership).where(
                Membership.team_id == team.id, Membership.removed_at.is_(None)
            )
        )
    }
    goals = list(
        db.session.scalars(
            sa.select(Statement)
            .where(Statement.team_id == team.id, Statement.kind.in_(GOAL_KINDS))
            .order_by(Statement.id)
        )
    )
    long_term = [g for g in goals if g.kind.value == "long_term_goal"]
    short_term = [g for g in goals if g.kind.value == "short_term_goal"]
    goal_by_index = {
        0: long_term[0] if long_term else None,
        1: short_term[0] if short_term else None,
    }
    lead = users_by_email.get("lead@example.org")
    created: dict[str, Activity] = {}
    for spec in ACTIVITIES:
        owner = members.get(spec.owner)
        if owner is None:
            continue
        goal = goal_by_index.get(spec.goal) if spec.goal is not None else None
        activity = Activity(
            team_id=team.id,
            goal_id=goal.id if goal else None,
            title=spec.title,
            description=spec.description,
            deliverable=spec.deliverable,
            owner=owner,
            start_on=today + timedelta(days=spec.start),
            due_on=today + timedelta(days=spec.due),
            status=spec.status,
            blocked_reason=spec.blocked_reason,
            completed_on=today + timedelta(days=spec.done) if spec.done is not None else None,
            created_by_id=lead.id if lead else None,
            created_at=_at(today, spec.start - 7, 10),
        )
        for email in spec.collaborators:
            if email in members:
                activity.collaborators.append(ActivityCollaborator(membership=members[email]))
        for key in spec.depends_on:
            if key in created:
                activity.dependencies.append(ActivityDependency(depends_on=created[key]))
        db.session.add(activity)
        created[spec.key] = activity
        _history(activity, spec, owner, lead, today)
    db.session.commit()


def _history(
    activity: Activity, spec: DemoActivity, owner: Membership, lead: User | None, today: date
) -> None:
    """A believable trail: created by the lead, started and finished (or blocked) by the owner,
    with the owner's progress notes in between."""
    actor = owner.user
    entries: list[tuple[datetime, ChangeKind, dict[str, list[object]], User | None]] = [
        (
            activity.created_at,
            ChangeKind.CREATED,
            {
                "title": [None, spec.title],
                "owner": [None, actor.name],
                "due_on": [None, activity.due_on.isoformat() if activity.due_on else None],
            },
            lead,
        )
    ]
    label = rules.STATUS_LABELS
    if spec.status is not S.NOT_STARTED and spec.start <= 0:
        entries.append(
            (
                _at(today, spec.start, 11),
                ChangeKind.UPDATED,
                {"status": [label[S.NOT_STARTED], label[S.IN_PROGRESS]]},
                actor,
            )
        )
    if spec.status is S.DONE and spec.done is not None:
        entries.append(
            (
                _at(today, spec.done, 16),
                ChangeKind.UPDATED,
                {
                    "status": [label[S.IN_PROGRESS], label[S.DONE]],
                    "completed_on": [None, activity.completed_on.isoformat()],
                },
                actor,
            )
        )
    if spec.status is S.BLOCKED:
        entries.append(
            (
                _at(today, -1, 9),
                ChangeKind.UPDATED,
                {
                    "status": [label[S.IN_PROGRESS], label[S.BLOCKED]],
                    "blocked_reason": ["", spec.blocked_reason],
                },
                actor,
            )
        )
    for days, email, text in spec.notes:
        author = owner.user if owner.user.email == email else lead
        note = ActivityNote(text=text, author=author, created_at=_at(today, days, 14))
        activity.notes.append(note)
        entries.append((note.created_at, ChangeKind.NOTE, {"note": [None, text]}, author))
    for at, kind, changes, who in sorted(entries, key=lambda e: e[0]):
        activity.changes.append(
            ActivityChange(
                team_id=activity.team_id, kind=kind, changes=changes, actor=who, created_at=at
            )
        )
