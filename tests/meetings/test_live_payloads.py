"""Hostile input on every "/meeting" socket event: malformed payloads get a clear error and
change nothing."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamwork.extensions import db
from teamwork.meetings.live.sockets import HANDLERS

ERROR_CODES = {"invalid_input", "not_found", "forbidden", "conflict"}


def fingerprint() -> str:
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            digest.update(repr(rows.all()).encode())
    return digest.hexdigest()


@pytest.fixture
def running(live_meeting, signed_in, meeting_socket):
    from teamwork.moderation import services as moderation

    lm = live_meeting()
    # A lead standing in for the moderator may do everything, so only a payload's shape can
    # be refused.
    moderation.record_stand_in(lm.lead.user, lm.team.id, stand_in_membership_id=lm.lead.id)
    lead = meeting_socket(signed_in(lm.lead.user), lm.meeting.id)
    assert lead.emit("start_meeting", {"meeting_id": lm.meeting.id})["ok"]
    return lm, lead


def malformed(lm) -> list[tuple[str, object]]:
    mid, item = lm.meeting.id, lm.items[1].id
    return [
        ("next_item", "not an object"),
        ("next_item", [mid]),
        ("next_item", {}),
        ("next_item", {"meeting_id": str(mid)}),
        ("next_item", {"meeting_id": True}),
        ("next_item", {"meeting_id": 2**40}),
        ("next_item", {"meeting_id": mid, "admin": True}),
        ("go_to_item", {"meeting_id": mid}),
        ("go_to_item", {"meeting_id": mid, "item_id": -1}),
        ("go_to_item", {"meeting_id": mid, "item_id": 1.5}),
        ("go_to_item", {"meeting_id": mid, "item_id": 99999}),
        ("call_speaker", {"meeting_id": mid, "request_id": "1"}),
        ("call_speaker", {"meeting_id": mid, "request_id": 99999}),
        ("mark_item", {"meeting_id": mid, "item_id": item, "resolved": "yes"}),
        ("mark_item", {"meeting_id": mid, "item_id": item}),
        ("set_attendance", {"meeting_id": mid, "membership_id": lm.lead.id, "status": "late"}),
        ("set_attendance", {"meeting_id": mid, "membership_id": lm.lead.id, "status": 1}),
        ("set_attendance", {"meeting_id": mid, "membership_id": 99999, "status": "present"}),
        (
            "set_attendance",
            {
                "meeting_id": mid,
                "membership_id": lm.lead.id,
                "status": "present",
                "designee_name": "x" * 161,
            },
        ),
        ("save_notes", {"meeting_id": mid, "item_id": item, "notes": "n"}),
        ("save_notes", {"meeting_id": mid, "item_id": item, "notes": 5, "base_revision": 0}),
        ("save_notes", {"meeting_id": mid, "item_id": item, "notes": "n", "base_revision": -1}),
        ("save_notes", {"meeting_id": mid, "item_id": item, "notes": "n", "base_revision": "0"}),
        (
            "save_notes",
            {"meeting_id": mid, "item_id": item, "notes": "x" * 50_001, "base_revision": 0},
        ),
        ("add_action_item", {"meeting_id": mid, "description": "Do it", "owner_id": "3"}),
        (
            "add_action_item",
            {"meeting_id": mid, "description": "Do", "owner_id": lm.lead.id, "due_on": "soon"},
        ),
        (
            "add_action_item",
            {"meeting_id": mid, "description": "x" * 501, "owner_id": lm.lead.id},
        ),
        ("add_action_item", {"meeting_id": mid, "description": "", "owner_id": lm.lead.id}),
        ("sync", {"meeting_id": mid, "extra": 1}),
    ]


def test_malformed_payloads_get_a_clear_error_and_change_nothing(running) -> None:
    lm, lead = running

    for event, payload in malformed(lm):
        before = fingerprint()
        ack = lead.emit(event, payload)
        assert ack["ok"] is False, (event, payload)
        assert ack["error"]["code"] in {"invalid_input", "not_found"}, (event, payload, ack)
        assert ack["error"]["message"], (event, payload)
        assert fingerprint() == before, (event, payload)
    assert lead.is_connected()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = ["meeting_id", "item_id", "request_id", "membership_id", "status", "notes", "x"]


@pytest.mark.parametrize("event", sorted(set(HANDLERS) - {"sync"}))
def test_generated_payloads_from_a_plain_member_change_nothing(
    event, running, signed_in, meeting_socket
) -> None:
    lm, _lead = running
    sock = meeting_socket(signed_in(lm.observer.user), lm.meeting.id)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(payload=json_values | st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4))
    def check(payload) -> None:
        before = fingerprint()
        ack = sock.emit(event, payload)
        assert isinstance(ack, dict) and ack["ok"] is False, ack
        assert ack["error"]["code"] in ERROR_CODES
        assert fingerprint() == before

    check()
    assert sock.is_connected()
