"""How a team's audit trail reads: one plain sentence per event, from its kind, its details and
the names of the people and things it mentions ("Dana Reyes voted thumbs up on “Treatment
reports”, round 1"), instead of `vote.cast · membership_id: 6`.

Pure: the names come in already looked up (`services.py`), so this module only chooses words.
An event of a kind it does not know is shown as its kind and details, never hidden. Imports the
standard library and the teams rules (role labels) only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from teamwork.teams.rules import Role

# The stand-ins for names that are not known (never an address: it is shown as written).
LOWER_CASE_OPENINGS = ("a former member", "a member", "someone", "a deleted account")
CHOICE_WORDS = {"up": "thumbs up", "sideways": "thumbs sideways", "down": "thumbs down"}
OUTCOME_WORDS = {
    "consensus": "consensus",
    "no_consensus": "no consensus",
    "withdrawn": "withdrawn",
}


@dataclass(frozen=True)
class Event:
    """The parts of an audit event the sentence is made from."""

    action: str
    actor_id: int | None = None
    actor_email: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Names:
    """Names looked up for a page of events: people by user id, members by membership id, and
    subjects (a proposal's title, a meeting's, a round's) by (kind, id)."""

    people: Mapping[int, str] = field(default_factory=dict)
    members: Mapping[int, str] = field(default_factory=dict)
    subjects: Mapping[tuple[str, int], str] = field(default_factory=dict)

    def person(self, user_id: Any, fallback: str = "someone") -> str:
        return self.people.get(user_id, fallback) if isinstance(user_id, int) else fallback

    def member(self, membership_id: Any) -> str:
        if isinstance(membership_id, int):
            return self.members.get(membership_id, "a former member")
        return "a member"

    def subject(self, kind: str, subject_id: Any, fallback: str) -> str:
        if isinstance(subject_id, int):
            return self.subjects.get((kind, subject_id), fallback)
        return fallback


def mentioned(event: Event) -> dict[str, set[int]]:
    """The ids this event's sentence needs names for, by kind ("user", "membership", and
    subject kinds such as "proposal", "round", "meeting")."""
    wanted: dict[str, set[int]] = {}

    def want(kind: str, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            wanted.setdefault(kind, set()).add(value)

    want("user", event.actor_id)
    details = event.details
    want("user", details.get("user_id"))
    want("membership", details.get("membership_id"))
    want("proposal", details.get("proposal_id"))
    want("meeting", details.get("meeting_id"))
    want("measure", details.get("measure_id"))
    if event.target_type in ("round", "membership", "meeting", "measure"):
        want(event.target_type, event.target_id)
    return wanted


def _role(value: Any) -> str:
    try:
        return Role(value).label.lower()
    except ValueError:
        return str(value)


def _quoted(title: str) -> str:
    return f"“{title}”"


def _round(event: Event, names: Names) -> str:
    """“Title”, round N, from the round's own name when it was looked up."""
    named = names.subject("round", event.target_id, "")
    if named:
        return named
    proposal = names.subject("proposal", event.details.get("proposal_id"), "a proposal")
    number = event.details.get("number")
    return f"{proposal}, round {number}" if number else proposal


def _vote(event: Event, names: Names, actor: str) -> str:
    details = event.details
    voter = names.member(details.get("membership_id"))
    choice = CHOICE_WORDS.get(str(details.get("choice")), "")
    what = f" {choice}" if choice else ""  # anonymous rounds record no choice
    where = _round(event, names)
    if details.get("via") == "moderator":
        return f"{actor} entered {voter}'s raised hand{what} on {where}"
    designee = " as a designee" if details.get("via") == "designee" else ""
    return f"{voter} voted{what}{designee} on {where}"


def _closed(event: Event, names: Names, actor: str) -> str:
    details = event.details
    outcome = OUTCOME_WORDS.get(str(details.get("outcome")), str(details.get("outcome", "")))
    counts = ", ".join(
        f"{details[key]} {word.removeprefix('thumbs ')}"
        for key, word in CHOICE_WORDS.items()
        if isinstance(details.get(key), int)
    )
    tally = f" ({counts})" if counts else ""
    return f"{actor} closed {_round(event, names)}: {outcome}{tally}"


def _term(event: Event, names: Names, actor: str) -> str:
    details = event.details
    member = names.member(details.get("membership_id"))
    span = " – ".join(str(details[key]) for key in ("starts_on", "ends_on") if details.get(key))
    return f"{actor} scheduled {member}'s moderator term{f', {span}' if span else ''}"


def _denied(event: Event, _names: Names, actor: str) -> str:
    details = event.details
    if "event" in details:
        return f"{actor} was refused a live action ({details['event']})"
    method = "open" if details.get("method") in ("GET", "HEAD") else "change"
    return f"{actor} was refused: tried to {method} {details.get('path', 'a page')}"


Sentence = Callable[[Event, Names, str], str]

SENTENCES: dict[str, Sentence] = {
    "membership.added": lambda e, n, a: (
        f"{a} added {n.person(e.details.get('user_id'))} as {_role(e.details.get('role'))}"
        + (f" ({e.details['agency']})" if e.details.get("agency") else "")
    ),
    "membership.role_changed": lambda e, n, a: (
        f"{a} changed {n.person(e.details.get('user_id'))}'s role from"
        f" {_role(e.details.get('from'))} to {_role(e.details.get('to'))}"
    ),
    "membership.removed": lambda e, n, a: (
        f"{a} removed {n.person(e.details.get('user_id'))} from the team"
    ),
    "membership.left": lambda _e, _n, a: f"{a} left the team",
    "team.archived": lambda _e, _n, a: f"{a} archived the team",
    "team.unarchived": lambda _e, _n, a: f"{a} brought the team back from the archive",
    "invitation.sent": lambda e, _n, a: (
        f"{a} invited {e.details.get('email', 'someone')} as {_role(e.details.get('role'))}"
    ),
    "invitation.accepted": lambda _e, _n, a: f"{a} accepted an invitation and joined",
    "invitation.revoked": lambda _e, _n, a: f"{a} withdrew an invitation",
    "invitation.declined": lambda _e, _n, a: f"{a} declined an invitation",
    "round.opened": lambda e, n, a: f"{a} opened {_round(e, n)}",
    "round.revealed": lambda e, n, a: f"{a} revealed the votes of {_round(e, n)}",
    "round.closed": _closed,
    "vote.cast": _vote,
    "decision.recorded": lambda e, _n, _a: (
        f"The team decided {_quoted(str(e.details.get('title', 'a proposal')))}"
    ),
    "charter.adopted": lambda _e, _n, a: f"{a} adopted a charter statement by consensus",
    "decision_rule.adopted": lambda _e, _n, a: f"{a} adopted a new decision rule by consensus",
    "agreement.signed": lambda e, _n, a: (
        f"{a} signed the agreement for {e.details.get('agency', 'their agency')}"
    ),
    "moderator_term.created": _term,
    "minutes.approved": lambda e, n, a: (
        f"{a} approved the minutes of"
        f" {n.subject('meeting', e.details.get('meeting_id'), 'a meeting')}"
    ),
    "meeting.cancelled": lambda e, _n, a: (
        f"{a} cancelled {_quoted(str(e.details.get('title', 'a meeting')))}"
        + (f": {e.details['reason']}" if e.details.get("reason") else "")
    ),
    "measure.deleted": lambda e, _n, a: (
        f"{a} deleted the measure {_quoted(str(e.details.get('name', '')))}"
        + (
            f" and its {e.details['data_points']} data points"
            if e.details.get("data_points")
            else ""
        )
    ),
    "data_point.deleted": lambda e, n, a: (
        f"{a} deleted the {e.details.get('recorded_on', '')} value {e.details.get('value', '')}"
        f" of {n.subject('measure', e.details.get('measure_id'), 'a measure')}"
    ),
    "comment.hidden": lambda e, n, a: (
        f"{a} hid {n.member(e.details.get('membership_id'))}'s comment on"
        f" {e.details.get('subject', 'a discussion')}: {e.details.get('reason', '')}"
    ),
    "comment.unhidden": lambda e, n, a: (
        f"{a} showed again {n.member(e.details.get('membership_id'))}'s comment on"
        f" {e.details.get('subject', 'a discussion')}"
    ),
    "audit.exported": lambda _e, _n, a: f"{a} exported the audit trail",
    "access.denied": _denied,
}


def actor_name(event: Event, names: Names) -> str:
    if event.actor_id is not None:
        return names.person(event.actor_id, event.actor_email or "a deleted account")
    return event.actor_email or "The system"


def describe(event: Event, names: Names) -> str:
    """The event as a sentence, or, for a kind this module does not know, its kind and details
    (an unknown event is still shown)."""
    actor = actor_name(event, names)
    sentence = SENTENCES.get(event.action)
    if sentence is None:
        shown = " · ".join(f"{key}: {value}" for key, value in sorted(event.details.items()))
        return f"{actor}: {event.action}" + (f" · {shown}" if shown else "")
    words = sentence(event, names, actor)
    if words.startswith(LOWER_CASE_OPENINGS):  # a stand-in for a name opens the sentence
        words = words[:1].upper() + words[1:]
    return words + "."
