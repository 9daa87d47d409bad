"""Calendar feeds: a secret iCalendar address per person (all their teams) and per person and
team, so meetings appear in Outlook, Google or Apple calendars and follow every change.

The address carries the feed's id and a token, an HMAC-SHA256 of "<id>:<nonce>" under the
app's secret key: the database alone does not reveal it, and resetting draws a new nonce so
the old address stops working at once. A calendar app fetches the feed without signing in, so
the token is the only credential; what the feed lists is decided at every fetch from the
person's memberships as they are now (a removed member's feed drops that team's meetings, a
deactivated account's feed stops answering).

Events keep a stable UID per meeting and carry the meeting's SEQUENCE, so calendars update
them in place when a meeting moves, and cancelled meetings stay in the feed with
STATUS:CANCELLED, which is how a calendar learns to remove them.

Imports: models of auth, teams and meetings, `teams.services.team_access`, icalendar; never
views.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar, Event, vDuration
from sqlalchemy.orm import joinedload, selectinload

from teamwork.auth.models import User
from teamwork.errors import NotFound
from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, CalendarFeed, Meeting, MeetingStatus
from teamwork.meetings.rules import DURATION_MAX
from teamwork.teams.models import Membership, Team
from teamwork.teams.services import TeamAccess, team_access

# How far back a feed reaches: calendars keep what they already have, and a short feed
# downloads quickly on a phone.
PAST_WINDOW = timedelta(days=180)
PRODID = "-//Teamwork//Meetings calendar//EN"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedInfo:
    """A feed as its page shows it: the row, its token, and the team for a team feed."""

    feed: CalendarFeed
    token: str
    team: Team | None


# --- Tokens ------------------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    """The secret part of the feed's address (URL-safe, 43 characters)."""
    return _token(feed.id, feed.nonce)


def _token(feed_id: int, nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{feed_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_nonce() -> str:
    return secrets.token_hex(32)


# --- A person's own feeds ----------------------------------------------------------------


def _find_feed(user_id: int, team_id: int | None) -> CalendarFeed | None:
    team_match = (
        CalendarFeed.team_id.is_(None) if team_id is None else CalendarFeed.team_id == team_id
    )
    # The oldest one: a unique constraint does not stop two person feeds (NULL team ids are
    # distinct in SQL), should two first visits ever race.
    return db.session.scalar(
        sa.select(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, team_match)
        .order_by(CalendarFeed.id)
        .limit(1)
    )


def _get_or_create(user: User, team: Team | None) -> CalendarFeed:
    team_id = team.id if team else None
    feed = _find_feed(user.id, team_id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, team_id=team_id, nonce=_new_nonce())
        db.session.add(feed)
        db.session.commit()
    return feed


def person_feed(actor: User) -> FeedInfo:
    """The actor's feed across all their teams (created on first use)."""
    if not actor.is_active:
        raise NotFound()
    feed = _get_or_create(actor, None)
    return FeedInfo(feed, feed_token(feed), None)


def team_feed(actor: User, team_id: int) -> tuple[TeamAccess, FeedInfo]:
    """The actor's feed of one of their teams (created on first use); NotFound otherwise."""
    access = team_access(actor, team_id)
    feed = _get_or_create(actor, access.team)
    return access, FeedInfo(feed, feed_token(feed), access.team)


def reset_person_feed(actor: User) -> FeedInfo:
    """A new address for the actor's feed: the old one answers 404 from now on."""
    info = person_feed(actor)
    info.feed.nonce = _new_nonce()
    db.session.commit()
    return FeedInfo(info.feed, feed_token(info.feed), None)


def reset_team_feed(actor: User, team_id: int) -> FeedInfo:
    """A new address for the actor's feed of this team: the old one answers 404 from now on."""
    access, info = team_feed(actor, team_id)
    info.feed.nonce = _new_nonce()
    db.session.commit()
    return FeedInfo(info.feed, feed_token(info.feed), access.team)


def my_teams(actor: User) -> list[Team]:
    """The teams the actor currently belongs to, by name (for the feeds page)."""
    return list(
        db.session.scalars(
            sa.select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == actor.id, Membership.removed_at.is_(None))
            .order_by(Team.name, Team.id)
        )
    )


UPCOMING_LIMIT = 20


def upcoming_meetings(actor: User, now: datetime, limit: int = UPCOMING_LIMIT) -> list[Meeting]:
    """The next meetings of the teams the actor belongs to now, soonest first: one in progress,
    then those scheduled that are not over yet; cancelled ones and archived teams' left out."""
    # A meeting lasts at most DURATION_MAX minutes: scheduled ones that started longer ago are
    # over; the rest are checked against their own end below.
    longest = timedelta(minutes=DURATION_MAX)
    found = (
        db.session.scalars(
            sa.select(Meeting)
            .join(
                Membership,
                sa.and_(
                    Membership.team_id == Meeting.team_id,
                    Membership.user_id == actor.id,
                    Membership.removed_at.is_(None),
                ),
            )
            .join(Team, Team.id == Meeting.team_id)
            .where(
                Team.archived_at.is_(None),
                sa.or_(
                    Meeting.status == MeetingStatus.IN_PROGRESS,
                    sa.and_(
                        Meeting.status == MeetingStatus.SCHEDULED,
                        Meeting.starts_at >= now - longest,
                    ),
                ),
            )
            .order_by(Meeting.starts_at, Meeting.id)
            .options(joinedload(Meeting.team))
            .limit(limit * 2)
        )
        .unique()
        .all()
    )
    return [m for m in found if m.status is MeetingStatus.IN_PROGRESS or m.ends_at >= now][:limit]


# --- Fetching a feed (no sign-in: the token is the credential) ---------------------------


def feed_for_token(feed_id: int, token: str) -> CalendarFeed:
    """The feed this address names, or NotFound for a wrong, reset or dead address."""
    feed = db.session.get(CalendarFeed, feed_id)
    # Compare even when there is no feed, so timing does not tell ids that exist.
    expected = feed_token(feed) if feed else _token(0, "")
    if not hmac.compare_digest(expected.encode(), token.encode()) or feed is None:
        raise NotFound()
    if not feed.user.is_active:
        raise NotFound()
    if feed.team_id is not None and not _is_current_member(feed.user_id, feed.team_id):
        raise NotFound()
    return feed


def _is_current_member(user_id: int, team_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user_id,
                Membership.team_id == team_id,
                Membership.removed_at.is_(None),
            )
        )
        is not None
    )


