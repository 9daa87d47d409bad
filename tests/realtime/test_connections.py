"""Access changes reach open sockets at once: removed, demoted or deactivated users' live
connections are closed, and a reconnect is authorized afresh."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.auth import services as auth_services
from teamwork.extensions import db
from teamwork.realtime.models import SocketConnection
from teamwork.teams import services as teams
from teamwork.teams.rules import Role


def connections() -> list[tuple[int, int | None]]:
    rows = db.session.execute(sa.select(SocketConnection.user_id, SocketConnection.team_id))
    return sorted(tuple(row) for row in rows)


def test_an_accepted_connection_is_remembered_and_forgotten_on_disconnect(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    sock = socket_client(signed_in(m.members[0].user), m.proposal.id)
    assert connections() == [(m.members[0].user_id, m.team.id)]
    sock.disconnect()
    assert connections() == []


def test_removing_a_member_closes_their_sockets_and_refuses_a_reconnect(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    removed, staying = m.members[0], m.members[1]
    removed_browser = signed_in(removed.user)
    removed_sock = socket_client(removed_browser, m.proposal.id)
    staying_sock = socket_client(signed_in(staying.user), m.proposal.id)
    lead = signed_in(m.lead.user)
    response = lead.post(f"/teams/{m.team.id}/members/{removed.id}/remove")
    assert response.status_code == 302
    assert not removed_sock.is_connected()
    assert staying_sock.is_connected()
    assert connections() == [(staying.user_id, m.team.id)]
    again = socket_client(removed_browser, m.proposal.id)
    assert not again.is_connected()


def test_a_role_change_closes_the_members_sockets_so_they_reconnect_with_the_new_role(
    meeting, signed_in, socket_client
) -> None:
    m = meeting()
    member = m.members[0]
    browser = signed_in(member.user)
    sock = socket_client(browser, m.proposal.id)
    teams.change_membership(
        m.lead.user,
        m.team.id,
        member.id,
        role=Role.OBSERVER,
        agency=member.agency,
        discipline=member.discipline,
    )
    # A service call outside any request: the caller closes what its commit revoked.
    from teamwork.realtime.services import close_revoked_connections

    close_revoked_connections()
    assert not sock.is_connected()
    again = socket_client(browser, m.proposal.id)
    assert again.is_connected()  # still a member, now an observer


def test_deactivating_a_user_closes_every_socket_they_have(
    meeting, make_team, make_member, signed_in, socket_client
) -> None:
    m = meeting()
    member = m.members[0]
    sock = socket_client(signed_in(member.user), m.proposal.id)
    auth_services.deactivate_user(member.user)
    from teamwork.realtime.services import close_revoked_connections

    close_revoked_connections()
    assert not sock.is_connected()
    assert connections() == []


def test_a_rolled_back_change_disconnects_no_one(meeting, signed_in, socket_client) -> None:
    m = meeting()
    member = m.members[0]
    sock = socket_client(signed_in(member.user), m.proposal.id)
    member.role = Role.OBSERVER
    db.session.flush()
    db.session.rollback()
    from teamwork.realtime.services import close_revoked_connections

    close_revoked_connections()
    assert sock.is_connected()


def test_removing_a_member_also_closes_their_live_meeting_connection(
    live_meeting, signed_in, meeting_socket
) -> None:
    m = live_meeting()
    removed = m.members[0]
    browser = signed_in(removed.user)
    sock = meeting_socket(browser, m.meeting.id)
    assert sock.is_connected()
    assert connections() == [(removed.user_id, m.team.id)]
    signed_in(m.lead.user).post(f"/teams/{m.team.id}/members/{removed.id}/remove")
    assert not sock.is_connected()
    assert not meeting_socket(browser, m.meeting.id).is_connected()
