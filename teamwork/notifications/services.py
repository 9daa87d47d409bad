"""Making notifications, reading and marking them, each person's email choices, the one-click
unsubscribe, and the daily digest.

`notify` runs inside the transaction of the action it reports (a receiver of that capability's
signal): the notifications, and the emails queued for "at once", are committed with the action
or not at all. Emails go through the outbox (`teamwork.mail.send_email`), sent by the
background worker; a failing mail server delays them and never fails the action.

Imports: the capabilities whose signals it receives (all below it in `teamwork/layers.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape

from teamwork.auth.models import User
from teamwork.consensus.models import Decision, Proposal, Round
from teamwork.consensus.rules import Outcome, deadline_text
from teamwork.consensus.services import eligible_voter_ids, zone_name
from teamwork.consensus.signals import (
    decision_recorded,
    proposal_created,
    round_closed,
    round_deadline_near,
    round_opened,
)
from teamwork.database import utcnow
from teamwork.discussion.models import Comment
from teamwork.discussion.services import find_subject
from teamwork.discussion.signals import comment_posted
from teamwork.errors import InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import absolute_link, send_email
from teamwork.meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MinutesEntry,
)
from teamwork.meetings.services import agenda_text
from teamwork.meetings.signals import (
    action_item_added,
    action_item_due_soon,
    action_item_overdue,
    agenda_published,
    meeting_ended,
    minutes_proposed,
)
from teamwork.moderation.models import ModeratorTerm
from teamwork.moderation.notices import term_notice
from teamwork.moderation.signals import term_starting
from teamwork.notifications import rules
from teamwork.notifications.models import Notification, NotificationPreference
from teamwork.notifications.rules import Delivery, Kind
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Role
from teamwork.workplans.models import Activity
from teamwork.workplans.signals import activity_assigned, activity_due_soon, activity_overdue

log = logging.getLogger("teamwork.notifications")

# session.info: the users whose unread count changed in this transaction (the bell is told
# after the commit, `teamwork.notifications.sockets`).
PENDING_BELLS = "teamwork.notifications.pending"
PAGE_SIZE = 50


# --- Making them -------------------------------------------------------------------------------


def notify(
    team: Team,
    user_ids: Iterable[int],
    kind: Kind,
    *,
    title: str,
    url: str,
    detail: str = "",
    skip_user_id: int | None = None,
) -> list[Notification]:
    """Tell each of `user_ids` who is a current member of `team`, with an active account, about
    something there (never the person who did it, `skip_user_id`). In the caller's transaction;
    emails for those who chose "at once" are queued in it too."""
    wanted = {uid for uid in user_ids if uid != skip_user_id}
    if not wanted or team.archived_at is not None:
        return []
    users = list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.team_id == team.id,
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
                User.id.in_(wanted),
            )
            .order_by(User.id)
        ).unique()
    )
    choices = _choices([u.id for u in users], kind)
    made = []
    for user in users:
        delivery = choices.get(user.id, rules.KINDS[kind].default)
        note = Notification(
            user_id=user.id,
            team_id=team.id,
            kind=kind,
            title=title[:300],
            detail=detail,
            url=url,
            digest_pending=delivery is Delivery.DAILY,
        )
        db.session.add(note)
        made.append(note)
        if delivery is Delivery.AT_ONCE:
            note.emailed_at = utcnow()
            _email_one(user, team, note)
    if made:
        db.session.info.setdefault(PENDING_BELLS, set()).update(u.id for u in users)
    return made


def team_member_ids(team_id: int, *, voters_only: bool = False) -> list[int]:
    """The user ids of the team's current members (observers left out with `voters_only`)."""
    query = sa.select(Membership.user_id).where(
        Membership.team_id == team_id, Membership.removed_at.is_(None)
    )
    if voters_only:
        query = query.where(Membership.role != Role.OBSERVER)
    return list(db.session.scalars(query))


def _choices(user_ids: list[int], kind: Kind) -> dict[int, Delivery]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(NotificationPreference.user_id, NotificationPreference.delivery).where(
            NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind
        )
    )
    return {user_id: delivery for user_id, delivery in rows}


# --- Email -------------------------------------------------------------------------------------


