"""The minutes as the meeting runs, over the "/meeting" socket: the recorder's notes (autosave
guarded by revision, shown live to everyone, sanitized), round tallies and decisions written in
by the consensus loop, attendance, action items, and ending the meeting."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.extensions import db
from teamwork.meetings.live import services as live
from teamwork.meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    ItemStatus,
    Meeting,
    MeetingStatus,
    MinutesEntry,
)


def started(lm, signed_in, meeting_socket):
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    assert moderator.emit("start_meeting", {"meeting_id": lm.meeting.id})["ok"]
    return moderator


def notes_payload(lm, notes: str, base: int, item=None) -> dict:
    item = item or lm.items[0]
    return {"meeting_id": lm.meeting.id, "item_id": item.id, "notes": notes, "base_revision": base}


# --- Notes ----------------------------------------------------------------------------------


def test_recorder_notes_are_saved_and_every_screen_sees_them_sanitized(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    started(lm, signed_in, meeting_socket)
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    member.received()
    ack = recorder.emit(
        "save_notes", notes_payload(lm, "Chief **Ramos** reported. <script>x()</script>", 0)
    )
    assert ack["ok"], ack
    assert ack["revision"] == 1
    [change] = member.events("meeting_changed")
    current = change["current"]
    assert current["notes_revision"] == 1
    assert "<strong>Ramos</strong>" in current["notes_html"]
    assert "<script" not in current["notes_html"]
    db.session.expire_all()
    assert db.session.get(AgendaItem, lm.items[0].id).notes.startswith("Chief **Ramos**")


def test_a_save_from_a_stale_revision_is_refused_and_keeps_the_newer_notes(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    started(lm, signed_in, meeting_socket)
    laptop = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    lead = meeting_socket(signed_in(lm.lead.user), lm.meeting.id)
    assert laptop.emit("save_notes", notes_payload(lm, "First draft", 0))["ok"]
    assert lead.emit("save_notes", notes_payload(lm, "The lead's version", 1))["ok"]
    stale = laptop.emit("save_notes", notes_payload(lm, "First draft, more", 1))
    assert stale["ok"] is False and stale["error"]["code"] == "conflict"
    db.session.expire_all()
    item = db.session.get(AgendaItem, lm.items[0].id)
    assert (item.notes, item.notes_revision) == ("The lead's version", 2)


def test_members_cannot_write_the_notes(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    started(lm, signed_in, meeting_socket)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    ack = member.emit("save_notes", notes_payload(lm, "Mine now", 0))
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    db.session.expire_all()
    assert db.session.get(AgendaItem, lm.items[0].id).notes == ""


def test_notes_for_an_item_of_another_meeting_are_not_found(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm, other = live_meeting(), live_meeting()
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    ack = recorder.emit("save_notes", notes_payload(lm, "Sneaky", 0, item=other.items[0]))
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    db.session.expire_all()
    assert db.session.get(AgendaItem, other.items[0].id).notes == ""


# --- Minutes written by the consensus loop ----------------------------------------------------


def test_a_closed_rounds_tally_and_the_decision_appear_in_the_minutes_live(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = started(lm, signed_in, meeting_socket)
    moderator.emit("go_to_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[1].id})
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    member.received()
    version = db.session.get(Meeting, lm.meeting.id).live_version

    round_ = consensus.open_round(lm.moderator.user, lm.proposal.id)
    choices = ["up", "up", "up", "up", "sideways"]
    for n, (voter, choice) in enumerate(zip(lm.voters, choices, strict=False)):
        voting.cast_vote(voter.user, round_.id, choice=choice, reason="", request_id=f"v{n}")
    consensus.close_round(lm.moderator.user, round_.id)

    entries = db.session.scalars(sa.select(MinutesEntry).order_by(MinutesEntry.id)).all()
    assert [e.text for e in entries] == [
        "Round 1 on “Share polygraph results”: 4 up, 1 sideways, 0 down"
        f" (of {len(lm.voters)} eligible) — consensus.",
        "Decision recorded: “Share polygraph results” (text version 1), agreed in these words:\n"
        f"“{lm.proposal.versions[0].text.strip()}”",
    ]
    assert {e.item_id for e in entries} == {lm.items[1].id}
    assert entries[0].round_id == round_.id and entries[1].decision_id is not None
    # Every meeting screen hears of it once the round's transaction has committed.
    changes = member.events("meeting_changed")
    assert changes and changes[-1]["version"] > version
    assert [e["text"] for e in changes[-1]["entries"]] == [e.text for e in entries]


def test_a_round_without_consensus_is_minuted_on_the_latest_meeting_deciding_it(
    live_meeting,
) -> None:
    lm = live_meeting()  # scheduled, not started: the most recent meeting linking the proposal
    round_ = consensus.open_round(lm.moderator.user, lm.proposal.id)
    voting.cast_vote(lm.lead.user, round_.id, choice="up", reason="", request_id="a")
    consensus.close_round(lm.moderator.user, round_.id)
    [entry] = db.session.scalars(sa.select(MinutesEntry)).all()
    assert entry.meeting_id == lm.meeting.id
    assert entry.text.endswith("— no consensus.")


def test_a_proposal_on_no_agenda_writes_no_minutes(meeting) -> None:
    m = meeting()
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    consensus.close_round(m.moderator.user, round_.id)
    assert db.session.scalar(sa.select(sa.func.count(MinutesEntry.id))) == 0


# --- Attendance and action items ----------------------------------------------------------------


def test_recorder_marks_attendance_and_the_quorum_line_follows(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    started(lm, signed_in, meeting_socket)
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    member.received()
    for person, status in [(lm.members[0], "present"), (lm.members[1], "remote")]:
        ack = recorder.emit(
            "set_attendance",
            {"meeting_id": lm.meeting.id, "membership_id": person.id, "status": status},
        )
        assert ack["ok"], ack
    change = member.events("meeting_changed")[-1]
    statuses = {a["membership_id"]: a["status"] for a in change["attendance"]}
    assert statuses[lm.members[0].id] == "present" and statuses[lm.members[1].id] == "remote"
    assert change["quorum"]["attending_voters"] == 2
    # Hands are expected from those attending: the not-yet-spoken list follows attendance.
    assert {p["membership_id"] for p in change["current"]["not_spoken"]} == {
        lm.members[0].id,
        lm.members[1].id,
    }


def test_members_cannot_mark_attendance(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    ack = member.emit(
        "set_attendance",
        {"meeting_id": lm.meeting.id, "membership_id": lm.members[0].id, "status": "present"},
    )
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_a_designee_needs_norms_that_allow_designees(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    ack = recorder.emit(
        "set_attendance",
        {
            "meeting_id": lm.meeting.id,
            "membership_id": lm.members[0].id,
            "status": "designee",
            "designee_name": "Sam Ortiz",
        },
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_recorder_captures_an_action_item_with_owner_and_due_date(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    started(lm, signed_in, meeting_socket)
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    member.received()
    ack = recorder.emit(
        "add_action_item",
        {
            "meeting_id": lm.meeting.id,
            "item_id": lm.items[0].id,
            "description": "Ask the shelters for their new rules",
            "owner_id": lm.members[1].id,
            "due_on": "2030-04-01",
        },
    )
    assert ack["ok"], ack
    action = db.session.get(ActionItem, ack["action_item_id"])
    assert (action.owner_id, action.due_on.isoformat()) == (lm.members[1].id, "2030-04-01")
    [change] = member.events("meeting_changed")
    assert change["actions"] == [
        {
            "id": action.id,
            "item_id": lm.items[0].id,
            "description": "Ask the shelters for their new rules",
            "owner": lm.members[1].user.name,
            "due_on": "2030-04-01",
        }
    ]


# --- Ending ---------------------------------------------------------------------------------------


def test_ending_the_meeting_stops_the_clock_and_carries_open_items(
    live_meeting, signed_in, meeting_socket
) -> None:
    lm = live_meeting()
    moderator = started(lm, signed_in, meeting_socket)
    member = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    member.emit("raise_hand", {"meeting_id": lm.meeting.id})
    assert moderator.emit(
        "mark_item", {"meeting_id": lm.meeting.id, "item_id": lm.items[0].id, "resolved": True}
    )["ok"]
    member.received()
    ack = moderator.emit("end_meeting", {"meeting_id": lm.meeting.id})
    assert ack["ok"], ack
    [change] = member.events("meeting_changed")
    assert change["meeting"]["status"] == "ended" and change["current"] is None
    db.session.expire_all()
    meeting = db.session.get(Meeting, lm.meeting.id)
    assert meeting.status is MeetingStatus.ENDED and meeting.ended_at is not None
    assert meeting.current_item_id is None and meeting.item_started_at is None
    statuses = [db.session.get(AgendaItem, i.id).status for i in lm.items]
    assert statuses == [ItemStatus.RESOLVED, ItemStatus.CARRIED, ItemStatus.CARRIED]
    # Nothing moves once it has ended.
    again = moderator.emit("next_item", {"meeting_id": lm.meeting.id, "item_status": "resolved"})
    assert again["ok"] is False and again["error"]["code"] == "conflict"


# --- One transaction per change ---------------------------------------------------------------


def test_each_live_change_is_one_transaction_and_one_version(
    live_meeting, signed_in, meeting_socket
) -> None:
    """Notes, attendance, action items and marking an item bump the live version inside the
    service's own transaction: one commit per change, and the version moves by exactly one."""
    lm = live_meeting()
    started(lm, signed_in, meeting_socket)
    recorder = meeting_socket(signed_in(lm.recorder.user), lm.meeting.id)
    mid = lm.meeting.id
    changes = [
        ("save_notes", notes_payload(lm, "Agreed.", 0)),
        (
            "set_attendance",
            {"meeting_id": mid, "membership_id": lm.members[0].id, "status": "present"},
        ),
        (
            "add_action_item",
            {"meeting_id": mid, "description": "Write it up", "owner_id": lm.members[1].id},
        ),
        ("mark_item", {"meeting_id": mid, "item_id": lm.items[0].id, "resolved": True}),
    ]
    commits: list[int] = []

    def counted(_connection) -> None:
        commits.append(1)

    sa.event.listen(db.engine, "commit", counted)
    try:
        for event, data in changes:
            version = db.session.get(Meeting, mid, populate_existing=True).live_version
            db.session.rollback()  # the test's own read holds no transaction open
            commits.clear()
            ack = recorder.emit(event, data)
            assert ack["ok"], (event, ack)
            assert len(commits) == 1, event
            assert ack["version"] == version + 1, event
    finally:
        sa.event.remove(db.engine, "commit", counted)


def test_the_minutes_quote_the_amended_wording_that_reached_consensus(live_meeting) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    live.go_to_item(lm.moderator.user, lm.meeting.id, lm.items[1].id)
    first = consensus.open_round(lm.moderator.user, lm.proposal.id)
    voting.cast_vote(lm.members[0].user, first.id, choice="down", reason="No.", request_id="x")
    consensus.close_round(lm.moderator.user, first.id)
    consensus.amend_proposal(
        lm.moderator.user,
        lm.proposal.id,
        title="Share polygraph results",
        text="Share polygraph results with treatment only.\nReview in six months.",
    )
    second = consensus.open_round(lm.moderator.user, lm.proposal.id)
    for n, voter in enumerate(lm.voters):
        voting.cast_vote(voter.user, second.id, choice="up", reason="", request_id=f"u{n}")
    consensus.close_round(lm.moderator.user, second.id)

    decided = db.session.scalars(
        sa.select(MinutesEntry).where(MinutesEntry.decision_id.is_not(None))
    ).one()
    assert decided.text == (
        "Decision recorded: “Share polygraph results” (text version 2), agreed in these words:\n"
        "“Share polygraph results with treatment only.\nReview in six months.”"
    )
