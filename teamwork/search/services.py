"""Searching the team's institutional memory: minutes, amendments, decisions, proposals and
the comments of its discussions (shown ones: never a hidden or deleted comment).

Results come only from the teams the searcher belongs to at this moment (a current
membership, an active account): the membership join is part of the query itself, so no
result from another team is ever fetched, let alone shown. What a person typed is reduced to
quoted words first (`teamwork.search.rules`), so no query can be a syntax error.

SQLite ranks with FTS5's bm25 (title matches weigh ten times a body match); PostgreSQL with
ts_rank over a tsvector weighted the same way. Both mark matches with control characters that
`rules.split_marked` turns into pieces the template escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.discussion.services import comment_places
from teamwork.extensions import db
from teamwork.search import indexing
from teamwork.search.models import FTS_TABLE, PG_DOCUMENT, SearchEntry, SearchKind
from teamwork.search.rules import (
    MARK_END,
    MARK_START,
    Fragment,
    fts5_expression,
    parse_query,
    split_marked,
    websearch_text,
)
from teamwork.teams.models import Membership, Team
from teamwork.teams.services import team_access

RESULT_LIMIT = 50
TITLE_WEIGHT = 10.0  # bm25 weight of the title column against the body's 1.0
SNIPPET_WORDS = 24


@dataclass(frozen=True)
class SearchResult:
    kind: SearchKind
    object_id: int
    team_id: int
    team_name: str
    meeting_id: int | None
    proposal_id: int | None
    title: list[Fragment]
    snippet: list[Fragment]
    occurred_at: datetime
    # A comment's subject page: (endpoint, URL values); None for the other kinds.
    place: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class SearchResults:
    query: str
    results: list[SearchResult]
    # True when there were more matches than shown.
    truncated: bool

    @property
    def searched(self) -> bool:
        """Whether the query had anything to search for."""
        return bool(parse_query(self.query))


def search_team(actor: User, team_id: int, query: str) -> SearchResults:
    """The best matches in one team the actor belongs to (NotFound otherwise)."""
    team_access(actor, team_id)
    return _search(actor, query, team_id=team_id)


def search_my_teams(actor: User, query: str) -> SearchResults:
    """The best matches across every team the actor currently belongs to."""
    return _search(actor, query, team_id=None)


def _search(actor: User, query: str, *, team_id: int | None) -> SearchResults:
    terms = parse_query(query)
    if not terms or not actor.is_active:
        return SearchResults(query, [], truncated=False)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = _postgresql_rows(actor, websearch_text(terms), team_id)
    else:
        rows = _sqlite_rows(actor, fts5_expression(terms), team_id)
    # A decided proposal is found once, as its decision (which links to the proposal), not
    # twice with the same words.
    decided = {
        entry.proposal_id
        for entry, *_rest in rows
        if entry.kind is SearchKind.DECISION and entry.proposal_id is not None
    }
    rows = [
        row
        for row in rows
        if not (row[0].kind is SearchKind.PROPOSAL and row[0].object_id in decided)
    ]
    places = comment_places(
        entry.object_id for entry, *_rest in rows[:RESULT_LIMIT] if entry.kind is SearchKind.COMMENT
    )
    results = [
        SearchResult(
            kind=entry.kind,
            object_id=entry.object_id,
            team_id=entry.team_id,
            team_name=team_name,
            meeting_id=entry.meeting_id,
            proposal_id=entry.proposal_id,
            title=split_marked(title),
            snippet=split_marked(snippet or ""),
            occurred_at=entry.occurred_at,
            place=places.get(entry.object_id) if entry.kind is SearchKind.COMMENT else None,
        )
        for entry, team_name, title, snippet in rows[:RESULT_LIMIT]
        # A comment whose subject is gone has nowhere to link to.
        if entry.kind is not SearchKind.COMMENT or entry.object_id in places
    ]
    return SearchResults(query, results, truncated=len(rows) > RESULT_LIMIT)


def _my_entries(actor: User, team_id: int | None) -> sa.Select:
    """Entries of the actor's current teams (the join is the access rule), with team names."""
    query = (
        sa.select(SearchEntry, Team.name)
        .join(Team, Team.id == SearchEntry.team_id)
        .join(
            Membership,
            sa.and_(
                Membership.team_id == SearchEntry.team_id,
                Membership.user_id == actor.id,
                Membership.removed_at.is_(None),
            ),
        )
    )
    if team_id is not None:
        query = query.where(SearchEntry.team_id == team_id)
    return query


def _sqlite_rows(actor: User, expression: str, team_id: int | None) -> list[sa.Row]:
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    fts_ref = sa.literal_column(FTS_TABLE)
    rank = sa.func.bm25(fts_ref, TITLE_WEIGHT, 1.0)
    query = (
        _my_entries(actor, team_id)
        .add_columns(
            sa.func.highlight(fts_ref, 0, MARK_START, MARK_END),
            sa.func.snippet(fts_ref, 1, MARK_START, MARK_END, "…", SNIPPET_WORDS),
        )
        .join(fts, fts.c.rowid == SearchEntry.id)
        .where(fts_ref.op("MATCH")(expression))
        # bm25 is lower for better matches.
        .order_by(rank, SearchEntry.occurred_at.desc(), SearchEntry.id)
        .limit(RESULT_LIMIT + 1)
    )
    return list(db.session.execute(query).all())


def _postgresql_rows(actor: User, text: str, team_id: int | None) -> list[sa.Row]:
    document = sa.literal_column("(" + PG_DOCUMENT.format(t="search_entries.") + ")")
    tsquery = sa.func.websearch_to_tsquery(sa.literal_column("'english'::regconfig"), text)
    english = sa.literal_column("'english'::regconfig")
    options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS + 11}, "
        f'MinWords={SNIPPET_WORDS // 2}, MaxFragments=2, FragmentDelimiter=" … "'
    )
    query = (
        _my_entries(actor, team_id)
        .add_columns(
            sa.func.ts_headline(
                english,
                SearchEntry.title,
                tsquery,
                f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true",
            ),
            sa.func.ts_headline(english, SearchEntry.body, tsquery, options),
        )
        .where(document.op("@@")(tsquery))
        .order_by(
            sa.func.ts_rank(document, tsquery).desc(),
            SearchEntry.occurred_at.desc(),
            SearchEntry.id,
        )
        .limit(RESULT_LIMIT + 1)
    )
    return list(db.session.execute(query).all())


def reindex_all() -> int:
    """Rebuild the whole index from its sources; returns how many entries it holds."""
    return indexing.reindex_all()