def feed_meetings(feed: CalendarFeed, now: datetime) -> list[Meeting]:
    """The meetings the feed lists now: of the teams its owner currently belongs to (or of
    its one team), from PAST_WINDOW ago on, cancelled ones included."""
    query = (
        sa.select(Meeting)
        .join(
            Membership,
            sa.and_(
                Membership.team_id == Meeting.team_id,
                Membership.user_id == feed.user_id,
                Membership.removed_at.is_(None),
            ),
        )
        .where(Meeting.starts_at >= now - PAST_WINDOW)
        .order_by(Meeting.starts_at, Meeting.id)
        .options(joinedload(Meeting.team), selectinload(Meeting.items))
    )
    if feed.team_id is not None:
        query = query.where(Meeting.team_id == feed.team_id)
    return list(db.session.scalars(query))


def feed_calendar(
    feed_id: int, token: str, *, now: datetime, meeting_url: Callable[[Meeting], str]
) -> bytes:
    """The iCalendar text of the feed this address names (NotFound for a bad address)."""
    feed = feed_for_token(feed_id, token)
    meetings = feed_meetings(feed, now)
    team = db.session.get(Team, feed.team_id) if feed.team_id is not None else None
    name = f"{team.name} meetings" if team else f"Teamwork meetings — {feed.user.name}"
    return build_calendar(name, meetings, now=now, meeting_url=meeting_url)


# --- Building the iCalendar text ---------------------------------------------------------


def _uid_host() -> str:
    """The UID's domain: the deployment's own (TEAMWORK_BASE_URL) or a fixed name, never the
    request's Host header, so an event's UID does not change with how the feed was fetched."""
    base = current_app.config.get("TEAMWORK_BASE_URL")
    host = urlsplit(base).hostname if base else None
    return host or "teamwork"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{_uid_host()}"


def _published_items(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.items) if meeting.agenda_published_at is not None else []


def event_description(meeting: Meeting, url: str) -> str:
    lines: list[str] = []
    if meeting.status is MeetingStatus.CANCELLED:
        reason = f": {meeting.cancel_reason}" if meeting.cancel_reason else "."
        lines += [f"This meeting is cancelled{reason}", ""]
    items = _published_items(meeting)
    if items:
        lines.append("Agenda:")
        lines += [f"{n}. {item.title} ({item.kind.label})" for n, item in enumerate(items, 1)]
        lines.append("")
    if meeting.video_url:
        lines.append(f"Video link: {meeting.video_url}")
    lines.append(f"Meeting page: {url}")
    return "\n".join(lines)


def build_calendar(
    name: str, meetings: list[Meeting], *, now: datetime, meeting_url: Callable[[Meeting], str]
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # Hints for how often to fetch again (RFC 7986, and Outlook's older name for it);
    # calendar apps may still poll less often.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for meeting in meetings:
        url = meeting_url(meeting)
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("sequence", meeting.sequence)
        event.add("dtstamp", now)
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.ends_at)
        event.add("summary", f"{meeting.team.name}: {meeting.title}")
        if meeting.location or meeting.video_url:
            event.add("location", meeting.location or meeting.video_url)
        event.add("url", url)
        event.add("description", event_description(meeting, url))
        cancelled = meeting.status is MeetingStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("created", meeting.created_at)
        event.add("last-modified", meeting.updated_at)
        calendar.add_component(event)
    return calendar.to_ical()
