"""The discussion's pages without JavaScript: the forms post, redirect back to the subject at
the comment, and show errors beside their field; subject pages show their discussion."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from teamwork.discussion import services
from teamwork.discussion.models import Comment
from teamwork.extensions import db
from teamwork.meetings.models import MeetingStatus


def thread_url(place: Any, kind: str = "proposal", subject_id: int | None = None) -> str:
    return f"/teams/{place.team.id}/discussion/{kind}/{subject_id or place.proposal.id}"


def test_posting_a_comment_redirects_to_it_on_the_voting_screen(place, signed_in) -> None:
    browser = signed_in(place.member.user)
    response = browser.post(thread_url(place), data={"body": "Hello @dana.reyes"})
    comment = db.session.scalar(sa.select(Comment))
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/teams/{place.team.id}/proposals/{place.proposal.id}#comment-{comment.id}"
    )
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="comment-{comment.id}"' in page
    mention = '<strong class="dc-mention" title="@dana.reyes"><span aria-hidden="true">@</span>'
    assert mention + "Dana Reyes</strong>" in page


def test_a_reply_posts_with_its_parent(place, signed_in) -> None:
    top = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Top")
    browser = signed_in(place.second.user)
    response = browser.post(thread_url(place), data={"body": "Reply", "parent_id": str(top.id)})
    assert response.status_code == 302
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == top.id))
    assert reply.body == "Reply"


def test_an_empty_comment_comes_back_with_the_error_beside_the_field(place, signed_in) -> None:
    response = signed_in(place.member.user).post(thread_url(place), data={"body": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    sid = f"dc-proposal-{place.proposal.id}"
    assert f'id="{sid}-body-error"' in page and "Write your comment first." in page
    assert f'aria-describedby="{sid}-body-hint {sid}-body-error"' in page


def test_a_reply_error_opens_that_reply_form_with_the_text_kept(place, signed_in) -> None:
    top = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Top")
    long = "x" * 5001
    response = signed_in(place.second.user).post(
        thread_url(place), data={"body": long, "parent_id": str(top.id)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="dc-reply-{top.id}-error"' in page and long in page
    assert re.search(r'<details class="dc-reply" open>', page)


def test_a_closed_agenda_item_says_so_instead_of_a_form(place, signed_in) -> None:
    place.meeting.status = MeetingStatus.ENDED
    db.session.commit()
    browser = signed_in(place.member.user)
    page = browser.get(f"/teams/{place.team.id}/meetings/{place.meeting.id}").get_data(as_text=True)
    assert "Comments on this agenda item closed when its meeting ended." in page
    response = browser.post(thread_url(place, "agenda_item", place.item.id), data={"body": "Late"})
    assert response.status_code == 409
    assert "closed when its meeting ended" in response.get_data(as_text=True)


def test_the_activity_page_and_the_rounds_history_show_the_discussion(place, signed_in) -> None:
    services.post_comment(place.member.user, "activity", place.activity.id, body="On the work")
    services.post_comment(place.member.user, "proposal", place.proposal.id, body="On the text")
    browser = signed_in(place.observer.user)
    activity = browser.get(
        f"/teams/{place.team.id}/workplan/activities/{place.activity.id}"
    ).get_data(as_text=True)
    assert "On the work" in activity and 'class="dc-form dc-new"' in activity
    history = browser.get(f"/teams/{place.team.id}/proposals/{place.proposal.id}/history").get_data(
        as_text=True
    )
    assert 'class="dc-beside-aside"' in history and "On the text" in history


def test_edit_keeps_history_a_click_away(place, signed_in) -> None:
    comment = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Old")
    browser = signed_in(place.member.user)
    url = f"/teams/{place.team.id}/comments/{comment.id}"
    assert "Old" in browser.get(url + "/edit").get_data(as_text=True)
    assert browser.post(url + "/edit", data={"body": "New"}).status_code == 302
    page = browser.get(f"/teams/{place.team.id}/proposals/{place.proposal.id}").get_data(
        as_text=True
    )
    assert f'href="{url}/history"' in page and ">edited<" in page
    history = signed_in(place.second.user).get(url + "/history").get_data(as_text=True)
    assert "Old" in history and "New" in history


def test_someone_elses_edit_form_is_forbidden(place, signed_in) -> None:
    comment = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Mine")
    browser = signed_in(place.second.user)
    url = f"/teams/{place.team.id}/comments/{comment.id}"
    assert browser.get(url + "/edit").status_code == 403
    assert browser.post(url + "/edit", data={"body": "Theirs"}).status_code == 403
    assert browser.post(url + "/delete").status_code == 403


def test_deleted_and_hidden_comments_show_their_placeholders(place, signed_in) -> None:
    gone = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Gone")
    kept = services.post_comment(place.second.user, "proposal", place.proposal.id, body="Rude")
    author = signed_in(place.member.user)
    assert author.post(f"/teams/{place.team.id}/comments/{gone.id}/delete").status_code == 302
    moderator = signed_in(place.moderator.user)
    hide = f"/teams/{place.team.id}/comments/{kept.id}/hide"
    assert moderator.post(hide, data={"reason": ""}).status_code == 422
    assert moderator.post(hide, data={"reason": "Personal attack"}).status_code == 302
    vote = f"/teams/{place.team.id}/proposals/{place.proposal.id}"
    members_view = signed_in(place.observer.user).get(vote).get_data(as_text=True)
    assert "Comment deleted" in members_view and "Gone" not in members_view
    assert "Hidden by the moderator: Personal attack" in members_view
    assert "Rude" not in members_view
    authors_view = signed_in(place.second.user).get(vote).get_data(as_text=True)
    assert "Rude" in authors_view and "Hidden from members" in authors_view
    unhide = f"/teams/{place.team.id}/comments/{kept.id}/unhide"
    assert moderator.post(unhide).status_code == 302
    assert "Rude" in signed_in(place.observer.user).get(vote).get_data(as_text=True)


def test_quote_buttons_come_only_while_the_member_can_vote_in_an_open_round(
    place, signed_in
) -> None:
    from teamwork.consensus import services as consensus

    services.post_comment(place.second.user, "proposal", place.proposal.id, body="A worry")
    vote = f"/teams/{place.team.id}/proposals/{place.proposal.id}"
    assert 'data-quote="no"' in signed_in(place.member.user).get(vote).get_data(as_text=True)
    consensus.open_round(place.moderator.user, place.proposal.id)
    assert 'data-quote="yes"' in signed_in(place.member.user).get(vote).get_data(as_text=True)
    assert 'data-quote="no"' in signed_in(place.observer.user).get(vote).get_data(as_text=True)


def test_the_comment_body_is_sanitized(place, signed_in) -> None:
    services.post_comment(
        place.member.user,
        "proposal",
        place.proposal.id,
        body="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    page = (
        signed_in(place.second.user)
        .get(f"/teams/{place.team.id}/proposals/{place.proposal.id}")
        .get_data(as_text=True)
    )
    body = page.split('class="dc-body"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "javascript:" not in body and "onerror" not in body


def test_the_audit_trail_says_who_hid_whose_comment_and_why(place, signed_in) -> None:
    comment = services.post_comment(place.member.user, "proposal", place.proposal.id, body="x")
    services.hide_comment(place.moderator.user, comment.id, reason="Names a client")
    services.unhide_comment(place.lead.user, comment.id)
    page = signed_in(place.lead.user).get(f"/teams/{place.team.id}/audit").get_data(as_text=True)
    assert (
        "Morgan Moderator hid Jordan Ellis&#39;s comment on the proposal “Treatment reports”:"
        " Names a client." in page
    )
    assert "Lee Lead showed again Jordan Ellis&#39;s comment on the proposal" in page


# --- What static/js/discussion.js asks for --------------------------------------------------

JSON = {"Accept": "application/json"}


def test_a_post_asking_for_json_answers_with_the_authors_own_article(place, signed_in) -> None:
    response = signed_in(place.member.user).post(
        thread_url(place), data={"body": "Without a reload"}, headers=JSON
    )
    data = response.get_json()
    comment = db.session.scalar(sa.select(Comment))
    assert response.status_code == 200 and data["ok"] is True
    assert data["comment"]["id"] == comment.id and data["comment"]["parent_id"] is None
    html = data["comment"]["html"]
    assert "Without a reload" in html and f"/comments/{comment.id}/edit" in html
    assert f"/comments/{comment.id}/delete" in html and 'name="parent_id"' in html


def test_a_refused_json_post_names_the_field_and_stores_nothing(place, signed_in) -> None:
    response = signed_in(place.member.user).post(
        thread_url(place), data={"body": " "}, headers=JSON
    )
    assert response.status_code == 422
    assert response.get_json() == {
        "ok": False,
        "error": {"code": "invalid_input", "message": "Write your comment first.", "field": "body"},
    }
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_each_reader_gets_the_comment_with_their_own_buttons(place, signed_in) -> None:
    comment = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Hi")
    url = f"/teams/{place.team.id}/comments/{comment.id}"

    def article(user: Any) -> str:
        response = signed_in(user).get(url, headers=JSON)
        assert response.status_code == 200
        return response.get_json()["comment"]["html"]

    author, member, moderator = (
        article(place.member.user),
        article(place.second.user),
        article(place.moderator.user),
    )
    for html in (author, member, moderator):
        assert "<summary>Reply" in html and 'name="csrf_token" value=""' not in html
    assert url + "/edit" in author and url + "/hide" not in author
    assert url + "/edit" not in member and url + "/delete" not in member
    assert url + "/hide" not in member
    assert url + "/hide" in moderator and url + "/edit" not in moderator
    assert signed_in(place.outsider.user).get(url, headers=JSON).status_code == 404
    other_team = f"/teams/{place.other.id}/comments/{comment.id}"
    assert signed_in(place.outsider.user).get(other_team, headers=JSON).status_code == 404


def test_a_hidden_comment_reaches_each_reader_as_they_may_see_it(place, signed_in) -> None:
    comment = services.post_comment(place.member.user, "proposal", place.proposal.id, body="Rude")
    services.hide_comment(place.lead.user, comment.id, reason="Off topic")
    url = f"/teams/{place.team.id}/comments/{comment.id}"
    member = signed_in(place.second.user).get(url, headers=JSON).get_json()["comment"]
    assert member["state"] == "hidden" and "Rude" not in member["html"]
    assert "Hidden by the moderator: Off topic" in member["html"]
    author = signed_in(place.member.user).get(url, headers=JSON).get_json()["comment"]["html"]
    assert "Rude" in author and "Hidden from members" in author
    lead = signed_in(place.lead.user).get(url, headers=JSON).get_json()["comment"]["html"]
    assert url + "/unhide" in lead
