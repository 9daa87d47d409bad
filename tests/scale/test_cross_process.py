"""Two real server processes sharing PostgreSQL and Redis: live updates cross processes.

The setup `make serve-cluster` and docs/deploy.md describe, in miniature: two `python wsgi.py`
workers (gevent) on free ports, one fresh PostgreSQL schema, one Redis message queue. A lead and
six members sign in over HTTP (each on the *other* worker from the one it connects to, so the
shared secret key and session store are exercised too), connect with python-socketio's asyncio
client over WebSocket, half to worker A and half to worker B; the lead opens a round on A and
every member votes on its own worker at once. Every client, on both workers, must see the round
open and a state with every vote counted, and PostgreSQL must hold exactly the votes cast.
A second test signs a member out over HTTP on worker A while worker B holds their socket: B
must close it (the disconnect crosses through Redis) and it must not see the next round open.
A third checks that a worker's sweep (a gevent background task) closes a socket whose session
was revoked in the database only. A fourth races a round's deadline: members vote on both
workers up to and past it while both workers close it lazily (`sync`); it must close once, at
its deadline, judged by its rule, counting every acknowledged vote and refusing every later one.

Runs only in the PostgreSQL pass of `make test` (TEAMWORK_TEST_DATABASE_URL set) and only when
Redis answers at REDIS_URL. Redis database 7 holds this test's rate-limit counters and is
flushed afterwards. Note that Redis pub/sub channels are not scoped by database number: the
workers publish on Flask-SocketIO's default channel, which a `make serve-cluster` running on the
same Redis at the same time would share.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_DATABASE_URL, database_schema
from tests.servers import answers, database_url, free_port, stop

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/7"
PASSWORD = "cross process passphrase"
MEMBERS = 6
TIMEOUT = 30.0  # seconds, for any one wait
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

# Run by the test in the workers' environment: a lead, MEMBERS members and one proposal.
SEED = """
import json, sys
from teamwork import create_app
from teamwork.auth.models import User
from teamwork.auth.services import hash_password
from teamwork.consensus.services import create_proposal
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role, TeamLevel

members, password = int(sys.argv[1]), sys.argv[2]
app = create_app()
with app.app_context():
    password_hash = hash_password(password)
    team = Team(name="Scale Test Team", level=TeamLevel.LOCAL_POLICY, description="Scale test.")
    db.session.add(team)
    people = [("lead@scale.example", Role.LEAD)] + [
        (f"member{n}@scale.example", Role.MEMBER) for n in range(1, members + 1)
    ]
    users = {}
    for n, (email, role) in enumerate(people):
        user = User(email=email, name=f"Scale Person {n}", password_hash=password_hash)
        users[email] = user
        db.session.add(user)
        db.session.add(Membership(team=team, user=user, agency=f"Agency {n}",
                                  discipline=Discipline.OTHER, role=role))
    db.session.commit()
    proposal = create_proposal(users["lead@scale.example"], team.id, title="Scale proposal",
                               text="Every member votes on this from one of two workers.")
    print(json.dumps({"proposal_id": proposal.id, "lead": people[0][0],
                      "members": [email for email, _ in people[1:]]}))