def _path(endpoint: str, **values: Any) -> str:
    """A page's path, with or without a request (the worker sends from no request)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _link(path: str) -> str:
    base = current_app.config.get("TEAMWORK_BASE_URL")
    if base:
        return base.rstrip("/") + path
    home = absolute_link("teams.dashboard")
    return home.rstrip("/") + path if home else path


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    html: str
    headers: dict[str, str]


def compose_email(user: User, notes: list[Notification], *, digest: bool = False) -> Email:
    """The plain-text and HTML email for one notification (or a digest of several), with the
    unsubscribe link and headers of RFC 8058. A team that keeps detail out of email gets a
    line saying something needs attention instead of the detail (and of the title, which
    may name a proposal)."""
    kind = None if digest else notes[0].kind
    token = unsubscribe_token(user, kind)
    unsubscribe = _link(_path("notifications.unsubscribe", token=token))
    preferences = _link(_path("notifications.preferences"))
    blocks: list[tuple[str, str, str]] = []  # (heading, text, link)
    for note in notes:
        if note.team.email_detail_allowed:
            blocks.append((note.title, note.detail, _link(note.url)))
        else:
            blocks.append((note.team.name, rules.private_line(note.team.name), _link(note.url)))
    if digest:
        subject = rules.digest_subject(len(notes))
    elif notes[0].team.email_detail_allowed:
        subject = notes[0].title
    else:
        subject = f"Teamwork: {notes[0].team.name} needs your attention"
    why = (
        "You receive this daily digest because of your notification settings."
        if digest
        else f"You receive this because of your setting for “{rules.KINDS[notes[0].kind].label}”."
    )
    text = []
    for heading, detail, link in blocks:
        text += [heading, *([detail] if detail else []), f"Open it: {link}", ""]
    text += [
        "--",
        why,
        f"Change what Teamwork emails you: {preferences}",
        f"Stop these emails: {unsubscribe}",
    ]
    html = ['<div style="font-family:sans-serif;line-height:1.5">']
    for heading, detail, link in blocks:
        html.append(f'<h2 style="font-size:1.1em">{escape(heading)}</h2>')
        if detail:
            html.append(f'<p style="white-space:pre-wrap">{escape(detail)}</p>')
        html.append(f'<p><a href="{escape(link)}">Open it in Teamwork</a></p>')
    html.append(
        f'<hr><p style="color:#4b5563;font-size:0.9em">{escape(why)} '
        f'<a href="{escape(preferences)}">Change what Teamwork emails you</a> · '
        f'<a href="{escape(unsubscribe)}">Stop these emails</a></p></div>'
    )
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return Email(subject[:500], "\n".join(text), "".join(html), headers)


def _email_one(user: User, team: Team, note: Notification) -> None:
    note.team = team
    email = compose_email(user, [note])
    send_email(
        user.email, email.subject, email.body, html=email.html, headers=email.headers, commit=False
    )


def send_digests(now: datetime | None = None) -> str:
    """Email each person their notifications waiting for the daily digest, in one message, and
    mark them sent (the worker's daily job; a second run the same day finds nothing)."""
    now = now or utcnow()
    pending = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.digest_pending.is_(True))
            .order_by(Notification.user_id, Notification.created_at, Notification.id)
        )
    )
    by_user: dict[int, list[Notification]] = {}
    for note in pending:
        by_user.setdefault(note.user_id, []).append(note)
    sent = 0
    for user_id, notes in by_user.items():
        user = db.session.get(User, user_id)
        for note in notes:
            note.digest_pending = False
        # Read in the app already, or no longer theirs to read: not emailed again.
        still = [n for n in notes if n.read_at is None and _still_member(user, n.team_id)]
        if user is None or user.deactivated_at is not None or not still:
            continue
        email = compose_email(user, still, digest=True)
        send_email(
            user.email, email.subject, email.body, html=email.html, headers=email.headers,
            commit=False,
        )  # fmt: skip
        for note in still:
            note.emailed_at = now
        sent += 1
    db.session.commit()
    return f"{sent} digest{'s' if sent != 1 else ''} queued"


def _still_member(user: User | None, team_id: int) -> bool:
    if user is None:
        return False
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user.id,
                Membership.team_id == team_id,
                Membership.removed_at.is_(None),
            )
        )
        is not None
    )


# --- Reading and marking -----------------------------------------------------------------------


