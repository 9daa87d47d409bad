"""The audit trail as hash chains: each event carries the hash of the one before it.

One chain per team (events of no team, such as sign-ins, form chain 0), so that teams meeting
at the same moment do not wait for each other. An event's `hash` is SHA-256 over a canonical
JSON of its fields and `prev_hash`, the hash of the event before it in its chain (GENESIS for
the first). Changing a field of a stored event, or removing one from the middle, breaks the
links from there on; `audit_chains` holds each chain's length and last hash, so removing
events from the end shows too. `verify` walks every chain and names the first break.

Appends are serialized per chain: the head row is updated first (PostgreSQL locks it until
the transaction ends; SQLite has one writer at a time), so two workers never both extend the
same head and the chain cannot fork. Within a chain, ids then follow the chain's order.
`append` runs at commit time (see recorder), when the transaction has done everything else:
the lock is held for the last statements only, and chains are locked in ascending order, so
two transactions can never wait for each other.

`actor_id` is not hashed: deleting an account sets it to NULL (the actor's address, hashed,
names them). Infrastructure: imports only SQLAlchemy and `teamwork.audit`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from teamwork.audit.models import AuditChain, AuditEvent

GENESIS = "0" * 64
HASHED = (
    "occurred_at",
    "action",
    "actor_email",
    "team_id",
    "target_type",
    "target_id",
    "details",
    "ip_address",
    "channel",
)
_EVENTS = AuditEvent.__table__
_CHAINS = AuditChain.__table__


# Built once: they run with every audited commit (every group of votes, every sign-in), and
# building them each time cost more than running them.
_TAKE_HEAD = (
    _CHAINS.update()
    .where(_CHAINS.c.chain == sa.bindparam("chain_id"))
    .values(length=_CHAINS.c.length + sa.bindparam("count"))
    .returning(_CHAINS.c.head_hash)
)
_SET_HEAD = (
    _CHAINS.update()
    .where(_CHAINS.c.chain == sa.bindparam("chain_id"))
    .values(head_hash=sa.bindparam("head"))
)
_INSERT_EVENTS = _EVENTS.insert()
_CREATE_HEAD = {
    name: dialect.insert(_CHAINS)
    .values(chain=sa.bindparam("chain_id"), length=0, head_hash=GENESIS)
    .on_conflict_do_nothing(index_elements=["chain"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def chain_of(team_id: int | None) -> int:
    return team_id or 0


def event_hash(event: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of an event (a row to insert, or one read back) following `prev_hash`."""
    content = {name: event.get(name) for name in HASHED}
    content["occurred_at"] = event["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    content["details"] = event.get("details") or {}
    content["prev_hash"] = prev_hash
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def append(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert events at the heads of their chains, in the connection's transaction."""
    by_chain: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_chain.setdefault(chain_of(row.get("team_id")), []).append(row)
    for chain in sorted(by_chain):
        group = by_chain[chain]
        prev = _take_head(connection, chain, len(group))
        for row in group:
            row["prev_hash"] = prev
            row["hash"] = prev = event_hash(row, prev)
        connection.execute(_INSERT_EVENTS, group)
        connection.execute(_SET_HEAD, {"chain_id": chain, "head": prev})


def _take_head(connection: sa.Connection, chain: int, count: int) -> str:
    """Lock the chain's head (creating it the first time) and return its hash."""
    params = {"chain_id": chain, "count": count}
    head = connection.execute(_TAKE_HEAD, params).scalar()
    if head is None:
        connection.execute(_CREATE_HEAD[connection.dialect.name], {"chain_id": chain})
        head = connection.execute(_TAKE_HEAD, params).scalar_one()
    return head


@dataclass
class Verification:
    """What `verify` found: how many events, each chain's (length, head hash), and the first
    break (None when every chain is intact)."""

    events: int = 0
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)
    problem: str | None = None
    event_id: int | None = None

    @property
    def anchor(self) -> str:
        """One hash over every chain's head: recorded outside the database, it lets a later
        reader tell whether the trail as it stood then was rewritten."""
        lines = "".join(f"{c}:{n}:{h}\n" for c, (n, h) in sorted(self.heads.items()))
        return hashlib.sha256(lines.encode()).hexdigest()


def _events(connection: sa.Connection) -> sa.CursorResult[Any]:
    """Every event in id order, fetched in batches (PostgreSQL: a server-side cursor, closed
    by the caller's `with`)."""
    query = sa.select(_EVENTS).order_by(_EVENTS.c.id).execution_options(yield_per=2000)
    return connection.execute(query)


def _where(chain: int) -> str:
    return f"team {chain}'s trail" if chain else "the trail of events outside any team"


def _walk(
    events: Any, found: Verification, last: dict[int, tuple[int, str, int]]
) -> tuple[str, int] | None:
    """Follow every chain through `events`; the first break (message, event id), if any."""
    for event in events:
        values = event._mapping
        problem = None
        chain = chain_of(event.team_id)
        last_id, last_hash, count = last.get(chain, (0, GENESIS, 0))
        found.events += 1
        what = f"Event {event.id} ({event.action}, {event.occurred_at:%Y-%m-%d %H:%M:%S} UTC)"
        if event_hash(values, event.prev_hash) != event.hash:
            problem = f"{what} does not match its hash: it was changed after it was written."
        elif event.prev_hash != last_hash:
            before = f"event {last_id}" if last_id else "the start of the chain"
            problem = (
                f"{what} does not follow {before}, the one before it in {_where(chain)}: an event"
                " between them was removed, or the events were changed."
            )
        if problem:
            return problem, event.id
        last[chain] = (event.id, event.hash, count + 1)
    return None


def verify(connection: sa.Connection) -> Verification:
    found = Verification()
    last: dict[int, tuple[int, str, int]] = {}  # chain -> (last event id, its hash, count)
    with _events(connection) as events:
        if (problem := _walk(events, found, last)) is not None:
            found.problem, found.event_id = problem
            return found
    heads = {c: (n, h) for c, n, h in connection.execute(sa.select(_CHAINS))}
    for chain in sorted(heads.keys() | last.keys()):
        last_id, last_hash, count = last.get(chain, (0, GENESIS, 0))
        length, head = heads.get(chain, (0, GENESIS))
        if (count, last_hash) != (length, head):
            end = f"ends at event {last_id} after {count} events" if count else "is empty"
            found.problem = (
                f"{_where(chain).capitalize()} {end}, but its head records {length} events"
                " and another last hash: events at its end were removed, or the head changed."
            )
            found.event_id = last_id or None
            return found
        found.heads[chain] = (count, last_hash)
    return found
