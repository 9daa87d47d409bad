"""The search index: one row per searchable thing (an agenda item's minutes, a minutes
amendment, a decision, a proposal's current text, a comment), kept in step with its source by
`teamwork.search.indexing`, and the full-text machinery each database adds beside it.

SQLite (the embedded default) gets an FTS5 table over `search_entries` (external content,
filled by triggers); PostgreSQL gets a GIN index on a weighted tsvector expression. Neither is
a model: both are created by DDL listeners when the table is created (so `db.create_all()` in
tests makes them), and the migrations create them with raw SQL. Alembic's autogenerate must
ignore them (`is_search_index_object`, registered with `database.exclude_from_migrations`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from teamwork.database import UTCDateTime, enum_column, exclude_from_migrations, utcnow
from teamwork.extensions import db


class SearchKind(StrEnum):
    MINUTES = "minutes"  # the notes of one agenda item
    AMENDMENT = "amendment"  # a correction to approved minutes
    DECISION = "decision"
    PROPOSAL = "proposal"
    COMMENT = "comment"  # a discussion's comment or reply, while it is shown

    @property
    def label(self) -> str:
        return SEARCH_KIND_LABELS[self]


SEARCH_KIND_LABELS = {
    SearchKind.MINUTES: "Minutes",
    SearchKind.AMENDMENT: "Minutes amendment",
    SearchKind.DECISION: "Decision",
    SearchKind.PROPOSAL: "Proposal",
    SearchKind.COMMENT: "Comment",
}


class SearchEntry(db.Model):
    __tablename__ = "search_entries"
    __table_args__ = (sa.UniqueConstraint("kind", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Every search is confined to the teams the searcher belongs to through this column.
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SearchKind] = mapped_column(enum_column(SearchKind))
    # The id of the source row in its own table (agenda item, amendment, decision, proposal,
    # comment).
    object_id: Mapped[int]
    # Where a result links to; deleting the meeting or proposal deletes its entries (a
    # comment's: the meeting of its agenda item, or its proposal).
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<SearchEntry {self.kind}:{self.object_id} team={self.team_id}>"


# --- Full-text machinery beside the table (not in the models; see the module docstring) -----

FTS_TABLE = "search_fts"
PG_INDEX = "ix_search_entries_document"
# The weighted document PostgreSQL searches: title words rank above body words. The query
# must use this exact expression for the planner to use the index.
PG_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, {t}title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, {t}body), 'B')"
)

# Written out literally (FTS_TABLE is "search_fts"), as the migration has them.
SQLITE_CREATE = [
    # External content: the text lives once, in search_entries; FTS5 keeps only its index.
    # porter: "polygraphs" finds "polygraph", as PostgreSQL's english configuration does.
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_entries',"
    " content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_entries BEGIN"
    " INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_entries BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE ON search_entries BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts"]  # its triggers go with search_entries
POSTGRESQL_CREATE = [
    f"CREATE INDEX {PG_INDEX} ON search_entries USING gin (({PG_DOCUMENT.format(t='')}))"
]

for _statement in SQLITE_CREATE:
    sa.event.listen(
        SearchEntry.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in SQLITE_DROP:
    sa.event.listen(
        SearchEntry.__table__, "before_drop", sa.DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in POSTGRESQL_CREATE:
    sa.event.listen(
        SearchEntry.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="postgresql")
    )


def is_search_index_object(name: str | None, type_: str) -> bool:
    """Whether a database object is the full-text machinery above, which the models do not
    describe: Alembic's autogenerate and the migration test must leave it alone."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")
    return type_ == "index" and name == PG_INDEX


exclude_from_migrations(is_search_index_object)