def _visible(user: User) -> sa.Select[Any]:
    """The user's notifications from teams they are in now (a removed member's stay hidden)."""
    current = sa.select(Membership.team_id).where(
        Membership.user_id == user.id, Membership.removed_at.is_(None)
    )
    return sa.select(Notification).where(
        Notification.user_id == user.id, Notification.team_id.in_(current)
    )


def unread_count(user: User) -> int:
    query = _visible(user).where(Notification.read_at.is_(None))
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)


def unread_notifications(user: User, *, limit: int) -> list[Notification]:
    """The newest unread ones (the dashboard's panel)."""
    return list(
        db.session.scalars(
            _visible(user)
            .where(Notification.read_at.is_(None))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def list_notifications(user: User, *, before_id: int | None = None) -> list[Notification]:
    """The newest first, a page at a time (`before_id`: the last id of the previous page)."""
    query = _visible(user)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(
        db.session.scalars(
            query.order_by(Notification.id.desc()).limit(PAGE_SIZE)
        )
    )  # fmt: skip


def open_notification(user: User, notification_id: int) -> Notification:
    """Mark one read (opening it does) and return it; someone else's is not found."""
    note = db.session.scalar(_visible(user).where(Notification.id == notification_id))
    if note is None:
        raise NotFound()
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.info.setdefault(PENDING_BELLS, set()).add(user.id)
    db.session.commit()
    return note


def mark_all_read(user: User) -> int:
    ids = [n.id for n in db.session.scalars(_visible(user).where(Notification.read_at.is_(None)))]
    if ids:
        db.session.execute(
            sa.update(Notification).where(Notification.id.in_(ids)).values(read_at=utcnow())
        )
        db.session.info.setdefault(PENDING_BELLS, set()).add(user.id)
    db.session.commit()
    return len(ids)


# --- Email choices -----------------------------------------------------------------------------


def preferences(user: User) -> dict[Kind, Delivery]:
    chosen = {
        kind: delivery
        for kind, delivery in db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        )
    }
    return {kind: rules.delivery_for(kind, chosen) for kind in rules.KINDS}


def set_preferences(user: User, chosen: dict[str, str]) -> dict[Kind, Delivery]:
    """Save the person's choice for each kind given ({kind: delivery}); an unknown kind or
    delivery is refused and nothing is saved."""
    parsed: dict[Kind, Delivery] = {}
    for key, value in chosen.items():
        try:
            parsed[Kind(key)] = Delivery(value)
        except ValueError:
            raise InvalidInput("Choose how each kind of notification reaches you.") from None
    existing = {
        row.kind: row
        for row in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, delivery in parsed.items():
        row = existing.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, delivery=delivery))
        else:
            row.delivery = delivery
    db.session.commit()
    return preferences(user)


# --- One-click unsubscribe (RFC 8058) --------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="teamwork.unsubscribe")


def unsubscribe_token(user: User, kind: Kind | None) -> str:
    """A link that turns off one kind of email (or every kind, for the digest) without signing
    in: signed with the app's secret, carrying the user id and what it stops."""
    return str(_serializer().dumps({"u": user.id, "k": kind.value if kind else "*"}))


@dataclass(frozen=True)
class Unsubscribe:
    user: User
    kinds: tuple[Kind, ...]


def read_unsubscribe(token: str) -> Unsubscribe:
    """What a link stops; a forged or damaged link is not found."""
    try:
        data = _serializer().loads(token)
        user = db.session.get(User, int(data["u"]))
        kinds = tuple(rules.KINDS) if data["k"] == "*" else (Kind(data["k"]),)
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound() from None
    if user is None:
        raise NotFound()
    return Unsubscribe(user, kinds)


def apply_unsubscribe(token: str) -> Unsubscribe:
    """Turn the link's email off (idempotent: a second click changes nothing)."""
    found = read_unsubscribe(token)
    set_preferences(found.user, {kind.value: Delivery.OFF.value for kind in found.kinds})
    return found


# --- What the capabilities below report (their signals, in their transactions) ---------------

OUTCOME_WORDS = {
    Outcome.CONSENSUS: "consensus reached",
    Outcome.NO_CONSENSUS: "no consensus",
    Outcome.WITHDRAWN: "withdrawn without counting",
}


def _proposal_path(proposal: Proposal) -> str:
    return _path("consensus.vote", team_id=proposal.team_id, proposal_id=proposal.id)