"""


def _unreachable_reason() -> str | None:
    if not TEST_DATABASE_URL:
        return "runs in the PostgreSQL pass of make test (TEAMWORK_TEST_DATABASE_URL is unset)"
    try:
        import psycopg

        psycopg.connect(TEST_DATABASE_URL.replace("+psycopg", ""), connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL is not reachable at {TEST_DATABASE_URL}: {exc}"
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001
        return f"Redis is not reachable at {REDIS_URL}: {exc}"
    try:
        import aiohttp  # noqa: F401 - python-socketio's AsyncClient runs over it
    except ImportError:
        return "needs aiohttp (the `test` extra: pip install -e '.[test]')"
    return None


# ---- Processes -------------------------------------------------------------------------------


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args[:4])}` failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Cluster:
    urls: list[str]
    logs: list[Path]
    seed: dict[str, Any]
    database_url: str

    def log_text(self) -> str:
        return "\n".join(
            f"--- worker {n} ---\n" + path.read_text(errors="replace")
            for n, path in enumerate(self.logs)
            if path.exists()
        )


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Two workers; `indirect` parametrization adds settings to their environment."""
    reason = _unreachable_reason()
    if reason:
        pytest.skip(reason)
    import redis

    instance = Path(tempfile.mkdtemp(prefix="teamwork-scale-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with database_schema() as schema:
            assert schema  # TEST_DATABASE_URL is set (checked above)
            env = {n: v for n, v in os.environ.items() if not n.startswith("TEAMWORK_")}
            env.update(
                TEAMWORK_INSTANCE_PATH=str(instance),  # both workers: one generated secret key
                TEAMWORK_DATABASE_URL=database_url(schema),
                TEAMWORK_MESSAGE_QUEUE=REDIS_URL,
                TEAMWORK_ARGON2_TIME_COST="1",
                TEAMWORK_ARGON2_MEMORY_KIB="64",
                TEAMWORK_LOG_LEVEL="WARNING",
                # No sweep during the test: a socket closed after sign-out was closed by the
                # disconnect sent through Redis, not by its worker's re-validation.
                TEAMWORK_SOCKET_REVALIDATE_SECONDS="3600",
                PYTHONUNBUFFERED="1",
            )
            env.update(getattr(request, "param", {}))
            _run(env, "-m", "flask", "--app", "wsgi", "db", "upgrade")  # writes the secret key
            seeded = _run(env, "-c", SEED, str(MEMBERS), PASSWORD)
            seed = json.loads(seeded.strip().splitlines()[-1])
            ports = [free_port(), free_port()]
            logs = [instance / f"worker-{port}.log" for port in ports]
            try:
                for port, log_path in zip(ports, logs, strict=True):
                    with log_path.open("wb") as log:
                        processes.append(
                            subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                                [sys.executable, "wsgi.py"],
                                cwd=REPO,
                                env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
                                stdout=log,
                                stderr=subprocess.STDOUT,
                            )
                        )
                deadline = time.monotonic() + TIMEOUT
                for port, process, log_path in zip(ports, processes, logs, strict=True):
                    while not answers(port):
                        if process.poll() is not None or time.monotonic() > deadline:
                            pytest.fail(
                                f"worker on port {port} did not answer within {TIMEOUT:.0f} s "
                                f"(exit code {process.returncode}):\n"
                                + log_path.read_text(errors="replace")
                            )
                        time.sleep(0.1)
                yield Cluster(
                    urls=[f"http://127.0.0.1:{port}" for port in ports],
                    logs=logs,
                    seed=seed,
                    database_url=env["TEAMWORK_DATABASE_URL"],
                )
            finally:
                for process in processes:
                    stop(process)  # before the schema is dropped
    finally:
        with contextlib.suppress(Exception):
            client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
            client.flushdb()  # only database 7: this test's rate-limit counters
            client.close()
        shutil.rmtree(instance, ignore_errors=True)


# ---- Clients ---------------------------------------------------------------------------------


def _state(payload: Any) -> tuple[Any, int]:
    """(round id, voted) from `{"state": {"round": ...}}` or `vote_cast`'s `{"round": ...}`."""
    if not isinstance(payload, dict):
        return None, 0
    round_ = payload.get("round") or (payload.get("state") or {}).get("round")
    if not round_:
        return None, 0
    return round_.get("id"), int(round_.get("voted") or 0)


@dataclass
class Person:
    email: str
    connect_to: int  # worker index
    sio: Any = None
    opened: set[Any] = field(default_factory=set)  # round ids seen in round_opened
    voted: dict[Any, int] = field(default_factory=dict)  # round id -> highest `voted` seen

    def on_round_opened(self, payload: Any = None) -> None:
        round_id, voted = _state(payload)
        self.opened.add(round_id)
        self.on_state(payload)

    def on_state(self, payload: Any = None) -> None:
        round_id, voted = _state(payload)
        if round_id is not None:
            self.voted[round_id] = max(voted, self.voted.get(round_id, 0))


async def _sign_in(base: str, email: str) -> str:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        async with http.get(f"{base}/login") as response:
            match = CSRF.search(await response.text())
        assert match, "no csrf_token on /login"
        form = {"email": email, "password": PASSWORD, "csrf_token": match[1] or match[2]}
        async with http.post(f"{base}/login", data=form, allow_redirects=False) as response:
            assert response.status == 302, f"sign-in of {email} answered {response.status}"
        cookies = {c.key: c.value for c in jar}
    assert "teamwork_session" in cookies, f"sign-in of {email} set no session cookie"
    return f"teamwork_session={cookies['teamwork_session']}"


async def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"within {TIMEOUT:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def _scenario(cluster: Cluster) -> tuple[Any, dict[str, str], list[Person]]:
    import socketio

    proposal_id = cluster.seed["proposal_id"]
    lead = Person(cluster.seed["lead"], connect_to=0)
    members = [Person(email, connect_to=n % 2) for n, email in enumerate(cluster.seed["members"])]
    people = [lead, *members]
    assert {p.connect_to for p in members} == {0, 1}
    try:
        for person in people:
            # Signed in on the other worker: its cookie must work on this one.
            cookie = await _sign_in(cluster.urls[1 - person.connect_to], person.email)
            person.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT)
            person.sio.on("round_opened", person.on_round_opened)
            for event in ("snapshot", "vote_cast", "round_revealed", "round_closed"):
                person.sio.on(event, person.on_state)
            await person.sio.connect(
                f"{cluster.urls[person.connect_to]}/?proposal={proposal_id}",
                headers={"Cookie": cookie},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )

        ack = await lead.sio.call("open_round", {"proposal_id": proposal_id}, timeout=TIMEOUT)
        assert isinstance(ack, dict) and ack.get("ok"), f"open_round refused: {ack!r}"
        round_id = ack["round_id"]
        await _until(
            lambda: all(round_id in p.opened for p in people),
            "every client on both workers sees round_opened "
            f"(missing: {[p.email for p in people if round_id not in p.opened]})",
        )

        choices = {p.email: ("up" if n % 2 else "sideways") for n, p in enumerate(members)}

        async def vote(person: Person) -> Any:
            return await person.sio.call(
                "cast_vote",
                {
                    "round_id": round_id,
                    "choice": choices[person.email],
                    "reason": f"Vote of {person.email}.",
                    "request_id": uuid.uuid4().hex,
                },
                timeout=TIMEOUT,
            )

        acks = await asyncio.gather(*(vote(p) for p in members))  # all at once
        refused = [a for a in acks if not (isinstance(a, dict) and a.get("ok"))]
        assert refused == [], f"votes refused: {refused!r}"
        await _until(
            lambda: all(p.voted.get(round_id, 0) == len(members) for p in people),
            f"every client sees voted == {len(members)} "
            f"(seen: {[(p.email, p.connect_to, p.voted.get(round_id)) for p in people]})",
        )
        return round_id, choices, people
    finally:
        for person in people:
            if person.sio is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(person.sio.disconnect(), 5)


