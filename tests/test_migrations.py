"""Migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade

from teamwork import create_app
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
                connection, opts={"compare_type": True, "render_as_batch": True}
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
