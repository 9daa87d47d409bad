"""The write detector that the refusal tests rely on sees committed writes, and only those."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.audit.recorder import record_now
from teamwork.teams.models import Team
from teamwork.teams.rules import TeamLevel
from tests.table_state import committed_writes


def test_a_committed_insert_is_seen(db, make_team) -> None:
    with committed_writes() as writes:
        make_team("Seen")
    assert writes.tables == {"teams"}


def test_a_write_rolled_back_changed_nothing(db) -> None:
    with committed_writes() as writes:
        db.session.add(Team(name="Never kept", level=TeamLevel.LOCAL_POLICY))
        db.session.flush()
        db.session.rollback()
    assert writes.tables == set()
    assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 0


def test_core_updates_and_deletes_are_seen(db, make_team) -> None:
    team = make_team("Renamed")
    with committed_writes() as writes:
        db.session.execute(sa.update(Team).where(Team.id == team.id).values(name="Other"))
        db.session.commit()
    assert writes.tables == {"teams"}
    with committed_writes() as writes:
        db.session.execute(sa.delete(Team))
        db.session.commit()
    assert writes.tables == {"teams"}


def test_the_audit_trail_of_a_refusal_is_expected(db) -> None:
    with committed_writes() as expected, committed_writes(frozenset()) as everything:
        record_now("access_denied", details={"path": "/x"})
    assert everything.tables == {"audit_events", "audit_chains"}
    assert expected.tables == set()
