"""Who may change what, over HTTP: members read the workplan; the owner updates their own
activity (status, notes, dates, description, deliverable) but cannot reassign it; leads change
anything; other members and observers change nothing; other teams' ids answer 404."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from teamwork.errors import Forbidden
from teamwork.extensions import db
from teamwork.workplans import services
from teamwork.workplans.models import Activity, ActivityChange
from teamwork.workplans.rules import ActivityStatus as S


def state(activity_id: int) -> tuple:
    db.session.expire_all()
    activity = db.session.get(Activity, activity_id)
    changes = db.session.scalar(sa.select(sa.func.count(ActivityChange.id)))
    return (activity.status, activity.owner_id, activity.due_on, activity.description, changes)


def base(p, activity) -> str:
    return f"/teams/{p.team.id}/workplan/activities/{activity.id}"


@pytest.mark.parametrize("who", ["member", "observer"])
def test_members_read_but_do_not_change_others_activities(plan, signed_in, who) -> None:
    p = plan()
    activity = p.add(due_on=date(2026, 3, 31))
    browser = signed_in(getattr(p, who).user)
    assert browser.get(f"/teams/{p.team.id}/workplan").status_code == 200
    page = browser.get(base(p, activity))
    assert page.status_code == 200
    assert "Update the status" not in page.get_data(as_text=True)
    before = state(activity.id)
    assert browser.get(base(p, activity) + "/edit").status_code == 403
    assert browser.post(base(p, activity) + "/status", data={"status": "done"}).status_code == 403
    assert browser.post(base(p, activity) + "/notes", data={"text": "Hi"}).status_code == 403
    response = browser.post(
        base(p, activity) + "/edit", data={"title": "Mine now", "status": "done"}
    )
    assert response.status_code == 403
    assert browser.post(f"/teams/{p.team.id}/workplan/new", data={"title": "X"}).status_code == 403
    assert state(activity.id) == before


def test_the_owner_updates_status_dates_and_notes(plan, signed_in) -> None:
    p = plan()
    activity = p.add(due_on=date(2026, 3, 31))
    browser = signed_in(p.owner.user)
    form = browser.get(base(p, activity) + "/edit")
    assert form.status_code == 200
    assert 'name="due_on"' in form.get_data(as_text=True)
    assert 'name="owner_id"' not in form.get_data(as_text=True)  # leads reassign
    response = browser.post(
        base(p, activity) + "/status", data={"status": "blocked", "blocked_reason": "No data"}
    )
    assert response.status_code == 302
    response = browser.post(
        base(p, activity) + "/edit",
        data={
            "description": "Now with a plan",
            "deliverable": "Protocol",
            "start_on": "2026-03-01",
            "due_on": "2026-04-15",
            "status": "in_progress",
            "blocked_reason": "",
        },
    )
    assert response.status_code == 302
    assert browser.post(base(p, activity) + "/notes", data={"text": "Going"}).status_code == 302
    db.session.expire_all()
    changed = db.session.get(Activity, activity.id)
    assert (changed.status, changed.due_on, changed.description) == (
        S.IN_PROGRESS,
        date(2026, 4, 15),
        "Now with a plan",
    )
    assert [n.text for n in changed.notes] == ["Going"]


def test_the_owner_cannot_reassign_or_retitle(plan, signed_in) -> None:
    p = plan()
    activity = p.add()
    with pytest.raises(Forbidden):
        services.update_activity(p.owner.user, p.team.id, activity.id, owner_id=p.member.id)
    with pytest.raises(Forbidden):
        services.update_activity(p.owner.user, p.team.id, activity.id, title="Renamed")
    # Over HTTP the lead-only fields are not even read from an owner's form.
    browser = signed_in(p.owner.user)
    browser.post(
        base(p, activity) + "/edit",
        data={"owner_id": str(p.member.id), "title": "Renamed", "status": "not_started"},
    )
    db.session.expire_all()
    unchanged = db.session.get(Activity, activity.id)
    assert (unchanged.owner_id, unchanged.title) == (p.owner.id, "Draft the polygraph protocol")


def test_the_lead_changes_everything(plan, signed_in) -> None:
    p = plan()
    activity = p.add()
    browser = signed_in(p.lead.user)
    response = browser.post(
        base(p, activity) + "/edit",
        data={
            "title": "Renamed",
            "owner_id": str(p.member.id),
            "goal_id": str(p.short_goal_id),
            "collaborator_ids": [str(p.observer.id)],
            "status": "in_progress",
            "due_on": "2026-05-01",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Activity, activity.id)
    assert (changed.title, changed.owner_id, changed.goal_id) == (
        "Renamed",
        p.member.id,
        p.short_goal_id,
    )
    assert [c.membership_id for c in changed.collaborators] == [p.observer.id]


def test_an_observer_who_owns_an_activity_updates_it(plan, signed_in) -> None:
    p = plan()
    activity = p.add(owner_id=p.observer.id)
    browser = signed_in(p.observer.user)
    assert browser.post(base(p, activity) + "/status", data={"status": "done"}).status_code == 302
    assert state(activity.id)[0] is S.DONE


def test_other_teams_activities_answer_not_found(plan, signed_in) -> None:
    p, other = plan(), plan()
    foreign = other.add()
    browser = signed_in(p.lead.user)
    # Another team's activity under my team's URL, and another team's URL altogether.
    for url in (
        f"/teams/{p.team.id}/workplan/activities/{foreign.id}",
        f"/teams/{other.team.id}/workplan/activities/{foreign.id}",
        f"/teams/{other.team.id}/workplan",
    ):
        assert browser.get(url).status_code == 404, url
    before = state(foreign.id)
    response = browser.post(
        f"/teams/{p.team.id}/workplan/activities/{foreign.id}/status", data={"status": "done"}
    )
    assert response.status_code == 404
    assert state(foreign.id) == before
