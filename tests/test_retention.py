"""`flask purge`: rows past their retention period go, everything still in use stays, and
`--dry-run` only counts."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from teamwork import retention
from teamwork.audit.models import AuditEvent
from teamwork.auth.models import AuthSession
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.realtime.models import SocketConnection
from teamwork.teams.models import Invitation
from teamwork.teams.rules import Discipline, Role

DAY = timedelta(days=1)


def session(user, **fields) -> AuthSession:
    now = utcnow()
    values = {"created_at": now, "last_seen_at": now, "expires_at": now + DAY, **fields}
    row = AuthSession(user_id=user.id, token_hash=secrets.token_hex(32), **values)
    db.session.add(row)
    return row


def invitation(team, **fields) -> Invitation:
    values = {"email": f"{secrets.token_hex(4)}@example.org", "expires_at": utcnow() + DAY}
    row = Invitation(
        team_id=team.id,
        role=Role.MEMBER,
        agency="Probation",
        discipline=Discipline.OTHER,
        token_hash=secrets.token_hex(32),
        **{**values, **fields},
    )
    db.session.add(row)
    return row


def world(make_user, make_team) -> dict[str, list[int]]:
    """Rows that must go ("old") and rows that must stay ("kept"), by table."""
    user, team = make_user(), make_team()
    now, long_ago = utcnow(), utcnow() - 100 * DAY
    old_sessions = [
        session(user, revoked_at=now - 31 * DAY),
        session(user, created_at=long_ago, expires_at=now - 31 * DAY),
        session(user, last_seen_at=now - 32 * DAY),  # idle, not remembered
    ]
    kept_sessions = [
        session(user),  # in use
        session(user, revoked_at=now - 2 * DAY),  # ended, but recently
        session(user, remember=True, last_seen_at=now - 40 * DAY, expires_at=now + DAY),
    ]
    old_invitations = [
        invitation(team, accepted_at=now - 91 * DAY),
        invitation(team, expires_at=now - 91 * DAY),
        invitation(team, revoked_at=now - 91 * DAY),
    ]
    kept_invitations = [invitation(team), invitation(team, expires_at=now - 3 * DAY)]
    db.session.add_all(
        [
            SocketConnection(sid="stale", user_id=user.id, connected_at=now - 3 * DAY),
            SocketConnection(sid="live", user_id=user.id, connected_at=now),
        ]
    )
    db.session.commit()
    return {
        "old_sessions": [s.id for s in old_sessions],
        "kept_sessions": [s.id for s in kept_sessions],
        "old_invitations": [i.id for i in old_invitations],
        "kept_invitations": [i.id for i in kept_invitations],
    }


def ids(model) -> set:
    key = sa.inspect(model).primary_key[0]
    return set(db.session.scalars(sa.select(key)))


def test_purge_removes_only_what_is_past_its_period(app: Flask, make_user, make_team) -> None:
    rows = world(make_user, make_team)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Removed 3 ended sign-in sessions." in result.output
    assert "Removed 3 used or expired invitations." in result.output
    assert "Removed 1 stale connection rows." in result.output
    assert ids(AuthSession) == set(rows["kept_sessions"])
    assert ids(Invitation) == set(rows["kept_invitations"])
    assert ids(SocketConnection) == {"live"}
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="retention.purged"))
    assert event.details["ended sign-in sessions"] == 3 and event.channel == "cli"


def test_a_dry_run_counts_and_removes_nothing(app: Flask, make_user, make_team) -> None:
    world(make_user, make_team)
    before = (ids(AuthSession), ids(Invitation), ids(SocketConnection))
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would remove 3 ended sign-in sessions." in result.output
    assert "Would remove 1 stale connection rows." in result.output
    assert (ids(AuthSession), ids(Invitation), ids(SocketConnection)) == before


def test_the_periods_are_configurable(app: Flask, make_user, make_team) -> None:
    world(make_user, make_team)
    app.config["TEAMWORK_PURGE_SESSIONS_AFTER"] = timedelta(days=1)
    app.config["TEAMWORK_PURGE_INVITATIONS_AFTER"] = timedelta(days=365)
    counts = retention.purge(utcnow(), app.config, dry_run=True)
    # Also the one signed out two days ago, and the remembered one idle for 40 days (its idle
    # limit, TEAMWORK_REMEMBER, is 30).
    assert counts["ended sign-in sessions"] == 5
    assert counts["used or expired invitations"] == 0


def test_a_capability_adds_what_it_purges_with_one_registration(
    app: Flask, make_user, make_team, monkeypatch
) -> None:
    monkeypatch.setattr(retention, "_REGISTRY", dict(retention._REGISTRY))
    team = make_team()
    invitation(team, email="old@example.org")
    db.session.commit()
    retention.register(
        "test rows", Invitation, lambda _now, _config: Invitation.email.like("old@%")
    )
    counts = retention.purge(utcnow(), app.config)
    db.session.commit()
    assert counts["test rows"] == 1 and ids(Invitation) == set()


def test_used_or_expired_reset_and_email_links_are_purged(app: Flask, make_user) -> None:
    from teamwork.auth.models import EmailChange, PasswordReset

    user, now = make_user(), utcnow()

    def link(model, **fields):
        values = {"expires_at": now + DAY, "created_at": now - 20 * DAY, **fields}
        row = model(user_id=user.id, token_hash=secrets.token_hex(32), **values)
        db.session.add(row)
        return row

    old = [
        link(PasswordReset, used_at=now - 8 * DAY),
        link(PasswordReset, expires_at=now - 8 * DAY),
        link(EmailChange, new_email="a@example.org", confirmed_at=now - 8 * DAY),
    ]
    kept = [
        link(PasswordReset),
        link(PasswordReset, used_at=now - DAY),
        link(EmailChange, new_email="b@example.org"),
    ]
    db.session.commit()
    kept_ids = {(type(r), r.id) for r in kept}
    assert {(type(r), r.id) for r in old}.isdisjoint(kept_ids)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Removed 2 used or expired password reset links." in result.output
    assert "Removed 1 used or expired email change links." in result.output
    assert {(PasswordReset, i) for i in ids(PasswordReset)} | {
        (EmailChange, i) for i in ids(EmailChange)
    } == kept_ids
