"""Migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade

from teamwork import create_app
from teamwork.database import include_in_migrations
from teamwork.extensions import db
from tests.conftest import config_for_tests, database_schema


def test_upgrading_an_empty_database_matches_the_models(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    with database_schema() as schema:
        app: Flask = create_app(config_for_tests(tmp_path, schema))
        differences = upgrade_and_compare(app)
    assert differences == []


def upgrade_and_compare(app: Flask) -> list:
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    "include_name": include_in_migrations,
                },
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    return differences


def test_migrations_do_not_import_the_application() -> None:
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    scripts = list(versions.glob("*.py"))
    assert scripts
    for script in scripts:
        assert "teamwork" not in script.read_text(), script.name


def test_upgrading_a_database_with_data_keeps_its_rows(tmp_path: Path, monkeypatch) -> None:
    """The last migration runs over existing rows (teams pointing at teams, members at
    teams): every row survives and no foreign key is left broken (SQLite rebuilds tables)."""
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    with database_schema() as schema:
        app: Flask = create_app(config_for_tests(tmp_path, schema))
        with app.app_context():
            upgrade()
            config = app.extensions["migrate"].migrate.get_config()
            head = ScriptDirectory.from_config(config).get_current_head()
            downgrade(revision="-1")
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "insert into users (id, email, name, password_hash, is_admin, created_at)"
                        " values (1, 'a@example.org', 'A', 'x', false, '2026-01-01 00:00:00')"
                    )
                )
                for team_id, parent in ((1, None), (2, 1)):
                    connection.execute(
                        sa.text(
                            "insert into teams (id, name, level, description, created_at,"
                            " decision_rule, parent_id) values (:id, 'T', 'other', '',"
                            " '2026-01-01 00:00:00', '{}', :parent)"
                        ),
                        {"id": team_id, "parent": parent},
                    )
                connection.execute(
                    sa.text(
                        "insert into memberships (id, team_id, user_id, agency, discipline, role,"
                        " joined_at) values (1, 2, 1, 'A', 'other', 'lead', '2026-01-01 00:00:00')"
                    )
                )
            upgrade()
            with db.engine.connect() as connection:
                version = connection.execute(sa.text("select version_num from alembic_version"))
                assert version.scalar() == head
                teams = connection.execute(sa.text("select id, parent_id from teams order by id"))
                assert teams.all() == [(1, None), (2, 1)]
                members = connection.execute(sa.text("select team_id from memberships"))
                assert members.scalars().all() == [2]
                if connection.dialect.name == "sqlite":
                    check = connection.exec_driver_sql("PRAGMA foreign_key_check")
                    assert check.fetchall() == []
            db.engine.dispose()


def test_upgrading_encrypts_the_two_step_secrets_already_stored(
    tmp_path: Path, monkeypatch
) -> None:
    """Account recovery's migration (a530fd960a13) over a database with a plaintext two-step
    secret: the row then holds a Fernet token, and the app reads the same secret back."""
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    from teamwork.auth.models import User

    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with database_schema() as schema:
        app: Flask = create_app(config_for_tests(tmp_path, schema))
        with app.app_context():
            upgrade()
            config = app.extensions["migrate"].migrate.get_config()
            before = ScriptDirectory.from_config(config).get_revision("a530fd960a13").down_revision
            downgrade(revision=before)
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "insert into users (id, email, name, password_hash, is_admin, created_at,"
                        " totp_secret) values (1, 'a@example.org', 'A', 'x', false,"
                        " '2026-01-01 00:00:00', :secret)"
                    ),
                    {"secret": secret},
                )
            upgrade()
            with db.engine.connect() as connection:
                stored = connection.execute(sa.text("select totp_secret from users")).scalar()
            assert stored != secret and stored.startswith("gAAAAA")
            assert db.session.get(User, 1).totp_secret == secret
            db.session.remove()
            db.engine.dispose()
