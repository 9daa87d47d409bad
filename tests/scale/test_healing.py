"""Screens heal themselves: after a message-queue outage, a deaf worker or a killed worker,
every live screen shows the committed state within a few seconds, on both namespaces, without
anyone reloading; and a killed worker's connection rows are gone within the heartbeat expiry.

Real `python wsgi.py` workers (gevent) on PostgreSQL and Redis, as in tests/scale/test_faults.py
(its cluster and Redis fixtures). The screens are python-socketio clients that behave as the
pages do (docs/realtime.md, "Lost messages"): they keep the state with the highest version, and
when a `version_announced` names a newer version than they show, they wait 1.5 s and `sync` if
still behind. Nothing in a test calls `sync` for them.

- Redis stopped, a round closed meanwhile: the broadcast reaches only the closing worker's
  screens; the other worker's screens show the closed round within HEAL_WITHIN of Redis's
  return (the periodic beacon is off here: the listener's own announcement does it).
- The agenda advanced while a worker was deaf (Redis down throughout): its meeting screens show
  the new item by the periodic beacon, within HEAL_WITHIN.
- A worker killed: its screens reconnect to the other worker and show the state committed
  meanwhile, and its connection rows are deleted within the expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.scale.test_cross_process import REDIS_URL, SEED, _sign_in, _unreachable_reason
from tests.scale.test_faults import own_redis, query, running_cluster, until
from tests.servers import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TIMEOUT = 30.0
GAP_WAIT = 1.5  # what the pages wait before a sync (static/js/live-round.js)
BEACON = 2  # seconds, where the periodic beacon is on
HEAL_WITHIN = 8.0  # seconds: the listener's back-off (2 s) or the beacon, the wait, the sync

# The cross-process seed, and a meeting of the team with three agenda items.
MEETING_SEED = SEED.replace(
    '    print(json.dumps({"proposal_id": proposal.id,',
    """    from datetime import UTC, datetime
    from teamwork.meetings.models import AgendaItem, ItemKind, Meeting
    meeting = Meeting(team_id=team.id, title="Heal meeting",
                      starts_at=datetime(2030, 3, 4, 15, 0, tzinfo=UTC), duration_minutes=60)
    db.session.add(meeting)
    db.session.flush()
    for n in (1, 2, 3):
        db.session.add(AgendaItem(meeting_id=meeting.id, position=n, title=f"Item {n}",
                                  kind=ItemKind.DISCUSSION, minutes_allotted=10))
    db.session.commit()
    print(json.dumps({"meeting_id": meeting.id, "proposal_id": proposal.id,""",
)
assert MEETING_SEED != SEED


@dataclass
class Screen:
    """One member's live screen on one namespace, healing as the pages do."""

    email: str
    cookie: str
    worker: int
    namespace: str  # "/" (a proposal) or "/meeting"
    room: int
    sio: Any = None
    version: int = -1
    payload: Any = None
    announced: int = 0  # `version_announced` newer than what was shown
    tasks: set[Any] = field(default_factory=set)

    @property
    def key(self) -> str:
        return "proposal_id" if self.namespace == "/" else "meeting_id"

    def take(self, payload: Any, snapshot: bool) -> None:
        if not isinstance(payload, dict) or "version" not in payload:
            return
        version = int(payload["version"])
        if version < self.version or (version == self.version and not snapshot):
            return
        self.version, self.payload = version, payload

    def round_status(self) -> str | None:
        state = (self.payload or {}).get("state") or {}
        return (state.get("round") or {}).get("status")

    def current_item(self) -> int | None:
        return ((self.payload or {}).get("meeting") or {}).get("current_item_id")

    def on_announced(self, payload: Any = None) -> None:
        if not isinstance(payload, dict) or payload.get(self.key) != self.room:
            return
        if int(payload.get("version", -1)) > self.version:
            self.announced += 1
            task = asyncio.get_running_loop().create_task(self.sync_if_behind(payload["version"]))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def sync_if_behind(self, version: int) -> None:
        await asyncio.sleep(GAP_WAIT)
        if self.version >= version:
            return
        with contextlib.suppress(Exception):  # a worker gone: the reconnect brings a snapshot
            ack = await self.sio.call(
                "sync", {self.key: self.room}, namespace=self.namespace, timeout=TIMEOUT
            )
            if isinstance(ack, dict) and ack.get("ok"):
                self.take(ack, True)

    async def connect(self, urls: list[str], worker: int) -> None:
        import socketio

        await self.close()
        self.worker = worker
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT)
        ns = self.namespace
        if ns == "/":
            events = ["round_opened", "round_revealed", "round_closed", "proposal_changed"]
            self.sio.on("snapshot", lambda p=None: self.take(p, True), namespace=ns)
            url, auth = f"{urls[worker]}/?proposal={self.room}", None
        else:
            events = ["meeting_changed"]
            self.sio.on("meeting_snapshot", lambda p=None: self.take(p, True), namespace=ns)
            url, auth = urls[worker], {"meeting_id": self.room}
        for event in events:
            self.sio.on(event, lambda p=None: self.take(p, False), namespace=ns)
        self.sio.on("version_announced", self.on_announced, namespace=ns)
        await self.sio.connect(
            url,
            headers={"Cookie": self.cookie},
            auth=auth,
            namespaces=[ns],
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )

    async def call(self, event: str, data: dict[str, Any]) -> Any:
        ack = await self.sio.call(event, data, namespace=self.namespace, timeout=TIMEOUT)
        assert isinstance(ack, dict) and ack.get("ok"), ack
        return ack

    async def close(self) -> None:
        if self.sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sio.disconnect(), 2)


async def screens(
    urls: list[str], seed: dict[str, Any], namespace: str
) -> tuple[Screen, list[Screen]]:
    """The lead on worker 0; the members alternating between the workers."""
    room = seed["proposal_id"] if namespace == "/" else seed["meeting_id"]
    lead = Screen(seed["lead"], await _sign_in(urls[0], seed["lead"]), 0, namespace, room)
    members = [
        Screen(email, await _sign_in(urls[n % 2], email), n % 2, namespace, room)
        for n, email in enumerate(seed["members"])
    ]
    for screen in [lead, *members]:
        await screen.connect(urls, screen.worker)
    return lead, members


def skip_unless_servers(own: bool = False) -> None:
    reason = _unreachable_reason()
    if reason:
        pytest.skip(reason)
    if own and shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server program to run a Redis of the test's own")


# ---- Redis down: a round closed meanwhile ------------------------------------------------------


async def _round_closed_while_redis_down(workers: Any, seed: dict[str, Any], redis: Any) -> None:
    start, halt = redis
    lead, members = await screens(workers.urls, seed, "/")
    everyone = [lead, *members]
    try:
        opened = await lead.call("open_round", {"proposal_id": seed["proposal_id"]})
        await until(lambda: all(s.round_status() == "open" for s in everyone), "round seen open")
        halt()
        await lead.call("close_round", {"round_id": opened["round_id"]})
        deaf = [s for s in members if s.worker == 1]
        await until(
            lambda: all(s.round_status() == "closed" for s in everyone if s.worker == 0),
            "the closing worker's screens show the closed round",
        )
        await asyncio.sleep(3)  # Redis stays down: worker 1's screens cannot have heard
        assert all(s.round_status() == "open" for s in deaf), "the broadcast was not lost"
        start()
        returned = time.monotonic()
        await until(
            lambda: all(s.round_status() == "closed" for s in everyone),
            "every screen shows the closed round after Redis returned "
            f"(seen: {[(s.email, s.worker, s.round_status()) for s in everyone]})",
            timeout=HEAL_WITHIN,
        )
        assert time.monotonic() - returned <= HEAL_WITHIN
        assert all(s.announced for s in deaf)  # healed by the announcement, not by luck
    finally:
        for screen in everyone:
            await screen.close()


def test_a_round_closed_while_redis_is_down_reaches_every_screen_soon_after_it_returns() -> None:
    skip_unless_servers(own=True)
    port = free_port()
    # The periodic beacon is off: only the listener's announcement on subscribing can heal.
    settings = {"TEAMWORK_LIVE_BEACON_SECONDS": "3600"}
    with (
        own_redis(port) as redis,
        running_cluster(f"redis://127.0.0.1:{port}/0", settings) as (workers, seed),
    ):
        asyncio.run(asyncio.wait_for(_round_closed_while_redis_down(workers, seed, redis), 120))


# ---- A deaf worker: the agenda advanced meanwhile ----------------------------------------------


async def _agenda_advanced_while_deaf(workers: Any, seed: dict[str, Any], halt: Any) -> None:
    lead, members = await screens(workers.urls, seed, "/meeting")
    everyone = [lead, *members]
    meeting = {"meeting_id": seed["meeting_id"]}
    try:
        await lead.call("start_meeting", meeting)
        first = lead.current_item()
        await until(
            lambda: first is not None and all(s.current_item() == first for s in everyone),
            "the meeting seen started",
        )
        halt()  # both workers deaf from here on
        await lead.call("next_item", {**meeting, "item_status": "resolved"})
        advanced = time.monotonic()
        second = lead.current_item()
        assert second is not None and second != first
        await until(
            lambda: all(s.current_item() == second for s in everyone),
            "every meeting screen shows the next item while Redis is still down "
            f"(seen: {[(s.email, s.worker, s.current_item()) for s in everyone]})",
            timeout=HEAL_WITHIN,
        )
        assert time.monotonic() - advanced <= HEAL_WITHIN
        assert all(s.announced for s in members if s.worker == 1)
    finally:
        for screen in everyone:
            await screen.close()


def test_the_agenda_advanced_while_a_worker_was_deaf_reaches_its_meeting_screens() -> None:
    skip_unless_servers(own=True)
    port = free_port()
    settings = {"TEAMWORK_LIVE_BEACON_SECONDS": str(BEACON)}
    with (
        own_redis(port) as (_start, halt),
        running_cluster(f"redis://127.0.0.1:{port}/0", settings, MEETING_SEED) as (workers, seed),
    ):
        asyncio.run(asyncio.wait_for(_agenda_advanced_while_deaf(workers, seed, halt), 120))


# ---- A worker killed -------------------------------------------------------------------------


def rows_of(seed: dict[str, Any], worker: str) -> int:
    sql = "SELECT COUNT(*) FROM socket_connections WHERE worker = :w"
    return int(query(seed, sql, w=worker)[0][0])


async def _worker_killed(workers: Any, seed: dict[str, Any]) -> None:
    lead, members = await screens(workers.urls, seed, "/")
    everyone = [lead, *members]
    killed = f"{socket.gethostname()}:{workers.ports[1]}"
    try:
        opened = await lead.call("open_round", {"proposal_id": seed["proposal_id"]})
        await until(lambda: all(s.round_status() == "open" for s in everyone), "round seen open")
        orphans = [s for s in members if s.worker == 1]
        assert rows_of(seed, killed) == len(orphans)
        workers.kill(1)
        await lead.call("close_round", {"round_id": opened["round_id"]})
        for screen in orphans:  # as a load balancer sends them: to the worker still up
            await screen.connect(workers.urls, 0)
        await until(
            lambda: all(s.round_status() == "closed" for s in everyone),
            f"every screen shows the closed round (seen: {[s.round_status() for s in everyone]})",
            timeout=HEAL_WITHIN,
        )
        expiry = int(workers.env["TEAMWORK_SOCKET_EXPIRY_SECONDS"])
        heartbeat = int(workers.env["TEAMWORK_SOCKET_HEARTBEAT_SECONDS"])
        await until(
            lambda: rows_of(seed, killed) == 0,
            "the killed worker's connection rows are gone",
            timeout=expiry + 2 * heartbeat + 3,
        )
        total = int(query(seed, "SELECT COUNT(*) FROM socket_connections")[0][0])
        assert total == len(everyone)  # who is connected, counted right
    finally:
        for screen in everyone:
            await screen.close()


def test_a_killed_workers_screens_converge_on_the_other_and_its_rows_expire() -> None:
    skip_unless_servers()
    settings = {"TEAMWORK_SOCKET_HEARTBEAT_SECONDS": "1", "TEAMWORK_SOCKET_EXPIRY_SECONDS": "3"}
    with running_cluster(REDIS_URL, settings) as (workers, seed):
        asyncio.run(asyncio.wait_for(_worker_killed(workers, seed), 120))