def _stored_votes(cluster: Cluster, round_id: Any) -> dict[str, str]:
    import sqlalchemy as sa

    engine = sa.create_engine(cluster.database_url)  # the test's schema
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT u.email, v.choice FROM votes v"
                    " JOIN memberships m ON m.id = v.membership_id"
                    " JOIN users u ON u.id = m.user_id WHERE v.round_id = :round"
                ),
                {"round": round_id},
            ).all()
    finally:
        engine.dispose()
    return {email: str(choice) for email, choice in rows}


def test_votes_on_two_workers_reach_every_client_through_redis(cluster: Cluster) -> None:
    round_id, choices, people = asyncio.run(asyncio.wait_for(_scenario(cluster), 4 * TIMEOUT))

    # Both workers served clients, and each saw every vote cast on either worker.
    assert {p.connect_to for p in people} == {0, 1}
    assert _stored_votes(cluster, round_id) == choices
    assert "Traceback" not in cluster.log_text(), cluster.log_text()


async def _sign_out(base: str, cookie: str) -> None:
    """Sign out over HTTP with the browser's cookie (the CSRF token comes from a page)."""
    import aiohttp
    from yarl import URL

    name, _, value = cookie.partition("=")
    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({name: value}, URL(base))
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        async with http.get(f"{base}/account", allow_redirects=False) as response:
            assert response.status == 200, f"/account answered {response.status}"
            match = CSRF.search(await response.text())
        assert match, "no csrf_token on /account"
        form = {"csrf_token": match[1] or match[2]}
        async with http.post(f"{base}/logout", data=form, allow_redirects=False) as response:
            assert response.status == 302, f"sign-out answered {response.status}"


