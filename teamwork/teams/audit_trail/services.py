"""The audit trail in words: look up the names a page of events mentions, then have
`rules.describe` write each event as a sentence.

People and members are teams' own. Proposals, rounds, meetings and measures belong to higher
capabilities, which teams may not import: each registers a lookup here when its pages are set
up (`register_subjects`, at import of its views module). A lookup is asked only for ids of the
team whose trail is shown, and answers only for that team's rows. May import teams, auth and
the layers below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from teamwork.audit.models import AuditEvent
from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.teams.audit_trail import rules
from teamwork.teams.models import Membership

# kind -> lookup(team_id, ids) -> {id: name as the sentence shows it}
SubjectLookup = Callable[[int, set[int]], dict[int, str]]
_SUBJECTS: dict[str, SubjectLookup] = {}


def register_subjects(kind: str, lookup: SubjectLookup) -> None:
    """Name the `kind` of thing (e.g. "proposal") in the trail's sentences with `lookup`
    (idempotent: registering again replaces it)."""
    _SUBJECTS[kind] = lookup


@dataclass(frozen=True)
class Line:
    """One row of the trail as people read it."""

    event: AuditEvent
    actor: str
    sentence: str


def _event(row: AuditEvent) -> rules.Event:
    return rules.Event(
        action=row.action,
        actor_id=row.actor_id,
        actor_email=row.actor_email,
        target_type=row.target_type,
        target_id=row.target_id,
        details=row.details or {},
    )


def _names(team_id: int, events: Iterable[rules.Event]) -> rules.Names:
    wanted: dict[str, set[int]] = {}
    for event in events:
        for kind, ids in rules.mentioned(event).items():
            wanted.setdefault(kind, set()).update(ids)
    people: dict[int, str] = {}
    if ids := wanted.pop("user", set()):
        rows = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids)))
        people = {user_id: name for user_id, name in rows}
    members: dict[int, str] = {}
    if ids := wanted.pop("membership", set()):
        rows = db.session.execute(
            sa.select(Membership.id, User.name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.id.in_(ids), Membership.team_id == team_id)
        )
        members = {membership_id: name for membership_id, name in rows}
    subjects: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        if (lookup := _SUBJECTS.get(kind)) is not None and ids:
            subjects.update(((kind, key), name) for key, name in lookup(team_id, ids).items())
    return rules.Names(people=people, members=members, subjects=subjects)


def describe_events(team_id: int, rows: list[AuditEvent]) -> list[Line]:
    """The page's events as sentences, with a few queries for the whole page (not per row)."""
    events = [_event(row) for row in rows]
    names = _names(team_id, events)
    return [
        Line(event=row, actor=rules.actor_name(event, names), sentence=rules.describe(event, names))
        for row, event in zip(rows, events, strict=True)
    ]
