"""Activities through the services: lifecycle and history, validation that changes nothing,
"my deliverables", action items becoming activities, the summary since the last meeting, and
due-date reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.meetings.minutes import services as minutes
from teamwork.meetings.models import ActionItem, Meeting, MeetingStatus
from teamwork.teams.rules import Role
from teamwork.workplans import services
from teamwork.workplans.models import Activity, ActivityChange, ActivityNote, ChangeKind
from teamwork.workplans.reminders import send_due_reminders
from teamwork.workplans.rules import ActivityStatus as S
from tests.workplans.conftest import TODAY


def count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_activity_lives_through_its_statuses_and_every_change_is_kept(plan) -> None:
    p = plan()
    activity = p.add(
        goal_id=p.long_goal_id,
        deliverable="Signed protocol",
        start_on=date(2026, 3, 1),
        due_on=date(2026, 3, 31),
    )
    owner = p.owner.user
    services.set_status(owner, p.team.id, activity.id, status=S.IN_PROGRESS, day=TODAY)
    services.set_status(
        owner, p.team.id, activity.id, status=S.BLOCKED, blocked_reason="No data", day=TODAY
    )
    services.set_status(owner, p.team.id, activity.id, status=S.IN_PROGRESS, day=TODAY)
    services.set_status(owner, p.team.id, activity.id, status=S.DONE, day=date(2026, 3, 20))

    db.session.refresh(activity)
    assert activity.status is S.DONE and activity.completed_on == date(2026, 3, 20)
    assert activity.blocked_reason == ""
    changes = activity.changes
    assert [c.kind for c in changes] == [ChangeKind.CREATED] + [ChangeKind.UPDATED] * 4
    created = changes[0]
    assert created.actor_id == p.lead.user_id
    assert created.changes["title"] == [None, "Draft the polygraph protocol"]
    assert created.changes["deliverable"] == [None, "Signed protocol"]
    assert created.changes["owner"] == [None, owner.name]
    assert [c.actor_id for c in changes[1:]] == [owner.id] * 4
    assert changes[1].changes == {"status": ["Not started", "In progress"]}
    assert changes[2].changes == {
        "status": ["In progress", "Blocked"],
        "blocked_reason": ["", "No data"],
    }
    assert changes[4].changes == {
        "status": ["In progress", "Done"],
        "completed_on": [None, "2026-03-20"],
    }
    assert all(abs(c.created_at - utcnow()) < timedelta(minutes=1) for c in changes)


def test_saving_without_a_change_adds_no_history(plan) -> None:
    p = plan()
    activity = p.add(due_on=date(2026, 3, 31))
    services.update_activity(
        p.lead.user, p.team.id, activity.id, due_on=date(2026, 3, 31), title=activity.title
    )
    assert count(ActivityChange) == 1


def test_blocking_without_a_reason_is_refused_and_changes_nothing(plan) -> None:
    p = plan()
    activity = p.add()
    with pytest.raises(InvalidInput) as caught:
        services.set_status(p.owner.user, p.team.id, activity.id, status=S.BLOCKED)
    assert caught.value.field == "blocked_reason"
    db.session.rollback()
    assert db.session.get(Activity, activity.id).status is S.NOT_STARTED
    assert count(ActivityChange) == 1


def test_due_before_start_is_refused_and_changes_nothing(plan) -> None:
    p = plan()
    activity = p.add(start_on=date(2026, 3, 1), due_on=date(2026, 3, 31))
    with pytest.raises(InvalidInput) as caught:
        services.update_activity(
            p.owner.user, p.team.id, activity.id, due_on=date(2026, 2, 1), description="New"
        )
    assert caught.value.field == "due_on"
    db.session.rollback()
    unchanged = db.session.get(Activity, activity.id)
    assert (unchanged.due_on, unchanged.description) == (date(2026, 3, 31), "")
    assert count(ActivityChange) == 1


def test_the_owner_must_be_a_current_member_of_the_team(plan, make_team, make_member) -> None:
    p = plan()
    outsider = make_member(make_team("Harbor County"))
    with pytest.raises(InvalidInput) as caught:
        p.add(owner_id=outsider.id)
    assert caught.value.field == "owner_id"
    p.member.removed_at = utcnow()
    db.session.commit()
    with pytest.raises(InvalidInput):
        p.add(owner_id=p.member.id)
    with pytest.raises(InvalidInput) as caught:
        p.add(collaborator_ids=[outsider.id])
    assert caught.value.field == "collaborator_ids"
    assert count(Activity) == 0


def test_observers_may_own_activities(plan) -> None:
    p = plan()
    activity = p.add(owner_id=p.observer.id)
    assert activity.owner_id == p.observer.id


def test_a_goal_must_be_one_of_the_teams_goals(plan) -> None:
    p, other = plan(), plan()
    with pytest.raises(InvalidInput) as caught:
        p.add(goal_id=other.long_goal_id)
    assert caught.value.field == "goal_id"


def test_reassigning_moves_ownership_and_drops_the_new_owner_from_collaborators(plan) -> None:
    p = plan()
    activity = p.add(collaborator_ids=[p.member.id])
    services.update_activity(p.lead.user, p.team.id, activity.id, owner_id=p.member.id)
    db.session.refresh(activity)
    assert activity.owner_id == p.member.id
    assert activity.collaborators == []
    assert activity.changes[-1].changes["owner"] == [p.owner.user.name, p.member.user.name]


def test_dependencies_stay_in_the_team_and_never_loop(plan) -> None:
    p, other = plan(), plan()
    first = p.add(title="Survey")
    second = p.add(title="Draft", depends_on_ids=[first.id])
    with pytest.raises(InvalidInput) as caught:
        services.update_activity(p.lead.user, p.team.id, first.id, depends_on_ids=[second.id])
    assert caught.value.field == "depends_on_ids"
    foreign = other.add()
    with pytest.raises(InvalidInput):
        services.update_activity(p.lead.user, p.team.id, first.id, depends_on_ids=[foreign.id])


def test_progress_notes_are_kept_in_the_history(plan) -> None:
    p = plan()
    activity = p.add()
    note = services.add_note(p.owner.user, p.team.id, activity.id, text="Nine agencies answered.")
    assert note.author_id == p.owner.user_id
    assert activity.changes[-1].kind is ChangeKind.NOTE
    with pytest.raises(InvalidInput):
        services.add_note(p.owner.user, p.team.id, activity.id, text="  ")
    with pytest.raises(Forbidden):
        services.add_note(p.member.user, p.team.id, activity.id, text="Not mine")
    assert count(ActivityNote) == 1


def test_workplan_groups_by_goal_with_progress(plan) -> None:
    p = plan()
    p.add(goal_id=p.long_goal_id, title="A")
    done = p.add(goal_id=p.long_goal_id, title="B")
    services.set_status(p.owner.user, p.team.id, done.id, status=S.DONE, day=TODAY)
    p.add(title="C")
    access = services.team_access(p.owner.user, p.team.id)
    groups = services.workplan(access, day=TODAY)
    assert [g.title for g in groups] == [
        "Countywide standards. (draft)",
        "Sign an MOU. (draft)",
        "Other activities",
    ]
    assert (groups[0].progress.done, groups[0].progress.counted) == (1, 2)
    assert groups[1].rows == [] and groups[1].progress.total == 0
    assert [r.activity.title for r in groups[2].rows] == ["C"]


def test_workplan_filters_by_owner_status_and_due(plan) -> None:
    p = plan()
    p.add(title="Late", due_on=TODAY - timedelta(days=1))
    p.add(title="Soon", due_on=TODAY + timedelta(days=3), owner_id=p.member.id)
    p.add(title="Later", due_on=TODAY + timedelta(days=60))
    access = services.team_access(p.lead.user, p.team.id)

    def titles(**filters: Any) -> list[str]:
        groups = services.workplan(access, services.Filters(**filters), day=TODAY)
        return sorted(r.activity.title for g in groups for r in g.rows)

    assert titles(due="overdue") == ["Late"]
    assert titles(due="soon") == ["Late", "Soon"]
    assert titles(owner_id=p.member.id) == ["Soon"]
    assert titles(status=S.DONE) == []


def test_my_deliverables_are_my_own_activities_in_teams_i_still_belong_to(
    plan, make_member
) -> None:
    p, other = plan(), plan()
    mine = p.add(title="Mine", due_on=TODAY - timedelta(days=2))
    p.add(title="Someone else's", owner_id=p.member.id)
    elsewhere = make_member(other.team, p.owner.user)
    other.add(title="In the team I left", owner_id=elsewhere.id)
    elsewhere.removed_at = utcnow()
    db.session.commit()

    teams = services.my_deliverables(p.owner.user, TODAY)
    assert [t.team.id for t in teams] == [p.team.id]
    assert [r.activity.id for r in teams[0].rows] == [mine.id]
    assert teams[0].rows[0].timing.value == "overdue"


def _action_item(team, owner, *, description: str = "Collect the agencies' data") -> ActionItem:
    meeting = Meeting(
        team_id=team.id,
        title="March meeting",
        starts_at=datetime(2026, 3, 2, 17, tzinfo=UTC),
        status=MeetingStatus.ENDED,
    )
    db.session.add(meeting)
    db.session.flush()
    item = ActionItem(
        meeting_id=meeting.id, description=description, owner_id=owner.id, due_on=date(2026, 4, 1)
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_an_action_item_becomes_an_activity_once(plan) -> None:
    p = plan()
    item = _action_item(p.team, p.owner)
    activity = services.create_activity_from_action_item(p.lead.user, p.team.id, item.id)
    assert (activity.title, activity.owner_id, activity.due_on) == (
        "Collect the agencies' data",
        p.owner.id,
        date(2026, 4, 1),
    )
    assert activity.source_action_item_id == item.id
    with pytest.raises(Conflict):
        services.create_activity_from_action_item(p.lead.user, p.team.id, item.id)
    assert count(Activity) == 1


def test_action_items_of_other_teams_and_non_leads_are_refused(plan) -> None:
    p, other = plan(), plan()
    foreign = _action_item(other.team, other.owner)
    with pytest.raises(NotFound):
        services.create_activity_from_action_item(p.lead.user, p.team.id, foreign.id)
    item = _action_item(p.team, p.owner)
    with pytest.raises(Forbidden):
        services.create_activity_from_action_item(p.owner.user, p.team.id, item.id)
    assert count(Activity) == 0


def test_an_action_item_is_on_its_owners_list_until_they_mark_it_done(plan) -> None:
    p = plan()
    mine = _action_item(p.team, p.owner)
    _action_item(p.team, p.member, description="Someone else's")
    listed = services.my_action_items(p.owner.user, date(2026, 4, 3))
    assert [m.action.id for m in listed] == [mine.id]
    assert listed[0].team.id == p.team.id
    assert listed[0].overdue_days == 2  # due 1 April

    # Nobody but its owner may mark it done (to them it does not exist).
    for stranger in (p.member.user, p.lead.user):
        with pytest.raises(NotFound):
            minutes.complete_action_item(stranger, p.team.id, mine.id)
    minutes.complete_action_item(p.owner.user, p.team.id, mine.id)
    assert services.my_action_items(p.owner.user, TODAY) == []
    with pytest.raises(Conflict):
        minutes.complete_action_item(p.owner.user, p.team.id, mine.id)


def test_an_action_item_that_became_an_activity_is_listed_once_as_the_activity(plan) -> None:
    p = plan()
    item = _action_item(p.team, p.owner)
    activity = services.create_activity_from_action_item(p.lead.user, p.team.id, item.id)
    assert services.my_action_items(p.owner.user, TODAY) == []
    rows = services.my_deliverables(p.owner.user, TODAY)[0].rows
    assert [r.activity.id for r in rows] == [activity.id]


def test_action_items_of_a_team_i_left_leave_my_list(plan) -> None:
    p = plan()
    _action_item(p.team, p.owner)
    p.owner.removed_at = utcnow()
    db.session.commit()
    assert services.my_action_items(p.owner.user, TODAY) == []


def test_due_soon_lists_my_open_work_of_the_next_week_and_overdue_soonest_first(
    plan, make_member
) -> None:
    p, other = plan(), plan()
    day = date(2026, 3, 28)
    late = p.add(title="Late", due_on=date(2026, 3, 25))
    week = p.add(title="In a week", due_on=date(2026, 4, 4))
    p.add(title="Later", due_on=date(2026, 4, 5))
    p.add(title="No due date")
    p.add(title="Someone else's", owner_id=p.member.id, due_on=date(2026, 3, 27))
    finished = p.add(title="Finished", due_on=date(2026, 3, 27))
    services.set_status(p.owner.user, p.team.id, finished.id, status=S.DONE, day=TODAY)
    action = _action_item(p.team, p.owner)  # due 1 April
    _action_item(p.team, p.member, description="Someone else's action")
    elsewhere = make_member(other.team, p.owner.user)
    there = other.add(title="In my other team", owner_id=elsewhere.id, due_on=date(2026, 3, 30))

    def listed() -> list[tuple[str, int]]:
        return [(i.title, i.days_left) for i in services.my_due_soon(p.owner.user, day)]

    assert listed() == [
        (late.title, -3),
        (there.title, 2),
        (action.description, 4),
        (week.title, 7),
    ]
    first = services.my_due_soon(p.owner.user, day)[0]
    assert (first.activity.id, first.team.id, first.days_overdue) == (late.id, p.team.id, 3)
    theirs = services.my_due_soon(p.member.user, day)
    assert [i.title for i in theirs] == ["Someone else's", "Someone else's action"]

    # Done work leaves the list; so does a team archived, or left.
    minutes.complete_action_item(p.owner.user, p.team.id, action.id)
    services.set_status(p.owner.user, p.team.id, late.id, status=S.DONE, day=day)
    assert listed() == [(there.title, 2), (week.title, 7)]
    other.team.archived_at = utcnow()
    db.session.commit()
    assert listed() == [(week.title, 7)]
    other.team.archived_at = None
    p.owner.removed_at = utcnow()
    db.session.commit()
    assert listed() == [(there.title, 2)]


def test_long_action_items_get_a_shortened_title(plan) -> None:
    p = plan()
    item = _action_item(p.team, p.owner, description="Collect data " * 30)  # 390 of 500
    activity = services.create_activity_from_action_item(p.lead.user, p.team.id, item.id)
    assert len(activity.title) <= 200 and activity.title.endswith("…")
    assert activity.description == item.description.strip()


def test_changes_since_the_last_ended_meeting(plan) -> None:
    p = plan()
    before = p.add(title="Before the meeting")
    for change in before.changes:
        change.created_at = utcnow() - timedelta(days=3)
    db.session.add(
        Meeting(
            team_id=p.team.id,
            title="February meeting",
            starts_at=utcnow() - timedelta(days=2),
            ended_at=utcnow() - timedelta(days=2) + timedelta(hours=2),
            status=MeetingStatus.ENDED,
        )
    )
    db.session.add(
        Meeting(
            team_id=p.team.id,
            title="Next meeting",
            starts_at=utcnow() + timedelta(days=20),
            status=MeetingStatus.SCHEDULED,
        )
    )
    db.session.commit()
    after = p.add(title="After the meeting")
    services.set_status(p.owner.user, p.team.id, after.id, status=S.BLOCKED, blocked_reason="Data")

    summary = services.changes_since_last_meeting(services.team_access(p.lead.user, p.team.id))
    assert summary.meeting.title == "February meeting"
    assert [item.activity.title for item in summary.activities] == ["After the meeting"]
    text = services.changes_markdown(summary)
    assert "February meeting" in text
    assert "**After the meeting**" in text and "Before the meeting" not in text
    assert "Status: Not started → Blocked" in text


def test_without_an_ended_meeting_every_change_is_listed(plan) -> None:
    p = plan()
    p.add(title="One")
    summary = services.changes_since_last_meeting(services.team_access(p.lead.user, p.team.id))
    assert summary.meeting is None
    assert [item.activity.title for item in summary.activities] == ["One"]


@pytest.fixture
def outbox(app) -> Any:
    sent: list[Any] = []

    def record(sender: Any, message: Any, **extra: Any) -> None:
        sent.append(message)

    message_queued.connect(record, app)
    yield sent
    message_queued.disconnect(record, app)


def test_owners_are_reminded_once_per_due_date(plan, outbox) -> None:
    p = plan()
    due = p.add(title="Due in three days", due_on=TODAY + timedelta(days=3))
    p.add(title="Due later", due_on=TODAY + timedelta(days=4))
    done = p.add(title="Done already", due_on=TODAY + timedelta(days=1))
    services.set_status(p.owner.user, p.team.id, done.id, status=S.DONE, day=TODAY)
    outbox.clear()  # the owner was told of each activity as it was given (notifications)

    assert send_due_reminders(TODAY) == 1
    assert outbox[0]["To"] == p.owner.user.email
    assert "Due in three days" in outbox[0]["Subject"]
    assert send_due_reminders(TODAY) == 0
    assert send_due_reminders(TODAY + timedelta(days=1)) == 1  # "Due later" enters the window
    assert len(outbox) == 2

    services.update_activity(p.lead.user, p.team.id, due.id, due_on=TODAY + timedelta(days=2))
    assert send_due_reminders(TODAY + timedelta(days=1)) == 1  # a new due date, a new reminder


def test_owners_are_told_once_the_day_after_a_due_date_passes(plan, outbox) -> None:
    from teamwork.notifications.models import Notification
    from teamwork.notifications.rules import Kind

    p = plan()
    late = p.add(title="Signed protocol", due_on=TODAY + timedelta(days=1))
    assert send_due_reminders(TODAY) == 1  # due soon
    outbox.clear()
    assert send_due_reminders(TODAY + timedelta(days=1)) == 0  # due today: not late yet
    assert send_due_reminders(TODAY + timedelta(days=2)) == 1
    assert send_due_reminders(TODAY + timedelta(days=3)) == 0  # once per due date
    (message,) = outbox
    assert message["To"] == p.owner.user.email
    assert message["Subject"] == "Overdue since 11 March: Signed protocol"
    kinds = [
        n.kind
        for n in db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == p.owner.user_id)
            .order_by(Notification.id)
        )
    ]
    assert kinds == [Kind.ACTIVITY_ASSIGNED, Kind.ACTIVITY_DUE_SOON, Kind.ACTIVITY_OVERDUE]
    assert db.session.get(Activity, late.id).overdue_due_on == TODAY + timedelta(days=1)
    # A date long past (a worker started on old history) is not reported.
    p.add(title="Ancient", due_on=TODAY + timedelta(days=1))
    assert send_due_reminders(TODAY + timedelta(days=30)) == 0


def test_owners_who_left_are_not_reminded(plan, outbox) -> None:
    p = plan()
    p.add(due_on=TODAY + timedelta(days=1))
    outbox.clear()  # the owner was told of the activity as it was given (notifications)
    p.owner.removed_at = utcnow()
    db.session.commit()
    assert send_due_reminders(TODAY) == 0
    assert outbox == []


def test_only_leads_create_activities(plan, make_member) -> None:
    p = plan()
    recorder = make_member(p.team, role=Role.RECORDER)
    for who in (p.owner, p.observer, recorder):
        with pytest.raises(Forbidden):
            services.create_activity(who.user, p.team.id, title="Mine", owner_id=who.id)
    assert count(Activity) == 0
