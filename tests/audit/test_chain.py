"""The audit trail's hash chains: `flask audit-verify` finds an intact trail intact, and names
the first event changed or missing when someone edits the table behind the app's back; two
transactions appending to one chain at once never fork it."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from teamwork.audit import chain, recorder
from teamwork.audit.models import AuditChain, AuditEvent
from teamwork.extensions import db


def fill(team_id: int, count: int) -> list[int]:
    """`count` events of the team, committed one at a time; their ids."""
    for n in range(count):
        recorder.record("round.opened", team_id=team_id, target=("round", n), details={"n": n})
        db.session.commit()
    query = sa.select(AuditEvent.id).where(AuditEvent.team_id == team_id).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit-verify", "--heads"])
    return result.exit_code, result.output


def test_an_untouched_trail_verifies_and_prints_its_head(app: Flask, make_team, make_user) -> None:
    make_user()  # an event of no team: chain 0
    team = make_team()
    fill(team.id, 3)
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    code, output = verify(app)
    assert code == 0, output
    assert f"{total} events in 2 chain(s), chain intact." in output
    head = db.session.get(AuditChain, team.id)
    assert head.length == 3 and head.head_hash in output
    assert f"Head: {chain.verify(db.session.connection()).anchor}" in output


def test_each_event_carries_the_hash_of_the_one_before(app: Flask, make_team) -> None:
    team = make_team()
    first, second = (db.session.get(AuditEvent, i) for i in fill(team.id, 2))
    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.hash != second.hash


def test_a_field_changed_in_the_database_is_reported(app: Flask, make_team) -> None:
    team = make_team()
    ids = fill(team.id, 3)
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("update audit_events set actor_email = 'someone@else.org' where id = :id"),
            {"id": ids[1]},
        )
    code, output = verify(app)
    assert code == 1
    assert f"Event {ids[1]} (round.opened" in output and "was changed" in output


def test_a_deleted_event_in_the_middle_is_reported_at_the_next_one(app: Flask, make_team) -> None:
    team = make_team()
    ids = fill(team.id, 3)
    with db.engine.begin() as connection:
        connection.execute(sa.text("delete from audit_events where id = :id"), {"id": ids[1]})
    code, output = verify(app)
    assert code == 1
    assert f"Event {ids[2]} (round.opened" in output
    assert f"does not follow event {ids[0]}" in output and "removed" in output


def test_events_removed_from_the_end_are_reported(app: Flask, make_team) -> None:
    team = make_team()
    ids = fill(team.id, 3)
    with db.engine.begin() as connection:
        connection.execute(sa.text("delete from audit_events where id = :id"), {"id": ids[2]})
    code, output = verify(app)
    assert code == 1
    assert f"team {team.id}'s trail ends at event {ids[1]}" in output.lower()


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(app: Flask, make_team) -> None:
    team = make_team()
    recorder.record("round.opened", team_id=team.id)
    db.session.rollback()
    fill(team.id, 1)
    assert verify(app)[0] == 0
    assert db.session.get(AuditChain, team.id).length == 1


def test_two_transactions_appending_at_once_extend_one_chain(app: Flask, make_team) -> None:
    """The second waits for the first's head lock (PostgreSQL's row lock, SQLite's write
    lock) and then builds on the first's event: the chain does not fork."""
    team_id = make_team().id
    fill(team_id, 1)
    db.session.remove()

    def event(n: int) -> dict:
        return recorder.event_row("vote.cast", team_id=team_id, details={"n": n})

    first = db.engine.connect()
    first.begin()
    chain.append(first, [event(1)])
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with app.app_context(), db.engine.begin() as connection:
                chain.append(connection, [event(2)])
        except BaseException as exc:  # reported by the test's thread
            failures.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.3)
    assert thread.is_alive(), "the second append did not wait for the first"
    first.commit()
    first.close()
    thread.join()
    assert failures == []
    rows = db.session.execute(
        sa.select(AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash)
        .where(AuditEvent.team_id == team_id)
        .order_by(AuditEvent.id)
    ).all()
    assert [r.details.get("n") for r in rows] == [0, 1, 2]
    assert rows[2].prev_hash == rows[1].hash and rows[1].prev_hash == rows[0].hash
    assert verify(app)[0] == 0


def test_the_migration_chains_the_events_already_stored(tmp_path: Path, monkeypatch) -> None:
    from flask_migrate import upgrade

    from teamwork import create_app
    from tests.conftest import config_for_tests, database_schema

    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    with database_schema() as schema:
        migrated = create_app(config_for_tests(tmp_path, schema))
        with migrated.app_context():
            upgrade(revision="9e4c1a7b2d30")
            with db.engine.begin() as connection:
                for n, team in enumerate([None, 7, 7, None, 8]):
                    connection.execute(
                        sa.text(
                            "insert into audit_events (occurred_at, action, actor_email, team_id,"
                            " target_type, details, ip_address, channel) values"
                            " (:at, 'round.opened', 'a@example.org', :team, 'round',"
                            " :details, '127.0.0.1', 'http')"
                        ),
                        {"at": f"2026-01-0{n + 1} 10:00:00.25", "team": team, "details": "{}"},
                    )
            upgrade()
            with db.engine.connect() as connection:
                found = chain.verify(connection)
            assert (found.problem, found.events) == (None, 5)
            assert found.heads.keys() == {0, 7, 8} and found.heads[7][0] == 2
            db.engine.dispose()
