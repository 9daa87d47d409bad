"""Hostile input on every socket event: generated payloads get a clear error and change nothing;
ids from another team answer not_found."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamwork.consensus import services
from teamwork.consensus.models import Proposal, Vote
from teamwork.extensions import db
from teamwork.teams.rules import Role

EVENTS = [
    "sync",
    "cast_vote",
    "open_round",
    "reveal_round",
    "close_round",
    "withdraw_round",
    "table_proposal",
]
KEYS = ["proposal_id", "round_id", "choice", "reason", "request_id", "member_id", "x", ""]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
payloads = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
)


def state_fingerprint(proposal_id: int) -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.get(Proposal, proposal_id).live_version,
        db.session.scalar(sa.select(sa.func.count(Vote.id))),
    )


@pytest.mark.parametrize("event", EVENTS)
def test_generated_payloads_get_a_clear_error_and_change_nothing(
    event, meeting, signed_in, socket_client
) -> None:
    m = meeting()
    services.open_round(m.moderator.user, m.proposal.id)
    # A plain member: a payload that happens to be well-formed still may not moderate.
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(payload=payloads)
    def check(payload) -> None:
        before = state_fingerprint(m.proposal.id)
        ack = sock.emit(event, payload)
        assert isinstance(ack, dict) and "ok" in ack, ack
        if ack["ok"]:
            return  # a well-formed request by chance (e.g. sync of this proposal)
        assert ack["error"]["code"] in {"invalid_input", "not_found", "forbidden", "round_closed"}
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
        assert state_fingerprint(m.proposal.id) == before

    check()
    assert sock.is_connected()


@pytest.mark.parametrize(
    ("event", "key"),
    [
        ("sync", "proposal_id"),
        ("open_round", "proposal_id"),
        ("table_proposal", "proposal_id"),
        ("reveal_round", "round_id"),
        ("close_round", "round_id"),
        ("withdraw_round", "round_id"),
        ("cast_vote", "round_id"),
    ],
)
def test_ids_from_another_team_answer_not_found(
    event, key, meeting, make_team, make_member, signed_in, socket_client
) -> None:
    m = meeting()
    other = make_team("Harbor County")
    their_lead = make_member(other, role=Role.LEAD)
    foreign = services.create_proposal(their_lead.user, other.id, title="Theirs", text="Private")
    foreign_round = services.open_round(their_lead.user, foreign.id)
    # Our moderator has every power on our team, and none on theirs.
    sock = socket_client(signed_in(m.moderator.user), m.proposal.id)
    target = foreign.id if key == "proposal_id" else foreign_round.id
    payload = {key: target}
    if event == "cast_vote":
        payload |= {"choice": "up", "request_id": "foreign"}
    before = state_fingerprint(foreign.id)
    ack = sock.emit(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found", ack
    assert "Private" not in str(ack) and "Theirs" not in str(ack)
    assert state_fingerprint(foreign.id) == before
