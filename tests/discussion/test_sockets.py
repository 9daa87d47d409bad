"""The "/discussion" namespace: connecting needs a current member of the team, following a
discussion needs access to its subject, and events reach that subject's followers only."""

from __future__ import annotations

import pytest

from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.realtime.services import close_revoked_connections


def test_anonymous_and_foreign_connections_are_refused(
    app, place, signed_in, discussion_socket
) -> None:
    assert not discussion_socket(app.test_client(), place.team.id).is_connected()
    assert not discussion_socket(signed_in(place.outsider.user), place.team.id).is_connected()
    browser = signed_in(place.member.user)
    for auth in (None, {}, {"team_id": "1"}, {"team_id": True}, {"team_id": 2**31}):
        assert not discussion_socket(browser, auth=auth).is_connected(), auth


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"kind": "proposal"}, "invalid_input"),
        ({"kind": "proposal", "id": "1"}, "invalid_input"),
        ({"kind": "minutes", "id": 1}, "not_found"),
        ({"kind": "proposal", "id": 1, "extra": 1}, "invalid_input"),
        ("proposal", "invalid_input"),
    ],
)
def test_follow_refuses_malformed_payloads(
    place, signed_in, discussion_socket, payload, code
) -> None:
    sock = discussion_socket(signed_in(place.member.user), place.team.id)
    ack = sock.emit("follow_discussion", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code


def test_an_outsider_cannot_follow_our_discussion(place, signed_in, discussion_socket) -> None:
    sock = discussion_socket(signed_in(place.outsider.user), place.other.id)
    ack = sock.emit("follow_discussion", {"kind": "proposal", "id": place.proposal.id})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_a_connection_follows_its_own_teams_discussions_only(
    make_member, place, signed_in, discussion_socket
) -> None:
    make_member(place.other, place.member.user)  # a member of both teams
    sock = discussion_socket(signed_in(place.member.user), place.other.id)
    ack = sock.emit("follow_discussion", {"kind": "proposal", "id": place.proposal.id})
    assert ack["error"]["code"] == "not_found"


def test_new_and_changed_comments_reach_followers_of_that_subject_only(
    place, signed_in, discussion_socket
) -> None:
    follower = discussion_socket(signed_in(place.observer.user), place.team.id)
    elsewhere = discussion_socket(signed_in(place.second.user), place.team.id)
    assert follower.emit("follow_discussion", {"kind": "proposal", "id": place.proposal.id})["ok"]
    assert elsewhere.emit("follow_discussion", {"kind": "activity", "id": place.activity.id})["ok"]
    author = signed_in(place.member.user)
    url = f"/teams/{place.team.id}/discussion/proposal/{place.proposal.id}"
    assert author.post(url, data={"body": "Hello **all** <script>x</script>"}).status_code == 302
    [posted] = follower.events("comment_posted")
    assert posted["kind"] == "proposal" and posted["id"] == place.proposal.id
    comment = posted["comment"]
    assert comment["parent_id"] is None and comment["state"] == "shown"
    assert "<strong>all</strong>" in comment["html"] and "<script" not in comment["html"]
    assert f'id="comment-{comment["id"]}"' in comment["html"]
    assert elsewhere.events("comment_posted") == []

    moderator = signed_in(place.moderator.user)
    hide = f"/teams/{place.team.id}/comments/{comment['id']}/hide"
    assert moderator.post(hide, data={"reason": "Off topic"}).status_code == 302
    [changed] = follower.events("comment_changed")
    assert changed["comment"]["state"] == "hidden"
    assert "Hidden by the moderator: Off topic" in changed["comment"]["html"]
    assert "Hello" not in changed["comment"]["html"]


def test_unfollowing_stops_the_events(place, signed_in, discussion_socket) -> None:
    sock = discussion_socket(signed_in(place.observer.user), place.team.id)
    subject = {"kind": "proposal", "id": place.proposal.id}
    assert sock.emit("follow_discussion", subject)["ok"]
    assert sock.emit("unfollow_discussion", subject)["ok"]
    url = f"/teams/{place.team.id}/discussion/proposal/{place.proposal.id}"
    signed_in(place.member.user).post(url, data={"body": "Hello"})
    assert sock.events("comment_posted") == []


def test_removing_the_member_closes_the_connection(place, signed_in, discussion_socket) -> None:
    sock = discussion_socket(signed_in(place.second.user), place.team.id)
    assert sock.is_connected()
    place.second.removed_at = utcnow()
    db.session.commit()
    close_revoked_connections()
    assert not sock.is_connected()
