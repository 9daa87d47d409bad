"""`flask search-reindex`: rebuild the search index from the records it indexes.

The index follows every change made through the app by itself (`teamwork.search.indexing`);
this is for after a migration that adds the index to existing data, a restore, or a bulk
update made outside the app.
"""

from __future__ import annotations

import click
from flask import Flask

from teamwork.search.services import reindex_all


@click.command("search-reindex")
def search_reindex_command() -> None:
    """Rebuild the full-text search index of minutes, decisions, proposals and comments."""
    click.echo(f"Indexed {reindex_all()} search entries.")


def init_app(app: Flask) -> None:
    app.cli.add_command(search_reindex_command)