def _actor_id(extra: dict[str, Any]) -> int | None:
    actor = extra.get("actor")
    return getattr(actor, "id", None)


@proposal_created.connect
def _on_proposal(proposal: Proposal, **extra: Any) -> None:
    author = extra.get("actor")
    by = f" by {author.name}" if author is not None else ""
    notify(
        proposal.team,
        team_member_ids(proposal.team_id),
        Kind.PROPOSAL_MADE,
        title=f"New proposal in {proposal.team.name}: “{proposal.title}”{by}",
        detail=proposal.versions[0].text if proposal.versions else "",
        url=_proposal_path(proposal),
        skip_user_id=_actor_id(extra),
    )


def _user_ids(membership_ids: Iterable[int]) -> list[int]:
    ids = list(membership_ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Membership.user_id).where(Membership.id.in_(ids))))


def _until(round_: Round) -> str:
    if round_.closes_at is None:
        return ""
    return f", open until {deadline_text(round_.closes_at, zone_name(round_.proposal.team_id))}"


@round_opened.connect
def _on_round_opened(round_: Round, **_extra: Any) -> None:
    """Those who may vote now (in a meeting with attendance, those attending) are asked."""
    proposal = round_.proposal
    notify(
        proposal.team,
        _user_ids(eligible_voter_ids(proposal.team_id)),
        Kind.ROUND_OPENED,
        title=f"Your vote: round {round_.number} on “{proposal.title}”{_until(round_)}",
        detail=round_.version.text if round_.version is not None else "",
        url=_proposal_path(proposal),
        skip_user_id=round_.opened_by_id,
    )


@round_deadline_near.connect
def _on_deadline_near(round_: Round, **extra: Any) -> None:
    proposal = round_.proposal
    notify(
        proposal.team,
        _user_ids(extra.get("membership_ids") or ()),
        Kind.VOTE_MISSING,
        title=f"Your vote is missing: round {round_.number} on “{proposal.title}”{_until(round_)}",
        url=_proposal_path(proposal),
    )


@round_closed.connect
def _on_round_closed(round_: Round, **_extra: Any) -> None:
    proposal = round_.proposal
    outcome = OUTCOME_WORDS.get(round_.outcome, "closed") if round_.outcome else "closed"
    tally = ""
    if round_.outcome is not Outcome.WITHDRAWN:
        tally = (
            f"{round_.up_count or 0} up, {round_.sideways_count or 0} sideways, "
            f"{round_.down_count or 0} down, of {round_.eligible_count or 0} eligible."
        )
    notify(
        proposal.team,
        team_member_ids(proposal.team_id, voters_only=True),
        Kind.ROUND_CLOSED,
        title=f"Round {round_.number} on “{proposal.title}” closed: {outcome}",
        detail=tally,
        url=_proposal_path(proposal),
    )


@decision_recorded.connect
def _on_decision(decision: Decision, **_extra: Any) -> None:
    team = db.session.get(Team, decision.team_id)
    if team is None:
        return
    notify(
        team,
        team_member_ids(team.id),
        Kind.DECISION_REACHED,
        title=f"{team.name} decided: “{decision.title}”",
        detail=decision.text,
        url=_path("consensus.decision", team_id=team.id, decision_id=decision.id),
    )


@minutes_proposed.connect
def _on_minutes(meeting: Meeting, **extra: Any) -> None:
    proposal: Proposal = extra["proposal"]
    notify(
        meeting.team,
        team_member_ids(meeting.team_id),
        Kind.MINUTES_READY,
        title=f"Minutes ready for approval: {proposal.title}",
        url=_proposal_path(proposal),
        skip_user_id=_actor_id(extra),
    )


