"""Calendar feeds: what a feed lists (parsed back with `icalendar`), who can fetch it (only the
secret address, and only while its owner still belongs to the team), and resetting it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, CalendarFeed, ItemKind, Meeting, MeetingStatus
from teamwork.teams.rules import Role
from tests.conftest import csrf_token_from
from tests.pages import page, text

SOON = (utcnow() + timedelta(days=10)).replace(hour=16, minute=0, second=0, microsecond=0)


@pytest.fixture
def make_meeting(db):
    def make(team, title: str = "Monthly meeting", **values) -> Meeting:
        meeting = Meeting(team_id=team.id, title=title, starts_at=values.pop("starts_at", SOON))
        for name, value in values.items():
            setattr(meeting, name, value)
        db.session.add(meeting)
        db.session.commit()
        return meeting

    return make


@pytest.fixture
def people(make_team, make_member):
    """Dana belongs to two teams; a third team is not hers."""
    north = make_team("Northfield SOM Team")
    housing = make_team("Housing subcommittee")
    south = make_team("Southfield SOM Team")
    dana = make_member(north, role=Role.LEAD)
    make_member(housing, dana.user)
    stranger = make_member(south)
    return north, housing, south, dana, stranger


def feed_path(browser, page_url: str) -> str:
    """The feed address shown on a feed page, as a path."""
    html = page(browser.get(page_url))
    match = re.search(
        r'id="feed-address" type="url" value="http://localhost(/calendar/[^"]+)"', html
    )
    assert match, "no feed address on the page"
    return match.group(1)


def fetch(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return Calendar.from_ical(response.data)


def events_by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@teamwork"


def test_my_feed_lists_the_meetings_of_all_my_teams_and_no_other(
    people, make_meeting, signed_in, client
) -> None:
    north, housing, south, dana, _stranger = people
    ours = make_meeting(north)
    sub = make_meeting(housing, "Housing review")
    theirs = make_meeting(south, "Their meeting")

    path = feed_path(signed_in(dana.user), "/calendar")
    events = events_by_uid(fetch(client, path))

    assert set(events) == {uid(ours), uid(sub)}
    assert uid(theirs) not in events
    calendar = fetch(client, path)
    assert str(calendar["X-WR-CALNAME"]) == f"Teamwork meetings — {dana.user.name}"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert str(events[uid(sub)]["SUMMARY"]) == "Housing subcommittee: Housing review"


def test_a_team_feed_lists_that_team_only(people, make_meeting, signed_in, client) -> None:
    north, housing, _south, dana, _stranger = people
    ours = make_meeting(north)
    make_meeting(housing, "Housing review")

    path = feed_path(signed_in(dana.user), f"/teams/{north.id}/calendar")

    assert set(events_by_uid(fetch(client, path))) == {uid(ours)}


def test_an_event_carries_the_meeting_details(people, make_meeting, signed_in, client) -> None:
    north, _housing, _south, dana, _stranger = people
    meeting = make_meeting(
        north,
        duration_minutes=90,
        location="County building, room 4",
        video_url="https://video.example.org/som",
        timezone="America/Denver",
    )
    db.session.add_all(
        [
            AgendaItem(meeting=meeting, position=1, title="Polygraph results"),
            AgendaItem(meeting=meeting, position=2, title="Housing", kind=ItemKind.REPORT),
        ]
    )
    db.session.commit()

    path = feed_path(signed_in(dana.user), "/calendar")
    event = events_by_uid(fetch(client, path))[uid(meeting)]

    assert event.decoded("DTSTART") == SOON
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == SOON + timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Northfield SOM Team: Monthly meeting"
    assert str(event["LOCATION"]) == "County building, room 4"
    assert str(event["URL"]).startswith("http://localhost/teams/")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("LAST-MODIFIED") == meeting.updated_at.replace(microsecond=0)
    description = str(event["DESCRIPTION"])
    assert "Video link: https://video.example.org/som" in description
    assert "Polygraph results" not in description  # the agenda is not published yet

    meeting.agenda_published_at = utcnow()
    db.session.commit()
    description = str(events_by_uid(fetch(client, path))[uid(meeting)]["DESCRIPTION"])
    assert "1. Polygraph results (Discussion)" in description
    assert "2. Housing (Report from a subteam)" in description


def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(
    people, make_meeting, signed_in, client
) -> None:
    north, _housing, _south, dana, _stranger = people
    meeting = make_meeting(north)
    path = feed_path(signed_in(dana.user), "/calendar")

    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = "No quorum"
    meeting.sequence += 1
    db.session.commit()

    event = events_by_uid(fetch(client, path))[uid(meeting)]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert "This meeting is cancelled: No quorum" in str(event["DESCRIPTION"])


def test_a_moved_meeting_keeps_its_uid_with_a_higher_sequence(
    people, make_meeting, signed_in, client
) -> None:
    north, _housing, _south, dana, _stranger = people
    meeting = make_meeting(north)
    path = feed_path(signed_in(dana.user), "/calendar")
    before = events_by_uid(fetch(client, path))[uid(meeting)]

    meeting.starts_at = SOON + timedelta(days=1)
    meeting.sequence += 1
    db.session.commit()

    after = events_by_uid(fetch(client, path))[uid(meeting)]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART") == SOON + timedelta(days=1)


def test_the_feed_needs_no_sign_in_and_may_be_cached_privately(
    people, make_meeting, signed_in, client
) -> None:
    north, _housing, _south, dana, _stranger = people
    make_meeting(north)
    path = feed_path(signed_in(dana.user), "/calendar")

    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert "Set-Cookie" not in response.headers


def test_resetting_the_address_kills_the_old_one(
    app, people, make_meeting, signed_in, client
) -> None:
    north, _housing, _south, dana, _stranger = people
    make_meeting(north)
    browser = signed_in(dana.user)
    app.config["WTF_CSRF_ENABLED"] = True
    old = feed_path(browser, "/calendar")

    refused = browser.post("/calendar/reset", data={})  # no CSRF token
    assert refused.status_code == 400
    assert client.get(old).status_code == 200

    token = csrf_token_from(page(browser.get("/calendar")))
    response = browser.post("/calendar/reset", data={"csrf_token": token})
    assert response.status_code == 302
    assert "new address" in text(browser.get(response.headers["Location"]))

    new = feed_path(browser, "/calendar")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_resetting_a_team_feed_kills_its_old_address_only(people, signed_in, client) -> None:
    north, housing, _south, dana, _stranger = people
    browser = signed_in(dana.user)
    team_old = feed_path(browser, f"/teams/{north.id}/calendar")
    other_team = feed_path(browser, f"/teams/{housing.id}/calendar")
    mine = feed_path(browser, "/calendar")

    assert browser.post(f"/teams/{north.id}/calendar/reset").status_code == 302

    assert client.get(team_old).status_code == 404
    assert client.get(feed_path(browser, f"/teams/{north.id}/calendar")).status_code == 200
    assert client.get(other_team).status_code == 200
    assert client.get(mine).status_code == 200


def test_a_wrong_or_foreign_token_answers_404(people, signed_in, client) -> None:
    north, _housing, _south, dana, stranger = people
    mine = feed_path(signed_in(dana.user), "/calendar")
    theirs = feed_path(signed_in(stranger.user), "/calendar")
    my_id, my_token = re.match(r"/calendar/(\d+)-(.+)\.ics", mine).groups()
    their_id, their_token = re.match(r"/calendar/(\d+)-(.+)\.ics", theirs).groups()

    for path in (
        f"/calendar/{my_id}-{their_token}.ics",  # someone else's token on my feed
        f"/calendar/{their_id}-{my_token}.ics",
        # The last character changed (to one it is not).
        f"/calendar/{my_id}-{my_token[:-1]}{'B' if my_token.endswith('A') else 'A'}.ics",
        f"/calendar/{my_id}-.ics",
        f"/calendar/{my_id}-x.ics",
        f"/calendar/999999-{my_token}.ics",
    ):
        assert client.get(path).status_code == 404, path


def test_a_removed_members_feed_no_longer_lists_that_team(
    people, make_meeting, signed_in, client
) -> None:
    north, housing, _south, dana, _stranger = people
    make_meeting(north)
    sub = make_meeting(housing, "Housing review")
    browser = signed_in(dana.user)
    mine = feed_path(browser, "/calendar")
    team = feed_path(browser, f"/teams/{north.id}/calendar")

    dana.removed_at = utcnow()
    db.session.commit()

    assert set(events_by_uid(fetch(client, mine))) == {uid(sub)}
    assert client.get(team).status_code == 404
    assert browser.get(f"/teams/{north.id}/calendar").status_code == 404


def test_a_deactivated_accounts_feeds_stop_answering(people, signed_in, client) -> None:
    north, _housing, _south, dana, _stranger = people
    browser = signed_in(dana.user)
    mine = feed_path(browser, "/calendar")
    team = feed_path(browser, f"/teams/{north.id}/calendar")

    dana.user.deactivated_at = utcnow()
    db.session.commit()

    assert client.get(mine).status_code == 404
    assert client.get(team).status_code == 404


def test_old_meetings_drop_out_of_the_feed(people, make_meeting, signed_in, client) -> None:
    north, _housing, _south, dana, _stranger = people
    recent = make_meeting(north, "Recent", starts_at=utcnow() - timedelta(days=30))
    old = make_meeting(north, "Old", starts_at=utcnow() - timedelta(days=400))

    events = events_by_uid(fetch(client, feed_path(signed_in(dana.user), "/calendar")))

    assert uid(recent) in events
    assert uid(old) not in events


def test_the_feed_page_shows_a_labelled_read_only_address(people, signed_in) -> None:
    north, _housing, _south, dana, _stranger = people
    response = signed_in(dana.user).get(f"/teams/{north.id}/calendar")

    html = page(response)
    assert response.status_code == 200
    assert '<label for="feed-address">Address of your calendar of Northfield SOM Team' in html
    assert re.search(r'<input id="feed-address" type="url" value="[^"]+" readonly', html)
    assert 'href="webcal://localhost/calendar/' in html


def test_visiting_the_pages_again_keeps_the_same_address(people, signed_in) -> None:
    north, _housing, _south, dana, _stranger = people
    browser = signed_in(dana.user)

    assert feed_path(browser, "/calendar") == feed_path(browser, "/calendar")
    assert feed_path(browser, f"/teams/{north.id}/calendar") == feed_path(
        browser, f"/teams/{north.id}/calendar"
    )
    assert db.session.query(CalendarFeed).count() == 2


def test_the_token_is_not_stored_in_the_database(people, signed_in) -> None:
    _north, _housing, _south, dana, _stranger = people
    path = feed_path(signed_in(dana.user), "/calendar")
    token = re.match(r"/calendar/\d+-(.+)\.ics", path).group(1)

    feed = db.session.query(CalendarFeed).one()
    assert token not in {feed.nonce, str(feed.id)}
    assert len(token) >= 43


def test_the_uid_uses_the_configured_base_url_host(
    app, people, make_meeting, signed_in, client
) -> None:
    north, _housing, _south, dana, _stranger = people
    meeting = make_meeting(north)
    app.config["TEAMWORK_BASE_URL"] = "https://teamwork.example.gov"
    browser = signed_in(dana.user)
    html = page(browser.get("/calendar"))
    path = re.search(r'value="https://teamwork\.example\.gov(/calendar/[^"]+)"', html).group(1)

    events = events_by_uid(fetch(client, path))

    assert set(events) == {f"meeting-{meeting.id}@teamwork.example.gov"}
    assert str(events[f"meeting-{meeting.id}@teamwork.example.gov"]["URL"]).startswith(
        "https://teamwork.example.gov/teams/"
    )


def test_moving_and_cancelling_through_the_meetings_service_updates_the_feed(
    people, make_meeting, signed_in, client
) -> None:
    from teamwork.meetings.services import MeetingInput, cancel_meeting, update_meeting

    north, _housing, _south, dana, _stranger = people
    meeting = make_meeting(north, location="Room 4", timezone="UTC")
    path = feed_path(signed_in(dana.user), "/calendar")
    first = events_by_uid(fetch(client, path))[uid(meeting)]
    later = SOON + timedelta(days=2)

    update_meeting(
        dana.user,
        north.id,
        meeting.id,
        MeetingInput(
            title="Monthly meeting",
            day=later.date(),
            start_time=later.time(),
            timezone="UTC",
            duration_minutes=90,
            location="Room 4",
        ),
    )
    moved = events_by_uid(fetch(client, path))[uid(meeting)]
    cancel_meeting(dana.user, north.id, meeting.id, "No quorum")
    cancelled = events_by_uid(fetch(client, path))[uid(meeting)]

    assert moved.decoded("DTSTART") == later
    assert first["SEQUENCE"] < moved["SEQUENCE"] < cancelled["SEQUENCE"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["URL"]).endswith(f"/teams/{north.id}/meetings/{meeting.id}")


def test_my_calendar_pages_need_a_sign_in(client) -> None:
    for method, path in (("GET", "/calendar"), ("POST", "/calendar/reset")):
        response = client.open(path, method=method)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    assert db.session.query(CalendarFeed).count() == 0


def test_my_calendar_page_lists_my_teams_coming_meetings_soonest_first(
    people, make_meeting, signed_in
) -> None:
    north, housing, south, dana, _stranger = people
    later = make_meeting(north, "Quarterly review", starts_at=SOON + timedelta(days=30))
    sooner = make_meeting(housing, "Housing review", starts_at=SOON)
    running = make_meeting(north, "Running now", starts_at=utcnow() - timedelta(minutes=30))
    running.status = MeetingStatus.IN_PROGRESS
    make_meeting(north, "Called off", status=MeetingStatus.CANCELLED)
    make_meeting(north, "Long past", starts_at=utcnow() - timedelta(days=3))
    make_meeting(south, "Their meeting")
    db.session.commit()

    shown = text(signed_in(dana.user).get("/calendar"))
    coming = shown[shown.index("Coming up") : shown.index("Subscribe in your calendar app")]
    assert coming.index("Running now") < coming.index("Housing review")
    assert coming.index("Housing review") < coming.index("Quarterly review")
    assert "in progress" in coming
    for absent in ("Called off", "Long past", "Their meeting"):
        assert absent not in coming
    html = page(signed_in(dana.user).get("/calendar"))
    assert f"/teams/{north.id}/meetings/{later.id}" in html
    assert f"/teams/{housing.id}/meetings/{sooner.id}" in html
