"""The workplan's pages: the plan by goal with overdue and blocked shown in words, the forms'
errors beside their fields (and nothing changed), "my deliverables", the timeline, the summary
for the next agenda, action items from the minutes, CSV import errors, and the demo."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from teamwork.extensions import db
from teamwork.meetings.models import ActionItem, Meeting, MeetingStatus
from teamwork.teams.services import today
from teamwork.workplans import services
from teamwork.workplans.models import Activity, ActivityChange
from teamwork.workplans.rules import ActivityStatus as S
from tests.pages import field_error, page, text


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_workplan_shows_goals_progress_and_overdue_and_blocked_in_words(plan, signed_in):
    p = plan()
    day = today()
    p.add(title="Late one", goal_id=p.long_goal_id, due_on=day - timedelta(days=3))
    blocked = p.add(title="Stuck one", goal_id=p.long_goal_id, due_on=day + timedelta(days=30))
    services.set_status(
        p.owner.user, p.team.id, blocked.id, status=S.BLOCKED, blocked_reason="Counsel is away"
    )
    p.add(title="No goal")
    response = signed_in(p.observer.user).get(f"/teams/{p.team.id}/workplan")
    assert response.status_code == 200
    shown = text(response)
    assert "Countywide standards." in shown and "Other activities" in shown
    assert "0 of 2 done (0%), 1 blocked, 1 overdue" in shown
    assert "Overdue by 3 days" in shown
    assert "Blocked: Counsel is away" in shown
    assert "Add an activity" not in shown  # observers do not add activities


def test_the_filters_narrow_the_list(plan, signed_in):
    p = plan()
    p.add(title="Mine")
    p.add(title="Theirs", owner_id=p.member.id)
    response = signed_in(p.lead.user).get(f"/teams/{p.team.id}/workplan?owner={p.member.id}")
    shown = text(response)
    assert "Theirs" in shown and "Mine" not in shown


def test_a_lead_adds_an_activity_through_the_form(plan, signed_in):
    p = plan()
    browser = signed_in(p.lead.user)
    assert browser.get(f"/teams/{p.team.id}/workplan/new").status_code == 200
    response = browser.post(
        f"/teams/{p.team.id}/workplan/new",
        data={
            "title": "Cross-training",
            "deliverable": "Training held",
            "owner_id": str(p.owner.id),
            "goal_id": "",
            "start_on": (today() + timedelta(days=1)).isoformat(),
            "due_on": (today() + timedelta(days=30)).isoformat(),
            "status": "not_started",
        },
    )
    assert response.status_code == 302
    activity = db.session.scalar(sa.select(Activity))
    assert (activity.title, activity.owner_id, activity.due_on) == (
        "Cross-training",
        p.owner.id,
        today() + timedelta(days=30),
    )


NEW_PAST_DUE = {"title": "Cross-training", "status": "not_started", "goal_id": ""}


def test_a_new_activity_due_in_the_past_is_refused_until_the_lead_confirms_it(plan, signed_in):
    p = plan()
    browser = signed_in(p.lead.user)
    url = f"/teams/{p.team.id}/workplan/new"
    due = today() - timedelta(days=701)
    data = {**NEW_PAST_DUE, "owner_id": str(p.owner.id), "due_on": due.isoformat()}
    form = browser.get(url)
    assert "confirm_past_due" not in page(form)  # the confirmation comes with the warning

    refused = browser.post(url, data=data)
    assert refused.status_code == 422
    assert "701 days ago" in field_error(refused, "due_on")
    assert 'name="confirm_past_due"' in page(refused)
    assert count(Activity) == 0

    confirmed = browser.post(url, data={**data, "confirm_past_due": "y"})
    assert confirmed.status_code == 302
    assert db.session.scalar(sa.select(Activity.due_on)) == due


def test_moving_an_activitys_due_date_into_the_past_saves_with_a_warning(plan, signed_in):
    p = plan()
    activity = p.add(due_on=today() + timedelta(days=10))
    browser = signed_in(p.owner.user)
    response = browser.post(
        f"/teams/{p.team.id}/workplan/activities/{activity.id}/edit",
        data={"due_on": (today() - timedelta(days=3)).isoformat(), "status": "in_progress"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Check the due date: it was 3 days ago" in page(response)


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("/teams/{team}/workplan/new", {"status": "not_started", "owner_id": "{owner}"}, "title"),
        ("/teams/{team}/proposals", {"text": "The text."}, "title"),
    ],
)
def test_a_title_over_200_characters_is_refused_with_its_length_not_cut(
    plan, signed_in, url, data, field
):
    p = plan()
    browser = signed_in(p.lead.user)
    target = url.format(team=p.team.id)
    form = page(browser.get(target))
    assert 'maxlength="200"' in form and "Up to 200 characters." in form
    values = {k: v.format(owner=p.owner.id) for k, v in data.items()}
    response = browser.post(target, data={**values, field: "x" * 230})
    assert response.status_code == 422
    assert "Use at most 200 characters: this one has 230." in field_error(response, field)


def test_due_before_start_gets_an_error_beside_the_field_and_changes_nothing(plan, signed_in):
    p = plan()
    browser = signed_in(p.lead.user)
    response = browser.post(
        f"/teams/{p.team.id}/workplan/new",
        data={
            "title": "Cross-training",
            "owner_id": str(p.owner.id),
            "start_on": "2026-05-01",
            "due_on": "2026-04-01",
            "status": "not_started",
        },
    )
    assert response.status_code == 422
    assert "cannot be before the start date" in field_error(response, "due_on")
    assert count(Activity) == 0

    activity = p.add(start_on=date(2026, 3, 1), due_on=date(2026, 3, 31))
    response = signed_in(p.owner.user).post(
        f"/teams/{p.team.id}/workplan/activities/{activity.id}/edit",
        data={"start_on": "2026-03-01", "due_on": "2026-02-01", "status": "in_progress"},
    )
    assert response.status_code == 422
    assert "cannot be before the start date" in field_error(response, "due_on")
    db.session.expire_all()
    unchanged = db.session.get(Activity, activity.id)
    assert (unchanged.due_on, unchanged.status) == (date(2026, 3, 31), S.NOT_STARTED)
    assert count(ActivityChange) == 1


def test_blocking_without_a_reason_shows_the_error_on_the_activity_page(plan, signed_in):
    p = plan()
    activity = p.add()
    response = signed_in(p.owner.user).post(
        f"/teams/{p.team.id}/workplan/activities/{activity.id}/status",
        data={"status": "blocked", "blocked_reason": ""},
    )
    assert response.status_code == 422
    assert "Say what is blocking" in field_error(response, "blocked_reason")
    assert db.session.get(Activity, activity.id).status is S.NOT_STARTED


def test_the_activity_page_shows_history_and_notes(plan, signed_in):
    p = plan()
    activity = p.add(due_on=date(2026, 3, 31))
    services.set_status(p.owner.user, p.team.id, activity.id, status=S.IN_PROGRESS)
    services.add_note(p.owner.user, p.team.id, activity.id, text="**Nine** agencies answered")
    response = signed_in(p.member.user).get(f"/teams/{p.team.id}/workplan/activities/{activity.id}")
    shown = text(response)
    assert f"Changed by {p.owner.user.name}" in shown
    assert "Status: Not started → In progress" in shown
    assert "<strong>Nine</strong>" in page(response)  # Markdown, rendered


def test_my_deliverables_lists_my_activities_across_teams(plan, signed_in, make_member):
    p, other = plan(), plan()
    p.add(title="Here")
    elsewhere = make_member(other.team, p.owner.user)
    other.add(title="There", owner_id=elsewhere.id)
    other.add(title="Not mine")
    response = signed_in(p.owner.user).get("/my/deliverables")
    assert response.status_code == 200
    shown = text(response)
    assert "Here" in shown and "There" in shown and "Not mine" not in shown
    assert p.team.name in shown and other.team.name in shown


def test_my_action_items_link_to_their_minutes_and_i_can_mark_one_done(plan, signed_in):

    p = plan()
    meeting = Meeting(
        team_id=p.team.id,
        title="March meeting",
        starts_at=datetime(2026, 3, 2, 17, tzinfo=UTC),
        status=MeetingStatus.ENDED,
    )
    db.session.add(meeting)
    db.session.flush()
    item = ActionItem(meeting_id=meeting.id, description="Call the shelter", owner_id=p.owner.id)
    db.session.add(item)
    db.session.commit()
    browser = signed_in(p.owner.user)
    html = page(browser.get("/my/deliverables"))
    assert "Call the shelter" in html
    assert f"/teams/{p.team.id}/meetings/{meeting.id}/minutes#actions-heading" in html
    done_url = f"/teams/{p.team.id}/workplan/action-items/{item.id}/done"
    assert done_url in html

    # Someone else cannot: it does not exist for them, and nothing changes.
    assert signed_in(p.member.user).post(done_url).status_code == 404
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).done_at is None

    response = browser.post(done_url)
    assert response.status_code == 302
    html = page(browser.get("/my/deliverables"))
    assert (
        "Call the shelter" not in html.split("Action items from meetings")[1].split("</section>")[0]
    )
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).done_at is not None


def test_the_timeline_is_an_svg_with_a_table(plan, signed_in):
    p = plan()
    day = today()
    p.add(title="Late one", start_on=day - timedelta(days=20), due_on=day - timedelta(days=2))
    p.add(title="Due only", due_on=day + timedelta(days=10))
    response = signed_in(p.member.user).get(f"/teams/{p.team.id}/workplan/timeline")
    assert response.status_code == 200
    html = page(response)
    assert "<svg" in html and "<desc" in html and "Today" in html
    assert "OVERDUE" in html  # said in words, not only by the hatching
    assert "<table>" in html and "Due only" in html


def test_changes_since_the_last_meeting_page_and_markdown(plan, signed_in):
    p = plan()
    p.add(title="Fresh")
    browser = signed_in(p.member.user)
    response = browser.get(f"/teams/{p.team.id}/workplan/changes")
    assert response.status_code == 200
    assert "**Fresh**" in page(response)  # in the Markdown block for the agenda
    markdown = browser.get(f"/teams/{p.team.id}/workplan/changes.md")
    assert markdown.mimetype == "text/markdown"
    assert "- **Fresh**" in markdown.get_data(as_text=True)


def test_an_action_item_becomes_an_activity_from_the_minutes(plan, signed_in):
    p = plan()
    meeting = Meeting(
        team_id=p.team.id,
        title="March",
        starts_at=datetime(2026, 3, 2, 17, tzinfo=UTC),
        status=MeetingStatus.ENDED,
    )
    db.session.add(meeting)
    db.session.flush()
    item = ActionItem(meeting_id=meeting.id, description="Call counsel", owner_id=p.owner.id)
    db.session.add(item)
    db.session.commit()
    browser = signed_in(p.lead.user)
    url = f"/teams/{p.team.id}/workplan/from-action-item/{item.id}"
    first = browser.post(url)
    activity = db.session.scalar(sa.select(Activity))
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/workplan/activities/{activity.id}")
    again = browser.post(url)
    assert again.headers["Location"].endswith(f"/workplan/activities/{activity.id}")
    assert count(Activity) == 1


def test_a_bad_csv_lists_the_rows_to_correct_and_imports_nothing(plan, signed_in):
    p = plan()
    body = (
        "id,title,description,deliverable,goal,owner_email,collaborators,start_on,due_on,"
        "status,blocked_reason\n"
        f",Good row,,,,{p.owner.user.email},,,,,\n"
        ",,,,,stranger@example.org,,,2026-02-30,,\n"
    )
    response = signed_in(p.lead.user).post(
        f"/teams/{p.team.id}/workplan/import",
        data={"file": (io.BytesIO(body.encode()), "plan.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    shown = text(response)
    assert "Nothing was imported" in shown
    assert "3 title" in shown and "3 owner_email" in shown and "3 due_on" in shown
    assert count(Activity) == 0


def test_the_demo_workplan_has_every_kind_of_activity(app, demo, login):
    from teamwork.auth.models import User
    from teamwork.demo import COUNTY
    from teamwork.teams.models import Team
    from teamwork.workplans.demo import seed

    team = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    if not count(Activity):  # until teamwork/demo.py calls the workplan's seed itself
        seed(team, users, today())
    activities = db.session.scalars(sa.select(Activity)).all()
    assert {a.status for a in activities} >= {S.DONE, S.IN_PROGRESS, S.BLOCKED, S.NOT_STARTED}
    assert any(a.status.is_open and a.due_on < today() for a in activities)
    done = [a for a in activities if a.status is S.DONE]
    assert {a.completed_on <= a.due_on for a in done} == {True, False}  # on time and late
    assert any(a.goal_id for a in activities) and all(a.changes for a in activities)

    member1 = app.test_client()
    login(users["member1@example.org"], "demo passphrase for tests", on=member1)
    mine = text(member1.get("/my/deliverables"))
    assert "Design the shared release-of-information form" in mine and "Overdue by" in mine
    assert member1.get(f"/teams/{team.id}/workplan").status_code == 200
    assert member1.get(f"/teams/{team.id}/workplan/timeline").status_code == 200


def test_the_forms_carry_their_csrf_tokens(app, plan, signed_in):
    from tests.conftest import csrf_token_from

    p = plan()
    activity = p.add()
    browser = signed_in(p.owner.user)
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/teams/{p.team.id}/workplan/activities/{activity.id}"
    refused = browser.post(url + "/status", data={"status": "in_progress"})
    assert refused.status_code == 400
    assert db.session.get(Activity, activity.id).status is S.NOT_STARTED
    token = csrf_token_from(browser.get(url).get_data(as_text=True))
    accepted = browser.post(url + "/status", data={"status": "in_progress", "csrf_token": token})
    assert accepted.status_code == 302
    assert db.session.get(Activity, activity.id).status is S.IN_PROGRESS
