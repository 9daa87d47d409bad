"""Live connections end with the sign-in they were made with: sign-out, a password change, "sign
out my other devices", expiry, and a revocation whose disconnect message was lost (the sweep)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from teamwork.auth import services as auth_services
from teamwork.auth.models import AuthSession
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.realtime import services as realtime
from teamwork.realtime.models import SocketConnection
from tests.conftest import PASSWORD


def session_ids() -> list[int | None]:
    return sorted(db.session.scalars(sa.select(SocketConnection.auth_session_id)))


def names(sock: Any) -> list[str]:
    """What reached the socket, connected or not (the test client refuses to read otherwise)."""
    return [packet["name"] for packet in sock.inner.queue]


def open_sessions(user_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(AuthSession.id)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .order_by(AuthSession.id)
        )
    )


def test_a_connection_is_bound_to_the_session_of_its_handshake(
    live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    lm = live_meeting()
    user = lm.members[0].user
    first, second = signed_in(user), signed_in(user)
    socket_client(first, lm.proposal.id)
    meeting_socket(second, lm.meeting.id)
    assert session_ids() == open_sessions(user.id)
    assert len(set(session_ids())) == 2


def test_signing_out_closes_the_browsers_sockets_and_no_broadcast_reaches_them(
    live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    lm = live_meeting()
    browser = signed_in(lm.members[0].user)
    sock = socket_client(browser, lm.proposal.id)
    live = meeting_socket(browser, lm.meeting.id)
    moderator = signed_in(lm.moderator.user)
    moderator_sock = socket_client(moderator, lm.proposal.id)
    moderator_live = meeting_socket(moderator, lm.meeting.id)
    sock.received(), live.received()

    assert browser.post("/logout").status_code == 302

    assert not sock.is_connected() and not live.is_connected()
    assert len(session_ids()) == 2  # the moderator's two
    assert moderator_sock.emit("open_round", {"proposal_id": lm.proposal.id})["ok"]
    assert moderator_live.emit("start_meeting", {"meeting_id": lm.meeting.id})["ok"]
    assert "round_opened" in [item["name"] for item in moderator_sock.received()]
    assert "meeting_changed" in [item["name"] for item in moderator_live.received()]
    assert names(sock) == [] and names(live) == []
    # The cookie no longer opens anything.
    assert not socket_client(browser, lm.proposal.id).is_connected()


def change_password(browser: Any) -> Any:
    return browser.post(
        "/account",
        data={
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "a much better passphrase",
            "password-confirm": "a much better passphrase",
        },
    )


def sign_out_elsewhere(browser: Any) -> Any:
    return browser.post("/account/sign-out-elsewhere")


@pytest.mark.parametrize("action", [change_password, sign_out_elsewhere])
def test_ending_the_other_sessions_closes_their_sockets_and_keeps_this_devices(
    action, live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    lm = live_meeting()
    user = lm.members[0].user
    device_a, device_b = signed_in(user), signed_in(user)
    a_sock, a_live = (
        socket_client(device_a, lm.proposal.id),
        meeting_socket(device_a, lm.meeting.id),
    )
    b_sock, b_live = (
        socket_client(device_b, lm.proposal.id),
        meeting_socket(device_b, lm.meeting.id),
    )

    assert action(device_a).status_code == 302

    assert not b_sock.is_connected() and not b_live.is_connected()
    assert a_sock.is_connected() and a_live.is_connected()
    assert session_ids() == open_sessions(user.id) * 2
    moderator = meeting_socket(signed_in(lm.moderator.user), lm.meeting.id)
    a_live.received()
    assert moderator.emit("start_meeting", {"meeting_id": lm.meeting.id})["ok"]
    assert "meeting_changed" in [item["name"] for item in a_live.received()]
    assert "meeting_changed" not in names(b_live)


@pytest.mark.parametrize(
    "expire",
    [
        pytest.param({"last_seen_at": utcnow() - timedelta(hours=5)}, id="idle"),
        pytest.param({"expires_at": utcnow() - timedelta(seconds=1)}, id="absolute"),
    ],
)
def test_the_sweep_drops_sockets_of_expired_sessions_and_keeps_valid_ones(
    expire, live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    lm = live_meeting()
    expired, valid = lm.members[0].user, lm.members[1].user
    expired_browser = signed_in(expired)
    gone = [
        socket_client(expired_browser, lm.proposal.id),
        meeting_socket(expired_browser, lm.meeting.id),
    ]
    valid_browser = signed_in(valid)
    kept = [
        socket_client(valid_browser, lm.proposal.id),
        meeting_socket(valid_browser, lm.meeting.id),
    ]
    db.session.execute(
        sa.update(AuthSession).where(AuthSession.user_id == expired.id).values(**expire)
    )
    db.session.commit()

    assert realtime.sweep_ended_sessions() == 2

    assert not any(sock.is_connected() for sock in gone)
    assert all(sock.is_connected() for sock in kept)
    assert session_ids() == open_sessions(valid.id) * 2
    assert realtime.sweep_ended_sessions() == 0


def test_the_sweep_closes_sockets_whose_session_was_revoked_without_a_message(
    live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    # As when the disconnect was sent while Redis was down: the row is revoked, the socket open.
    lm = live_meeting()
    user = lm.members[0].user
    browser = signed_in(user)
    sock, live = socket_client(browser, lm.proposal.id), meeting_socket(browser, lm.meeting.id)
    db.session.execute(
        sa.update(AuthSession).where(AuthSession.user_id == user.id).values(revoked_at=utcnow())
    )
    db.session.commit()
    assert sock.is_connected() and live.is_connected()

    assert realtime.sweep_ended_sessions() == 2

    assert not sock.is_connected() and not live.is_connected()
    assert session_ids() == []


def test_a_rolled_back_revocation_disconnects_no_one(
    live_meeting, signed_in, socket_client, meeting_socket
) -> None:
    lm = live_meeting()
    user = lm.members[0].user
    browser = signed_in(user)
    sock, live = socket_client(browser, lm.proposal.id), meeting_socket(browser, lm.meeting.id)
    assert auth_services._revoke(AuthSession.user_id == user.id) == 1
    db.session.rollback()
    db.session.commit()  # a later commit carries nothing of the rolled-back revocation
    realtime.close_revoked_connections()
    assert realtime.sweep_ended_sessions() == 0
    assert sock.is_connected() and live.is_connected()
    assert len(session_ids()) == 2


def test_the_sweep_starts_once_per_app_with_its_first_connection_and_not_in_tests(
    app, meeting, signed_in, socket_client, monkeypatch
) -> None:
    started: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        realtime.socketio, "start_background_task", lambda *args: started.append(args)
    )
    m = meeting()
    socket_client(signed_in(m.members[0].user), m.proposal.id)
    assert started == []  # testing: tests sweep by hand
    monkeypatch.setattr(app, "testing", False)
    socket_client(signed_in(m.members[1].user), m.proposal.id)
    socket_client(signed_in(m.members[2].user), m.proposal.id)
    assert [args[1:] for args in started] == [(app, 30)]