async def _sign_out_scenario(cluster: Cluster) -> None:
    import socketio

    proposal_id = cluster.seed["proposal_id"]
    # Both hold their sockets on worker B; the member signs out on worker A.
    lead = Person(cluster.seed["lead"], connect_to=1)
    member = Person(cluster.seed["members"][0], connect_to=1)
    closed = asyncio.Event()
    cookies: dict[str, str] = {}
    try:
        for person in (lead, member):
            cookies[person.email] = await _sign_in(cluster.urls[0], person.email)
            person.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT)
            person.sio.on("round_opened", person.on_round_opened)
            await person.sio.connect(
                f"{cluster.urls[1]}/?proposal={proposal_id}",
                headers={"Cookie": cookies[person.email]},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )
        member.sio.on("disconnect", lambda *_args: closed.set())

        await _sign_out(cluster.urls[0], cookies[member.email])
        await asyncio.wait_for(closed.wait(), TIMEOUT)

        ack = await lead.sio.call("open_round", {"proposal_id": proposal_id}, timeout=TIMEOUT)
        assert isinstance(ack, dict) and ack.get("ok"), f"open_round refused: {ack!r}"
        await _until(lambda: ack["round_id"] in lead.opened, "the lead sees round_opened")
        assert member.opened == set()
    finally:
        for person in (lead, member):
            if person.sio is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(person.sio.disconnect(), 5)


def test_signing_out_on_one_worker_closes_the_socket_held_by_the_other(
    cluster: Cluster,
) -> None:
    asyncio.run(asyncio.wait_for(_sign_out_scenario(cluster), 3 * TIMEOUT))
    assert "Traceback" not in cluster.log_text(), cluster.log_text()


