"""The live consensus protocol over Socket.IO (docs/realtime.md), end to end in-process."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from teamwork.consensus.models import Decision, Proposal, Round, Vote, VoteEvent
from teamwork.extensions import db
from teamwork.teams.models import Membership


def votes_stored() -> int:
    return db.session.scalar(sa.select(sa.func.count(Vote.id)))


def open_round(sock, proposal_id: int) -> int:
    ack = sock.emit("open_round", {"proposal_id": proposal_id})
    assert ack["ok"], ack
    return ack["round_id"]


def test_connecting_member_receives_a_snapshot(meeting, signed_in, socket_client) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    assert sock.is_connected()
    [snapshot] = sock.events("snapshot")
    assert snapshot["state"]["proposal"]["title"] == "Share polygraph results"
    assert snapshot["state"]["round"] is None
    assert snapshot["you"] == {
        "membership_id": m.members[0].id,
        "can_vote": True,
        "can_moderate": False,
        "my_vote": None,
    }
    assert {member["id"] for member in snapshot["members"]} == {v.id for v in m.voters}


def test_anonymous_connection_is_refused(app, meeting, socket_client) -> None:
    m = meeting()
    sock = socket_client(app.test_client(), m.proposal.id)
    assert not sock.is_connected()


def test_non_member_cannot_connect_to_a_foreign_proposal(
    meeting, make_user, signed_in, socket_client
) -> None:
    m = meeting()
    sock = socket_client(signed_in(make_user()), m.proposal.id)
    assert not sock.is_connected()


@pytest.mark.parametrize("query", ["abc", "", "99999", "1; drop table"])
def test_connection_with_a_bad_proposal_parameter_is_refused(
    meeting, signed_in, socket_client, query
) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.members[0].user), query)
    assert not sock.is_connected()


def test_moderator_opens_a_round_and_every_screen_hears_it(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    member.received()
    round_id = open_round(moderator, m.proposal.id)
    [event] = member.events("round_opened")
    assert event["state"]["round"]["id"] == round_id
    assert event["state"]["round"]["status"] == "open"
    assert event["state"]["round"]["eligible"] == len(m.voters)
    assert db.session.get(Proposal, m.proposal.id).status.value == "voting"


def test_a_plain_member_cannot_open_a_round(meeting, signed_in, socket_client) -> None:
    m = meeting()
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    ack = member.emit("open_round", {"proposal_id": m.proposal.id})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count(Round.id))) == 0


def test_vote_is_acknowledged_after_commit_and_broadcast(meeting, signed_in, socket_client) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    moderator.received()
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "r-1"})
    assert ack["ok"] is True
    assert ack["vote"] == {
        "round_id": round_id,
        "member_id": m.members[0].id,
        "choice": "up",
        "reason": "",
    }
    assert votes_stored() == 1
    [event] = moderator.events("vote_cast")
    assert event["version"] == ack["version"]
    assert event["round"]["voted"] == 1
    assert event["round"]["tally"] == {"up": 1, "sideways": 0, "down": 0}
    # Only who this vote adds: clients add it to the voters they know (docs/realtime.md).
    assert event["round"]["new_voters"] == [m.members[0].id]
    assert "voters" not in event["round"]


def test_vote_cast_carries_the_same_round_state_as_a_snapshot_taken_then(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    ballots = [("up", ""), ("down", "Needs a victim advocate's review"), ("sideways", "Unsure")]
    for i, (choice, reason) in enumerate(ballots):
        member = socket_client(signed_in(m.members[i].user), m.proposal.id)
        member.emit(
            "cast_vote",
            {"round_id": round_id, "choice": choice, "reason": reason, "request_id": f"s{i}"},
        )
    # The last of them changes their mind: counted once, named again.
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "s9"})
    event = moderator.events("vote_cast")[-1]
    assert event["version"] == ack["version"]
    snapshot = moderator.emit("sync", {"proposal_id": m.proposal.id})
    assert snapshot["version"] == event["version"]
    whole = dict(snapshot["state"]["round"])
    assert whole.pop("voters") == [m.members[0].id, m.members[1].id, m.members[2].id]
    # Who may vote comes with snapshots only; `eligible` (its size) comes with every vote.
    assert len(whole.pop("eligible_ids")) == whole["eligible"]
    update = dict(event["round"])
    assert update.pop("new_voters") == [m.members[2].id]
    assert update == whole
    assert update["voted"] == 3
    assert update["tally"] == {"up": 2, "sideways": 0, "down": 1}
    assert [c["reason"] for c in update["concerns"]] == ["Needs a victim advocate's review"]


def test_retried_vote_returns_the_first_result_and_counts_once(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    browser = signed_in(m.members[0].user)
    phone, laptop = socket_client(browser, m.proposal.id), socket_client(browser, m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    payload = {"round_id": round_id, "choice": "down", "reason": "Too fast", "request_id": "same"}
    first = phone.emit("cast_vote", payload)
    retry = laptop.emit("cast_vote", {**payload, "choice": "up", "reason": ""})
    assert first["ok"] and retry["ok"]
    assert retry["vote"] == first["vote"]
    assert retry["replayed"] is True
    assert votes_stored() == 1
    assert db.session.scalar(sa.select(sa.func.count(VoteEvent.id))) == 1


def test_changing_a_vote_keeps_every_change_and_counts_once(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    for n, choice in enumerate(["down", "sideways", "up"]):
        ack = member.emit(
            "cast_vote",
            {"round_id": round_id, "choice": choice, "reason": "because", "request_id": f"c{n}"},
        )
        assert ack["ok"], ack
    vote = db.session.scalar(sa.select(Vote))
    assert votes_stored() == 1 and vote.choice.value == "up"
    history = db.session.scalars(sa.select(VoteEvent.choice).order_by(VoteEvent.id)).all()
    assert [c.value for c in history] == ["down", "sideways", "up"]


def test_observer_never_votes(meeting, signed_in, socket_client) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    observer = socket_client(signed_in(m.observer.user), m.proposal.id)
    [snapshot] = observer.events("snapshot")
    assert snapshot["you"]["can_vote"] is False
    round_id = open_round(moderator, m.proposal.id)
    ack = observer.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "o"})
    assert ack["error"]["code"] == "forbidden"
    assert votes_stored() == 0


def test_down_without_a_reason_is_refused_when_the_rule_requires_one(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "down", "request_id": "d"})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"
    assert ack["error"]["field"] == "reason"
    assert votes_stored() == 0


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        ["round_id", 1],
        None,
        {"round_id": "1", "choice": "up", "request_id": "x"},
        {"round_id": True, "choice": "up", "request_id": "x"},
        {"round_id": -1, "choice": "up", "request_id": "x"},
        {"round_id": 2**40, "choice": "up", "request_id": "x"},
        {"round_id": 1, "choice": "maybe", "request_id": "x"},
        {"round_id": 1, "choice": 1, "request_id": "x"},
        {"round_id": 1, "choice": "up", "request_id": ""},
        {"round_id": 1, "choice": "up", "request_id": "x" * 65},
        {"round_id": 1, "choice": "up", "request_id": "bad id with spaces"},
        {"round_id": 1, "choice": "up"},
        {"round_id": 1, "choice": "down", "reason": "x" * 2001, "request_id": "x"},
        {"round_id": 1, "choice": "up", "request_id": "x", "admin": True},
        {"round_id": 1, "choice": "up", "request_id": "x", "member_id": "3"},
    ],
)
def test_malformed_votes_get_a_clear_error_and_change_nothing(
    meeting, signed_in, socket_client, payload
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    open_round(moderator, m.proposal.id)
    version = db.session.get(Proposal, m.proposal.id).live_version
    ack = member.emit("cast_vote", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] in {"invalid_input", "not_found"}
    assert ack["error"]["message"]
    assert votes_stored() == 0
    db.session.expire_all()
    assert db.session.get(Proposal, m.proposal.id).live_version == version


def test_no_vote_is_accepted_after_the_round_closes(meeting, signed_in, socket_client) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    assert moderator.emit("close_round", {"round_id": round_id})["ok"]
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "late"})
    assert ack["error"]["code"] == "round_closed"
    assert votes_stored() == 0


def test_down_blocks_then_amendment_and_round_two_reach_consensus(
    app, meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator_browser = signed_in(m.moderator.user)
    moderator = socket_client(moderator_browser, m.proposal.id)
    socks = {v.id: socket_client(signed_in(v.user), m.proposal.id) for v in m.voters}

    def everyone_votes(round_id: int, choices: dict[int, tuple[str, str]], tag: str) -> None:
        for member_id, (choice, reason) in choices.items():
            ack = socks[member_id].emit(
                "cast_vote",
                {
                    "round_id": round_id,
                    "choice": choice,
                    "reason": reason,
                    "request_id": f"{tag}{member_id}",
                },
            )
            assert ack["ok"], ack

    first = open_round(moderator, m.proposal.id)
    choices = {v.id: ("up", "") for v in m.voters}
    choices[m.members[1].id] = ("down", "Five days is too short for rural examiners.")
    everyone_votes(first, choices, "a")
    moderator.received()
    assert moderator.emit("close_round", {"round_id": first})["ok"]
    [closed] = moderator.events("round_closed")
    assert closed["state"]["round"]["outcome"] == "no_consensus"
    assert any("Blocked" in reason for reason in closed["state"]["round"]["reasons"])
    assert closed["state"]["round"]["concerns"][0]["reason"].startswith("Five days")

    response = moderator_browser.post(
        f"/teams/{m.team.id}/proposals/{m.proposal.id}/amend",
        data={
            "title": "Share polygraph results",
            "text": "Within ten business days.",
            "note": "Longer for rural examiners",
        },
    )
    assert response.status_code == 302
    second = open_round(moderator, m.proposal.id)
    [opened] = moderator.events("round_opened")
    assert opened["state"]["proposal"]["text"] == "Within ten business days."
    assert "+Within ten business days." in opened["state"]["proposal"]["changed_since_last_round"]
    everyone_votes(second, {v.id: ("up", "") for v in m.voters}, "b")
    assert moderator.emit("close_round", {"round_id": second})["ok"]

    decision = db.session.scalar(sa.select(Decision))
    assert decision is not None and decision.text == "Within ten business days."
    assert decision.round.number == 2
    log = moderator_browser.get(f"/teams/{m.team.id}/decisions").get_data(as_text=True)
    assert "Within ten business days." in log


def test_simultaneous_mode_hides_the_tally_until_revealed(
    meeting, signed_in, socket_client
) -> None:
    m = meeting(rule={"reveal_mode": "simultaneous"})
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "s1"})
    [event] = moderator.events("vote_cast")
    assert event["round"]["tally_visible"] is False
    assert event["round"]["tally"] is None
    assert event["round"]["voted"] == 1
    assert moderator.emit("reveal_round", {"round_id": round_id})["ok"]
    [revealed] = member.events("round_revealed")
    assert revealed["state"]["round"]["tally"] == {"up": 1, "sideways": 0, "down": 0}


def test_anonymous_rounds_never_name_voters(meeting, signed_in, socket_client) -> None:
    m = meeting(rule={"anonymous": True})
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    member.emit(
        "cast_vote", {"round_id": round_id, "choice": "down", "reason": "No", "request_id": "n"}
    )
    [event] = moderator.events("vote_cast")
    assert event["round"]["new_voters"] is None
    assert event["round"]["concerns"] == [{"choice": "down", "reason": "No", "member": None}]


def test_moderator_enters_a_raised_hand_for_someone_without_a_device(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    ack = moderator.emit(
        "cast_vote",
        {
            "round_id": round_id,
            "choice": "up",
            "request_id": "hand-1",
            "member_id": m.members[2].id,
        },
    )
    assert ack["ok"] and ack["vote"]["member_id"] == m.members[2].id
    vote = db.session.scalar(sa.select(Vote))
    assert vote.cast_via.value == "moderator" and vote.cast_by_id == m.moderator.user.id


def test_a_member_cannot_enter_votes_for_others(meeting, signed_in, socket_client) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    ack = member.emit(
        "cast_vote",
        {"round_id": round_id, "choice": "up", "request_id": "h", "member_id": m.members[1].id},
    )
    assert ack["error"]["code"] == "forbidden"
    assert votes_stored() == 0


def test_a_socket_whose_sign_in_ended_is_refused_at_its_next_event(
    meeting, signed_in, socket_client
) -> None:
    # Signing out closes the socket (tests/realtime/test_sign_in_ends.py); until the sweep
    # closes one whose session ended otherwise (expiry, a lost disconnect), its events are
    # refused.
    from teamwork.auth.models import AuthSession
    from teamwork.database import utcnow

    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    browser = signed_in(m.members[0].user)
    member = socket_client(browser, m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    db.session.execute(
        sa.update(AuthSession)
        .where(AuthSession.user_id == m.members[0].user_id)
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "z"})
    assert ack["error"]["code"] == "unauthenticated"
    assert votes_stored() == 0


def test_a_removed_member_is_refused_at_their_next_event(meeting, signed_in, socket_client) -> None:
    m = meeting()
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    round_id = open_round(moderator, m.proposal.id)
    membership = db.session.get(Membership, m.members[0].id)
    from teamwork.database import utcnow

    membership.removed_at = utcnow()
    db.session.commit()
    ack = member.emit("cast_vote", {"round_id": round_id, "choice": "up", "request_id": "r"})
    assert ack["error"]["code"] == "not_found"
    assert votes_stored() == 0


def test_sync_answers_a_fresh_snapshot_and_refuses_foreign_ids(
    meeting, make_team, make_member, signed_in, socket_client
) -> None:
    m = meeting()
    other_team = make_team("Harbor County")
    outsider = make_member(other_team)
    from teamwork.consensus import services

    foreign = services.create_proposal(outsider.user, other_team.id, title="Theirs", text="Private")
    member = socket_client(signed_in(m.members[0].user), m.proposal.id)
    ack = member.emit("sync", {"proposal_id": m.proposal.id})
    assert ack["ok"] and ack["state"]["proposal"]["id"] == m.proposal.id
    refused = member.emit("sync", {"proposal_id": foreign.id})
    assert refused == {
        "ok": False,
        "error": {"code": "not_found", "message": refused["error"]["message"]},
    }
    assert "Private" not in str(refused)


def test_socket_handshake_from_a_foreign_origin_is_refused(client) -> None:
    foreign = client.get(
        "/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 400
    same = client.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://localhost"})
    assert same.status_code == 200
