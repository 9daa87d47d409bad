"""Screens that heal themselves: the version beacon tells each live room its committed version
(so a screen that missed a broadcast notices), and connection rows of dead workers go away.

The fault tests (tests/scale/test_healing.py) show the same across real workers, Redis down
and a worker killed; these check each piece in one process."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from teamwork.consensus import services as consensus
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.meetings.live import services as live
from teamwork.meetings.models import ItemStatus
from teamwork.realtime import services as realtime
from teamwork.realtime.models import SocketConnection


def rows() -> dict[str, SocketConnection]:
    db.session.expire_all()
    return {row.sid: row for row in db.session.scalars(sa.select(SocketConnection))}


def test_the_beacon_tells_each_room_its_committed_version_on_both_namespaces(
    live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    lm = live_meeting()
    browser = signed_in(lm.members[0].user)
    sock = socket_client(browser, lm.proposal.id)
    screen = meeting_socket(browser, lm.meeting.id)
    sock.received(), screen.received()

    assert realtime.announce_versions() == 2

    proposal_version = consensus.live_versions([lm.proposal.id])[lm.proposal.id]
    assert sock.events("version_announced") == [
        {"proposal_id": lm.proposal.id, "version": proposal_version}
    ]
    meeting_version = db.session.get(type(lm.meeting), lm.meeting.id).live_version
    assert screen.events("version_announced") == [
        {"meeting_id": lm.meeting.id, "version": meeting_version}
    ]


def test_a_screen_that_missed_a_closed_round_is_told_a_newer_version_than_it_shows(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    moderator = socket_client(signed_in(m.moderator.user), m.proposal.id)
    opened = moderator.emit("open_round", {"proposal_id": m.proposal.id})
    assert opened["ok"]
    [shown] = [p["version"] for p in sock.events("round_opened")]
    # The round closes and its broadcast is lost (the message queue was down).
    consensus.close_round(m.moderator.user, opened["round_id"])
    db.session.commit()

    realtime.announce_versions()

    [announced] = sock.events("version_announced")
    assert announced["version"] > shown
    snapshot = sock.emit("sync", {"proposal_id": m.proposal.id})
    assert snapshot["version"] == announced["version"]
    assert snapshot["state"]["round"]["status"] == "closed"


def test_the_beacon_announces_only_the_rooms_this_worker_has_clients_in(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    consensus.create_proposal(m.lead.user, m.team.id, title="Nobody follows", text="Quiet.")
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    sock.received()

    assert realtime.announce_versions() == 1
    assert [p["proposal_id"] for p in sock.events("version_announced")] == [m.proposal.id]
    sock.disconnect()
    assert realtime.announce_versions() == 0


def test_the_heartbeat_marks_this_workers_rows_seen_and_deletes_rows_nobody_refreshed(
    meeting, signed_in, socket_client, app
) -> None:
    m = meeting()
    socket_client(signed_in(m.members[0].user), m.proposal.id)
    [mine] = rows()
    long_ago = utcnow() - timedelta(hours=1)
    db.session.execute(sa.update(SocketConnection).values(last_seen_at=long_ago))
    # A dead worker's connection: nobody holds it any more.
    db.session.add(
        SocketConnection(
            sid="dead-worker-sid",
            user_id=m.members[1].user_id,
            worker="gone:5001",
            connected_at=long_ago,
            last_seen_at=long_ago,
        )
    )
    db.session.commit()

    marked, deleted = realtime.refresh_connections()

    assert (marked, deleted) == (1, 1)
    assert list(rows()) == [mine]
    expiry = timedelta(seconds=app.config["TEAMWORK_SOCKET_EXPIRY_SECONDS"])
    assert rows()[mine].last_seen_at > utcnow() - expiry


def test_a_connection_whose_row_vanished_is_closed_at_the_next_heartbeat_that_finds_it_so(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    db.session.execute(sa.delete(SocketConnection))
    db.session.commit()

    realtime.refresh_connections()  # perhaps a connection being accepted: not yet
    assert sock.is_connected()
    realtime.refresh_connections()

    assert not sock.is_connected()


def test_a_worker_started_again_deletes_the_rows_its_dead_predecessor_left(
    app, meeting, signed_in, socket_client
) -> None:
    m = meeting()
    app.config["TEAMWORK_WORKER_NAME"] = "app1:5000"
    socket_client(signed_in(m.members[0].user), m.proposal.id)
    [current] = rows()
    before_start = realtime._PROCESS_STARTED - timedelta(minutes=1)
    for sid, worker in [("predecessor", "app1:5000"), ("other-worker", "app2:5000")]:
        db.session.add(
            SocketConnection(
                sid=sid,
                user_id=m.members[1].user_id,
                worker=worker,
                connected_at=before_start,
                last_seen_at=utcnow(),
            )
        )
    db.session.commit()

    assert realtime.forget_dead_predecessor() == 1

    assert sorted(rows()) == sorted([current, "other-worker"])
    assert rows()[current].worker == "app1:5000"


def test_the_meeting_beacon_follows_the_agenda(live_meeting, signed_in, meeting_socket) -> None:
    lm = live_meeting()
    screen = meeting_socket(signed_in(lm.members[0].user), lm.meeting.id)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    db.session.commit()
    live.next_item(lm.moderator.user, lm.meeting.id, ItemStatus.RESOLVED)
    db.session.commit()
    screen.received()

    realtime.announce_versions()

    [announced] = screen.events("version_announced")
    snapshot = screen.emit("sync", {"meeting_id": lm.meeting.id})
    assert announced["version"] == snapshot["version"]
    assert snapshot["meeting"]["current_item_id"] == lm.items[1].id