async def _sweep_scenario(cluster: Cluster) -> None:
    import socketio
    import sqlalchemy as sa

    proposal_id = cluster.seed["proposal_id"]
    member = Person(cluster.seed["members"][0], connect_to=1)
    closed = asyncio.Event()
    try:
        cookie = await _sign_in(cluster.urls[0], member.email)
        member.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT)
        member.sio.on("disconnect", lambda *_args: closed.set())
        await member.sio.connect(
            f"{cluster.urls[1]}/?proposal={proposal_id}",
            headers={"Cookie": cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        # Revoked in the database only, as when the disconnect was sent while Redis was down.
        engine = sa.create_engine(cluster.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "UPDATE auth_sessions SET revoked_at = now() WHERE user_id ="
                        " (SELECT id FROM users WHERE email = :email)"
                    ),
                    {"email": member.email},
                )
        finally:
            engine.dispose()
        await asyncio.wait_for(closed.wait(), 10)
    finally:
        if member.sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(member.sio.disconnect(), 5)


@pytest.mark.parametrize(
    "cluster", [{"TEAMWORK_SOCKET_REVALIDATE_SECONDS": "1"}], indirect=True, ids=["sweep-1s"]
)
def test_a_workers_sweep_closes_a_socket_whose_session_was_revoked_without_a_message(
    cluster: Cluster,
) -> None:
    asyncio.run(asyncio.wait_for(_sweep_scenario(cluster), 3 * TIMEOUT))
    assert "Traceback" not in cluster.log_text(), cluster.log_text()


# ---- A deadline racing last-second votes on both workers --------------------------------------

DEADLINE_SECONDS = 2.0  # from opening the round to its deadline
AFTER_DEADLINE = 0.7  # seconds the clients go on voting and syncing past it


@dataclass
class Ballot:
    email: str
    worker: int
    choice: str
    sent: float  # time.time() just before the call
    ack: Any


async def _deadline_scenario(cluster: Cluster) -> tuple[Any, float, list[Ballot], list[Any]]:
    """Every member votes again and again on its own worker (up, then sideways, ...) from the
    round's opening until after its deadline, while the lead (worker A) and every member, once
    the deadline is near, ask both workers to `sync`, each of which closes the round lazily
    if it is due: the closes of two processes race each other and the votes."""
    import socketio

    proposal_id = cluster.seed["proposal_id"]
    lead = Person(cluster.seed["lead"], connect_to=0)
    members = [Person(email, connect_to=n % 2) for n, email in enumerate(cluster.seed["members"])]
    people = [lead, *members]
    closed_seen: set[str] = set()
    try:
        for person in people:
            cookie = await _sign_in(cluster.urls[1 - person.connect_to], person.email)
            person.sio = socketio.AsyncClient(reconnection=False, request_timeout=TIMEOUT)
            person.sio.on("round_opened", person.on_round_opened)
            person.sio.on("round_closed", lambda *_a, email=person.email: closed_seen.add(email))
            await person.sio.connect(
                f"{cluster.urls[person.connect_to]}/?proposal={proposal_id}",
                headers={"Cookie": cookie},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )
        closes = time.time() + DEADLINE_SECONDS
        closes_at = datetime.fromtimestamp(closes, UTC).isoformat(timespec="milliseconds")
        ack = await lead.sio.call(
            "open_round", {"proposal_id": proposal_id, "closes_at": closes_at}, timeout=TIMEOUT
        )
        assert isinstance(ack, dict) and ack.get("ok"), f"open_round refused: {ack!r}"
        round_id = ack["round_id"]
        stop_at = closes + AFTER_DEADLINE

        async def keep_voting(person: Person, offset: int) -> list[Ballot]:
            ballots = []
            while (sent := time.time()) < stop_at:
                choice = ("up", "sideways")[(len(ballots) + offset) % 2]
                answer = await person.sio.call(
                    "cast_vote",
                    {
                        "round_id": round_id,
                        "choice": choice,
                        "reason": "",
                        "request_id": uuid.uuid4().hex,
                    },
                    timeout=TIMEOUT,
                )
                ballots.append(Ballot(person.email, person.connect_to, choice, sent, answer))
                await asyncio.sleep(0.05)
            return ballots

        async def keep_syncing(person: Person) -> list[Any]:
            await asyncio.sleep(max(0.0, closes - 0.1 - time.time()))
            answers = []
            while time.time() < stop_at:
                answers.append(
                    await person.sio.call("sync", {"proposal_id": proposal_id}, timeout=TIMEOUT)
                )
                await asyncio.sleep(0.02)
            return answers

        results = await asyncio.gather(
            *(keep_voting(p, n) for n, p in enumerate(members)),
            *(keep_syncing(p) for p in people),
        )
        await _until(
            lambda: closed_seen == {p.email for p in people},
            "every client on both workers sees round_closed "
            f"(missing: {sorted({p.email for p in people} - closed_seen)})",
        )
        ballots = [b for part in results[: len(members)] for b in part]
        syncs = [a for part in results[len(members) :] for a in part]
        return round_id, closes, ballots, syncs
    finally:
        for person in people:
            if person.sio is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(person.sio.disconnect(), 5)


@pytest.mark.parametrize(
    "cluster",
    # Each client votes or syncs up to 50 times a second: the per-connection limits are not
    # what this test is about.
    [{"TEAMWORK_SOCKET_EVENTS_PER_SECOND": "1000", "TEAMWORK_SOCKET_EVENT_BURST": "1000"}],
    indirect=True,
    ids=["deadline"],
)
def test_a_deadline_closes_the_round_once_on_two_workers_counting_every_acknowledged_vote(
    cluster: Cluster,
) -> None:
    import sqlalchemy as sa

    from teamwork.consensus.rules import Ballot as RuleBallot
    from teamwork.consensus.rules import Choice, DecisionRule, evaluate

    round_id, closes, ballots, syncs = asyncio.run(
        asyncio.wait_for(_deadline_scenario(cluster), 4 * TIMEOUT)
    )
    assert "Traceback" not in cluster.log_text(), cluster.log_text()
    assert all(isinstance(a, dict) and a.get("ok") for a in syncs), syncs
    accepted = [b for b in ballots if isinstance(b.ack, dict) and b.ack.get("ok")]
    refused = [b for b in ballots if b not in accepted]
    # The race happened: votes were taken and refused on both workers.
    assert {b.worker for b in accepted} == {b.worker for b in refused} == {0, 1}
    assert {b.ack["error"]["code"] for b in refused} == {"round_closed"}, refused[:3]
    # Nothing sent from the deadline on was taken, and once refused, a client stays refused.
    assert all(b.sent < closes for b in accepted)
    for email in {b.email for b in ballots}:
        own = [b.ack.get("ok") for b in ballots if b.email == email]
        assert own == sorted(own, reverse=True), (email, own)

    engine = sa.create_engine(cluster.database_url)
    try:
        with engine.connect() as connection:
            row = (
                connection.execute(
                    sa.text("SELECT * FROM rounds WHERE id = :round"), {"round": round_id}
                )
                .mappings()
                .one()
            )
            closes_ = connection.execute(
                sa.text(
                    "SELECT count(*) FROM audit_events WHERE action = 'round.closed'"
                    " AND target_type = 'round' AND target_id = :round"
                ),
                {"round": round_id},
            ).scalar_one()
            stored = dict(
                connection.execute(
                    sa.text(
                        "SELECT u.email, v.choice FROM votes v"
                        " JOIN memberships m ON m.id = v.membership_id"
                        " JOIN users u ON u.id = m.user_id WHERE v.round_id = :round"
                    ),
                    {"round": round_id},
                ).all()
            )
            events, latest_cast = connection.execute(
                sa.text("SELECT count(*), max(cast_at) FROM vote_events WHERE round_id = :round"),
                {"round": round_id},
            ).one()
    finally:
        engine.dispose()

    # Closed once, at its deadline, by no one in particular.
    assert closes_ == 1
    assert row["status"] == "closed" and row["closed_at_deadline"]
    assert row["closed_by_id"] is None and row["closed_at"] == row["closes_at"]
    # Every acknowledged vote is recorded and none other; each member's last one is counted.
    assert events == len(accepted) and latest_cast < row["closes_at"]
    last = {b.email: b.choice for b in accepted}  # in the order each client sent them
    assert stored == last
    choices = list(last.values())
    assert (row["up_count"], row["sideways_count"], row["down_count"]) == (
        choices.count("up"),
        choices.count("sideways"),
        0,
    )
    # Judged by the rule kept with the round, over every voting member of the team.
    assert row["eligible_count"] == MEMBERS + 1  # the lead and the members
    judged = evaluate(
        DecisionRule.from_dict(row["rule"]),
        row["eligible_count"],
        [RuleBallot(n, Choice(c), "") for n, c in enumerate(choices)],
    )
    assert row["outcome"] == str(judged.outcome)