@meeting_ended.connect
def _on_meeting_ended(meeting: Meeting, **extra: Any) -> None:
    """Every member gets the summary: the decisions in the words agreed, the action items
    with their owners, the way to the draft minutes; those recorded absent are told so."""
    decisions = list(
        db.session.scalars(
            sa.select(Decision)
            .join(MinutesEntry, MinutesEntry.decision_id == Decision.id)
            .where(MinutesEntry.meeting_id == meeting.id)
            .order_by(Decision.id)
        )
    )
    actions = list(
        db.session.scalars(
            sa.select(ActionItem).where(ActionItem.meeting_id == meeting.id).order_by(ActionItem.id)
        )
    )
    lines = []
    for decision in decisions:
        lines += [f"Decided: {decision.title}", f"  “{decision.text.strip()}”"]
    for action in actions:
        owner = action.owner.user.name if action.owner else "no one yet"
        due = f", due {action.due_on:%d %b %Y}" if action.due_on else ""
        lines.append(f"To do: {action.description} ({owner}{due})")
    if not lines:
        lines.append("No decisions or action items were recorded.")
    detail = "\n".join(lines)
    absent = set(
        db.session.scalars(
            sa.select(Membership.user_id)
            .join(Attendance, Attendance.membership_id == Membership.id)
            .where(
                Attendance.meeting_id == meeting.id,
                Attendance.status == AttendanceStatus.ABSENT,
            )
        )
    )
    everyone = set(team_member_ids(meeting.team_id))
    url = _path("meetings.minutes", team_id=meeting.team_id, meeting_id=meeting.id)
    counts = f"{len(decisions)} decision{'s' if len(decisions) != 1 else ''}, " + (
        f"{len(actions)} action item{'s' if len(actions) != 1 else ''}"
    )
    notify(
        meeting.team,
        everyone - absent,
        Kind.MEETING_SUMMARY,
        title=f"{meeting.title} has ended: {counts}",
        detail=detail,
        url=url,
    )
    notify(
        meeting.team,
        everyone & absent,
        Kind.MEETING_SUMMARY,
        title=f"You were recorded absent from {meeting.title}: {counts}",
        detail=detail,
        url=url,
    )


@action_item_added.connect
def _on_action_item(action: ActionItem, **extra: Any) -> None:
    owner = db.session.get(Membership, action.owner_id) if action.owner_id else None
    meeting = db.session.get(Meeting, action.meeting_id)
    if owner is None or meeting is None:
        return
    due = f" (due {action.due_on:%d %b %Y})" if action.due_on else ""
    notify(
        meeting.team,
        [owner.user_id],
        Kind.ACTION_ASSIGNED,
        title=f"An action item for you from {meeting.title}: {action.description}{due}",
        url=_path("workplans.my_deliverables"),
        skip_user_id=_actor_id(extra),
    )


@activity_assigned.connect
def _on_activity(activity: Activity, **extra: Any) -> None:
    owner = db.session.get(Membership, activity.owner_id) if activity.owner_id else None
    if owner is None:
        return
    due = f" (due {activity.due_on:%d %b %Y})" if activity.due_on else ""
    notify(
        owner.team,
        [owner.user_id],
        Kind.ACTIVITY_ASSIGNED,
        title=f"A workplan activity is yours: {activity.title}{due}",
        detail=activity.deliverable or "",
        url=_path("workplans.show", team_id=owner.team_id, activity_id=activity.id),
        skip_user_id=_actor_id(extra),
    )


@comment_posted.connect
def _on_comment(comment: Comment, **extra: Any) -> None:
    """Those named with an @handle are told they were mentioned; the author of the comment
    answered, that they have a reply (once: a mentioned author hears of the mention). The
    comment is committed already (discussion sends after its commit), so this commits."""
    team = db.session.get(Team, comment.team_id)
    if team is None:
        return
    subject = find_subject(comment.subject_kind, comment.subject_id)
    path = _path(subject.endpoint, **subject.values) + f"#comment-{comment.id}"
    author = comment.author.user.name if comment.author is not None else "Someone"
    mentioned = set(_user_ids(extra.get("mentioned") or ()))
    replied = set(_user_ids([extra["replied_to"]] if extra.get("replied_to") else ())) - mentioned
    notify(
        team,
        mentioned,
        Kind.MENTIONED,
        title=f"{author} mentioned you on “{subject.title}”",
        detail=comment.body,
        url=path,
    )
    notify(
        team,
        replied,
        Kind.REPLIED,
        title=f"{author} replied to your comment on “{subject.title}”",
        detail=comment.body,
        url=path,
    )
    db.session.commit()


