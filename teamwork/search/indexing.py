"""Keeping the search index in step with what it indexes, without anyone having to ask.

A listener on the database session runs after every flush: it notes which searchable rows
were added, changed (in a field that is indexed) or deleted, and rebuilds exactly their
entries from the database, in the same transaction. So a note saved, a decision recorded or a
proposal amended is searchable the moment it commits, and a rollback undoes both together.

Changes written with an ORM-enabled `UPDATE`/`DELETE` statement (`db.session.execute(
sa.update(AgendaItem)...)`, as the compare-and-set notes save does) bypass flush events, so a
second listener sees those statements: it notes which rows the statement's WHERE selects,
lets it run, and rebuilds their entries. Updates that touch no indexed column (the live
version bumped on every vote) are let through untouched. Plain Core statements on the tables
themselves are not seen (`reindex_all` repairs whatever they changed). Deleting a meeting,
proposal or team removes their entries through the foreign keys' ON DELETE CASCADE.

Comments are indexed while they are shown: deleting one (its author) or hiding it (the
moderator) removes its entry, showing it again puts it back. Its title is its subject's ("Case
plan — comment"), so renaming a proposal, an agenda item, its meeting or an activity retitles
the comments on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, aliased

from teamwork.consensus.models import Decision, Proposal, ProposalVersion
from teamwork.database import utcnow
from teamwork.discussion.models import Comment
from teamwork.discussion.rules import SubjectKind
from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, Meeting, Minutes, MinutesAmendment
from teamwork.search.models import SearchEntry, SearchKind
from teamwork.search.rules import clean_text, plain_text
from teamwork.workplans.models import Activity

TITLE_MAX = 500

# Per source, the attributes whose change alters its entry.
_WATCHED: dict[type, tuple[str, ...]] = {
    AgendaItem: ("notes", "title", "meeting_id"),
    MinutesAmendment: ("text", "reason", "item_id", "minutes_id"),
    Decision: ("title", "text", "team_id"),
    Proposal: ("title", "team_id"),
    ProposalVersion: ("text", "title"),
    Meeting: ("title", "starts_at", "team_id"),
    Comment: ("body", "deleted_at", "hidden_at", "subject_id", "team_id"),
    Activity: ("title",),
}


# --- What an entry holds, read from its source ------------------------------------------


def _minutes_rows(ids: Iterable[int] | None = None, meeting_ids: Iterable[int] | None = None):
    query = (
        sa.select(
            AgendaItem.id,
            Meeting.team_id,
            Meeting.id,
            Meeting.title,
            AgendaItem.title,
            AgendaItem.notes,
            Meeting.starts_at,
        )
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.notes != "")
    )
    if ids is not None:
        query = query.where(AgendaItem.id.in_(list(ids)))
    if meeting_ids is not None:
        query = query.where(Meeting.id.in_(list(meeting_ids)))
    return query


def _amendment_rows(ids: Iterable[int] | None = None, meeting_ids: Iterable[int] | None = None):
    item = aliased(AgendaItem)
    query = (
        sa.select(
            MinutesAmendment.id,
            Meeting.team_id,
            Meeting.id,
            Meeting.title,
            item.title,
            MinutesAmendment.text,
            MinutesAmendment.reason,
            MinutesAmendment.created_at,
        )
        .join(Minutes, Minutes.id == MinutesAmendment.minutes_id)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .outerjoin(item, item.id == MinutesAmendment.item_id)
    )
    if ids is not None:
        query = query.where(MinutesAmendment.id.in_(list(ids)))
    if meeting_ids is not None:
        query = query.where(Meeting.id.in_(list(meeting_ids)))
    return query


def _decision_rows(ids: Iterable[int] | None = None):
    query = sa.select(
        Decision.id,
        Decision.team_id,
        Decision.proposal_id,
        Decision.title,
        Decision.text,
        Decision.decided_at,
    )
    if ids is not None:
        query = query.where(Decision.id.in_(list(ids)))
    return query


def _proposal_rows(ids: Iterable[int] | None = None):
    current_text = (
        sa.select(ProposalVersion.text)
        .where(ProposalVersion.proposal_id == Proposal.id)
        .order_by(ProposalVersion.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = sa.select(
        Proposal.id, Proposal.team_id, Proposal.title, current_text, Proposal.created_at
    )
    if ids is not None:
        query = query.where(Proposal.id.in_(list(ids)))
    return query


def _comment_rows(ids: Iterable[int] | None = None):
    """Shown comments with their subject's title (and the meeting of an agenda item's)."""
    kind = Comment.subject_kind
    query = (
        sa.select(
            Comment.id,
            Comment.team_id,
            kind,
            Comment.subject_id,
            Comment.body,
            Comment.created_at,
            Proposal.title,
            Meeting.id,
            Meeting.title,
            AgendaItem.title,
            Activity.title,
        )
        .outerjoin(
            Proposal,
            sa.and_(kind == SubjectKind.PROPOSAL, Proposal.id == Comment.subject_id),
        )
        .outerjoin(
            AgendaItem,
            sa.and_(kind == SubjectKind.AGENDA_ITEM, AgendaItem.id == Comment.subject_id),
        )
        .outerjoin(Meeting, Meeting.id == AgendaItem.meeting_id)
        .outerjoin(
            Activity,
            sa.and_(kind == SubjectKind.ACTIVITY, Activity.id == Comment.subject_id),
        )
        .where(
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
            # A comment whose subject is gone (an agenda item taken off) is found no more.
            sa.or_(Proposal.id.is_not(None), AgendaItem.id.is_not(None), Activity.id.is_not(None)),
        )
    )
    if ids is not None:
        query = query.where(Comment.id.in_(list(ids)))
    return query


def _comments_on(connection: sa.Connection, subjects: dict[SubjectKind, set[int]]) -> set[int]:
    """The ids of every comment on these subjects."""
    conditions = [
        sa.and_(Comment.subject_kind == kind, Comment.subject_id.in_(list(ids)))
        for kind, ids in subjects.items()
        if ids
    ]
    if not conditions:
        return set()
    return set(connection.scalars(sa.select(Comment.id).where(sa.or_(*conditions))))


def _title(*parts: str | None) -> str:
    return clean_text(" — ".join(p for p in parts if p))[:TITLE_MAX]


def _entries(connection: sa.Connection, kind: SearchKind, query: Any) -> list[dict[str, Any]]:
    """Entry values for every source row the query selects."""
    entries = []
    for row in connection.execute(query):
        if kind is SearchKind.MINUTES:
            item_id, team_id, meeting_id, meeting_title, item_title, notes, when = row
            values = {
                "object_id": item_id,
                "team_id": team_id,
                "meeting_id": meeting_id,
                "proposal_id": None,
                "title": _title(meeting_title, item_title),
                "body": plain_text(notes),
                "occurred_at": when,
            }
        elif kind is SearchKind.AMENDMENT:
            amendment_id, team_id, meeting_id, meeting_title, item_title, text, reason, when = row
            body = plain_text(text) + (f"\n{clean_text(reason)}" if reason else "")
            values = {
                "object_id": amendment_id,
                "team_id": team_id,
                "meeting_id": meeting_id,
                "proposal_id": None,
                "title": _title(meeting_title, item_title, "amendment"),
                "body": body,
                "occurred_at": when,
            }
        elif kind is SearchKind.DECISION:
            decision_id, team_id, proposal_id, title, text, when = row
            values = {
                "object_id": decision_id,
                "team_id": team_id,
                "meeting_id": None,
                "proposal_id": proposal_id,
                "title": _title(title),
                "body": plain_text(text),
                "occurred_at": when,
            }
        elif kind is SearchKind.COMMENT:
            (comment_id, team_id, subject_kind, subject_id, body, when, proposal_title,
             meeting_id, meeting_title, item_title, activity_title) = row  # fmt: skip
            on_proposal = subject_kind == SubjectKind.PROPOSAL
            on_item = subject_kind == SubjectKind.AGENDA_ITEM
            if on_item:
                title = _title(meeting_title, item_title, "comment")
            else:
                title = _title(proposal_title if on_proposal else activity_title, "comment")
            values = {
                "object_id": comment_id,
                "team_id": team_id,
                "meeting_id": meeting_id if on_item else None,
                "proposal_id": subject_id if on_proposal else None,
                "title": title,
                "body": plain_text(body),
                "occurred_at": when,
            }
        else:
            proposal_id, team_id, title, text, when = row
            values = {
                "object_id": proposal_id,
                "team_id": team_id,
                "meeting_id": None,
                "proposal_id": proposal_id,
                "title": _title(title),
                "body": plain_text(text or ""),
                "occurred_at": when,
            }
        entries.append({"kind": kind, **values})
    return entries


def _upsert(connection: sa.Connection, entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    dialect = connection.dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SearchEntry.__table__
    for values in entries:
        statement = insert(table).values(**values, indexed_at=utcnow())
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "object_id"],
            set_={key: statement.excluded[key] for key in (*values, "indexed_at")},
        )
        connection.execute(statement)


def _refresh(connection: sa.Connection, kind: SearchKind, query: Any, ids: set[int]) -> None:
    """Rebuild the entries of these source ids: upsert those that exist (and have text),
    delete the others."""
    entries = _entries(connection, kind, query)
    _upsert(connection, entries)
    gone = ids - {entry["object_id"] for entry in entries}
    if gone:
        connection.execute(
            sa.delete(SearchEntry.__table__).where(
                SearchEntry.kind == kind, SearchEntry.object_id.in_(gone)
            )
        )


# --- The session listener --------------------------------------------------------------


def _changed(obj: Any, attributes: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _retitled(session: Session, obj: Any) -> bool:
    """Whether the comments on this subject need their entries again: it was renamed, or is
    gone (a new subject has no comments yet)."""
    if obj in session.new:
        return False
    return obj in session.deleted or _changed(obj, ("title",))


def _collect(session: Session) -> dict[str, set[int]]:
    """The source ids whose entries this flush may have changed, by kind of source."""
    touched: dict[str, set[int]] = defaultdict(set)
    candidates = [(obj, True) for obj in session.new] + [(obj, True) for obj in session.deleted]
    candidates += [(obj, False) for obj in session.dirty]
    for obj, always in candidates:
        watched = _WATCHED.get(type(obj))
        if watched is None or (not always and not _changed(obj, watched)):
            continue
        # Read from the instance's loaded state: touching an attribute of a deleted or
        # expired object would load it (or fail) in the middle of a flush.
        loaded = sa.inspect(obj).dict
        if isinstance(obj, AgendaItem):
            touched["item"].add(loaded.get("id"))
            if _retitled(session, obj):
                touched["item_comments"].add(loaded.get("id"))
        elif isinstance(obj, Comment):
            touched["comment"].add(loaded.get("id"))
        elif isinstance(obj, Activity):
            if _retitled(session, obj):
                touched["activity_comments"].add(loaded.get("id"))
        elif isinstance(obj, MinutesAmendment):
            touched["amendment"].add(loaded.get("id"))
        elif isinstance(obj, Decision):
            touched["decision"].add(loaded.get("id"))
        elif isinstance(obj, Proposal):
            touched["proposal"].add(loaded.get("id"))
            if _retitled(session, obj):
                touched["proposal_comments"].add(loaded.get("id"))
        elif isinstance(obj, ProposalVersion):
            touched["proposal"].add(loaded.get("proposal_id"))
        elif isinstance(obj, Meeting) and obj not in session.new:
            # A new meeting has no minutes yet; a renamed or moved one retitles them.
            touched["meeting"].add(loaded.get("id"))
    return {kind: {i for i in ids if i is not None} for kind, ids in touched.items()}


def refresh_touched(connection: sa.Connection, touched: dict[str, set[int]]) -> None:
    """Rebuild the entries of these sources, by kind ("item", "amendment", "decision",
    "proposal", "comment"; a "meeting" stands for all its minutes, amendments and comments
    on its items; "proposal_comments", "item_comments" and "activity_comments" for the
    comments on those retitled subjects)."""
    touched = dict(touched)
    if touched.get("meeting"):
        meetings = touched["meeting"]
        items = set(
            connection.scalars(sa.select(AgendaItem.id).where(AgendaItem.meeting_id.in_(meetings)))
        )
        touched["item"] = touched.get("item", set()) | items
        touched["item_comments"] = touched.get("item_comments", set()) | items
        touched["amendment"] = touched.get("amendment", set()) | set(
            connection.scalars(
                sa.select(MinutesAmendment.id)
                .join(Minutes, Minutes.id == MinutesAmendment.minutes_id)
                .where(Minutes.meeting_id.in_(meetings))
            )
        )
    if ids := touched.get("item"):
        _refresh(connection, SearchKind.MINUTES, _minutes_rows(ids), ids)
    if ids := touched.get("amendment"):
        _refresh(connection, SearchKind.AMENDMENT, _amendment_rows(ids), ids)
    if ids := touched.get("decision"):
        _refresh(connection, SearchKind.DECISION, _decision_rows(ids), ids)
    if ids := touched.get("proposal"):
        _refresh(connection, SearchKind.PROPOSAL, _proposal_rows(ids), ids)
    comments = touched.get("comment", set()) | _comments_on(
        connection,
        {
            SubjectKind.PROPOSAL: touched.get("proposal_comments", set()),
            SubjectKind.AGENDA_ITEM: touched.get("item_comments", set()),
            SubjectKind.ACTIVITY: touched.get("activity_comments", set()),
        },
    )
    if comments:
        _refresh(connection, SearchKind.COMMENT, _comment_rows(comments), comments)


@sa.event.listens_for(db.session, "after_flush")
def _index_after_flush(session: Session, _flush_context: Any) -> None:
    # After the flush the rows are written (ids assigned) but new/dirty/deleted and attribute
    # histories still describe what this flush did.
    touched = _collect(session)
    if touched:
        refresh_touched(session.connection(), touched)


# Bulk statements: which column identifies the entry each row feeds, and its kind of source.
_BULK_SOURCES: dict[type, tuple[Any, str]] = {
    AgendaItem: (AgendaItem.id, "item"),
    MinutesAmendment: (MinutesAmendment.id, "amendment"),
    Decision: (Decision.id, "decision"),
    Proposal: (Proposal.id, "proposal"),
    ProposalVersion: (ProposalVersion.proposal_id, "proposal"),
}


def _set_columns(state: ORMExecuteState) -> set[str] | None:
    """The names of the columns an UPDATE sets (None when they cannot be told)."""
    values = getattr(state.statement, "_values", None)
    if values:
        return {str(getattr(key, "key", key)) for key in values}
    parameters = state.parameters
    if isinstance(parameters, dict) and parameters:
        return set(parameters)
    if isinstance(parameters, list) and parameters and isinstance(parameters[0], dict):
        return set().union(*parameters)
    return None


def _affected(state: ORMExecuteState, column: Any) -> set[int]:
    """The source ids the statement is about to change (a superset is harmless: entries are
    rebuilt from whatever the rows hold afterwards)."""
    parameters = state.parameters
    by_primary_key = (
        isinstance(parameters, list)
        and parameters
        and all(isinstance(row, dict) and "id" in row for row in parameters)
    )
    if by_primary_key and column.key == "id":
        # Bulk update by primary key: the ids are in the parameters.
        return {row["id"] for row in parameters}
    query = sa.select(column)
    where = state.statement.whereclause
    if where is not None:
        query = query.where(where)
    return {i for i in state.session.execute(query).scalars() if i is not None}


@sa.event.listens_for(db.session, "do_orm_execute")
def _index_bulk_statement(state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    entity = state.bind_mapper.class_
    source = _BULK_SOURCES.get(entity)
    if source is None:
        return None
    if state.is_update:
        columns = _set_columns(state)
        if columns is not None and not columns & set(_WATCHED[entity]):
            return None
    column, kind = source
    ids = _affected(state, column)
    result = state.invoke_statement()
    if ids:
        refresh_touched(state.session.connection(), {kind: ids})
    return result


# --- Everything again --------------------------------------------------------------------


def reindex_all() -> int:
    """Rebuild the whole index from its sources (after an import, a bulk update or a restore);
    returns how many entries it holds."""
    connection = db.session.connection()
    connection.execute(sa.delete(SearchEntry.__table__))
    if connection.dialect.name == "sqlite":
        # Also repairs an FTS index that drifted from its content table.
        connection.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    for kind, query in (
        (SearchKind.MINUTES, _minutes_rows()),
        (SearchKind.AMENDMENT, _amendment_rows()),
        (SearchKind.DECISION, _decision_rows()),
        (SearchKind.PROPOSAL, _proposal_rows()),
        (SearchKind.COMMENT, _comment_rows()),
    ):
        _upsert(connection, _entries(connection, kind, query))
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count(SearchEntry.id))) or 0