@agenda_published.connect
def _on_agenda(meeting: Meeting, **extra: Any) -> None:
    """Every member prepares for the meeting from its agenda (the one who published it knows)."""
    items: list[AgendaItem] = extra.get("items") or []
    updated = bool(extra.get("updated"))
    start = meeting.local_starts_at
    title = ("Agenda updated: " if updated else "Agenda: ") + (
        f"{meeting.title}, {start:%A} {start.day} {start:%B %Y}"
    )
    lead = f"The agenda of {meeting.team.name}'s meeting " + (
        "has been updated." if updated else "is published."
    )
    notify(
        meeting.team,
        team_member_ids(meeting.team_id),
        Kind.AGENDA_PUBLISHED,
        title=title,
        detail=f"{lead}\n\n{agenda_text(meeting, items)}",
        url=_path("meetings.show", team_id=meeting.team_id, meeting_id=meeting.id),
        skip_user_id=_actor_id(extra),
    )


def _due_when(due_on: date, day: date) -> str:
    days = (due_on - day).days
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


@activity_due_soon.connect
def _on_activity_due_soon(activity: Activity, **extra: Any) -> None:
    assert activity.due_on is not None  # noqa: S101 - only dated activities are reminded
    day: date = extra["day"]
    lines = [
        f"“{activity.title}” in {activity.team.name}'s workplan is due "
        f"{_due_when(activity.due_on, day)}, on {activity.due_on:%d %B %Y}."
    ]
    if activity.deliverable:
        lines.append(f"Deliverable: {activity.deliverable}")
    lines += [f"Status: {activity.status.label}.", "Update its status or add a progress note."]
    notify(
        activity.team,
        [activity.owner.user_id],
        Kind.ACTIVITY_DUE_SOON,
        title=f"Due {activity.due_on:%d %B}: {activity.title}",
        detail="\n".join(lines),
        url=_path("workplans.show", team_id=activity.team_id, activity_id=activity.id),
    )


@activity_overdue.connect
def _on_activity_overdue(activity: Activity, **_extra: Any) -> None:
    assert activity.due_on is not None  # noqa: S101 - only dated activities are overdue
    lines = [
        f"“{activity.title}” in {activity.team.name}'s workplan was due on "
        f"{activity.due_on:%d %B %Y} and is not done.",
        f"Status: {activity.status.label}.",
        "Update its status, add a progress note, or agree a new due date with the team's lead.",
    ]
    notify(
        activity.team,
        [activity.owner.user_id],
        Kind.ACTIVITY_OVERDUE,
        title=f"Overdue since {activity.due_on:%d %B}: {activity.title}",
        detail="\n".join(lines),
        url=_path("workplans.show", team_id=activity.team_id, activity_id=activity.id),
    )


def _action_item_notice(action: ActionItem, kind: Kind, title: str, first_line: str) -> None:
    meeting = db.session.get(Meeting, action.meeting_id)
    owner = db.session.get(Membership, action.owner_id)
    if meeting is None or owner is None:
        return
    notify(
        meeting.team,
        [owner.user_id],
        kind,
        title=title,
        detail=f"{first_line}\n“{action.description}”\nMark it done in My deliverables.",
        url=_path("workplans.my_deliverables"),
    )


@action_item_due_soon.connect
def _on_action_due_soon(action: ActionItem, **extra: Any) -> None:
    assert action.due_on is not None  # noqa: S101 - only dated action items are reminded
    meeting = action.meeting
    _action_item_notice(
        action,
        Kind.ACTION_DUE_SOON,
        f"Due {action.due_on:%d %B}: {action.description}",
        f"Your action item from {meeting.title} ({meeting.team.name}) is due "
        f"{_due_when(action.due_on, extra['day'])}, on {action.due_on:%d %B %Y}:",
    )


@action_item_overdue.connect
def _on_action_overdue(action: ActionItem, **_extra: Any) -> None:
    assert action.due_on is not None  # noqa: S101 - only dated action items are overdue
    meeting = action.meeting
    _action_item_notice(
        action,
        Kind.ACTION_OVERDUE,
        f"Overdue since {action.due_on:%d %B}: {action.description}",
        f"Your action item from {meeting.title} ({meeting.team.name}) was due on "
        f"{action.due_on:%d %B %Y} and is not marked done:",
    )


@term_starting.connect
def _on_term_starting(term: ModeratorTerm, **extra: Any) -> None:
    """The incoming moderator, the outgoing one and the backup, each in their own words."""
    url = _path("teams.show", team_id=term.team_id)
    for membership, role in extra.get("recipients") or ():
        title, detail = term_notice(term, extra.get("outgoing"), role)
        notify(
            term.team, [membership.user_id], Kind.TERM_STARTING, title=title, detail=detail, url=url
        )
