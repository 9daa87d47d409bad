"""Shared fixtures: an app on a fresh database per test, clients, and factories.

The schema is built once per test process (`database_template`): each test gets a copy of a
ready SQLite file, or on PostgreSQL the same schema emptied after every test, instead of
creating every table again. Each xdist worker is its own process, with its own template.

Factories are callables (`make_user(...)`, `make_team(...)`, `make_member(...)`), so each test
builds exactly the world it needs. Passwords are hashed once per session with cheap argon2
parameters: hashing is slow on purpose, and tests do not need that.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from types import CodeType
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache

from teamwork import create_app
from teamwork.auth.models import User
from teamwork.consensus import services as consensus_services
from teamwork.consensus.models import Proposal
from teamwork.extensions import db as _db
from teamwork.moderation.models import ModeratorTerm
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role, TeamLevel
from tests.snapshots import Snapshot, restore_snapshot, take_snapshot

PASSWORD = "correct horse battery staple"
_HASHES: dict[str, str] = {}


# Set TEAMWORK_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
# the suite on PostgreSQL: each test process then builds a schema of its own, emptied between
# tests and dropped at the end.
TEST_DATABASE_URL = os.environ.get("TEAMWORK_TEST_DATABASE_URL", "")
# A test's rows are thrown away with it: its commits need not wait for the write-ahead log to
# reach the disk. That matters when the PostgreSQL pass's processes commit at once (measured on
# six service and socket files at -n 3: 51-56 s against 60-64 s). Servers the tests start in a
# subprocess (tests/servers.py) keep the database's own setting.
PG_OPTIONS = "-csynchronous_commit=off"


def config_for_tests(tmp_path: Path, schema: str | None = None) -> dict[str, Any]:
    database: dict[str, Any] = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}"}
    if schema:
        database = {
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "connect_args": {"options": f"-csearch_path={schema} {PG_OPTIONS}"},
            },
        }
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        **database,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "TEAMWORK_ARGON2_TIME_COST": 1,
        "TEAMWORK_ARGON2_MEMORY_KIB": 64,
        "TEAMWORK_SMTP_HOST": None,
        "TEAMWORK_DEMO_PASSWORD": None,
        "TEAMWORK_MESSAGE_QUEUE": None,
        "TEAMWORK_ASYNC_MODE": "threading",
        "TEAMWORK_BROADCAST_WINDOW_MS": 0,
        # Tests send hundreds of events on one connection in a few seconds (generated payloads);
        # tests/realtime/test_rate_limits.py puts the real limits back with a fake clock.
        "TEAMWORK_SOCKET_EVENT_BURST": 100_000,
        "TEAMWORK_SOCKET_CONNECTS_PER_MINUTE": 100_000,
    }


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The fixture keeps an app context open so tests can use `db.session`; without this, requests
    would share that context's `g` (Flask-Login caches the user there) and database session,
    and a revoked session could look valid. After each request the test's own session is rolled
    back so its next read sees what the request committed.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.rollback()
        return response


@contextmanager
def database_schema() -> Iterator[str | None]:
    """A fresh PostgreSQL schema when the suite runs on PostgreSQL (None on SQLite), for tests
    that need a database of their own (migrations, servers in a subprocess)."""
    if not TEST_DATABASE_URL:
        yield None
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _quiet_environment(monkeypatch: pytest.MonkeyPatch, instance: Path) -> None:
    # Keep the generated secret key and any instance files out of the working tree, and
    # ignore TEAMWORK_* settings of the shell that runs the tests.
    for name in [n for n in os.environ if n.startswith("TEAMWORK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(instance))


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once() -> Iterator[None]:
    """Werkzeug compiles Python code for each URL rule of each new app (two builders per rule,
    about 250 here): two thirds of `create_app`'s time, which every test pays. The builder
    depends only on the rule's text, its parsed parts, its defaults and whether unknown
    arguments are appended, and looks up the rule's converters through the rule it is bound
    to; so the tests compile each distinct builder once and bind it to each app's own rule.
    The app itself is unchanged (it builds its rules once per process)."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple[Any, ...], Any] = {}

    def compiled_once(rule: Rule, append_unknown: bool = True) -> Any:
        key = (
            rule.rule,
            tuple(rule._trace),
            repr(sorted((rule.defaults or {}).items())),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(Rule, "_compile_builder", compiled_once)
        yield


_ENGINES: dict[tuple[Any, ...], sa.Engine] = {}


@pytest.fixture(scope="session", autouse=True)
def engines_kept() -> Iterator[None]:
    """Flask-SQLAlchemy makes each app an engine of its own, and with it an empty cache of
    compiled SQL: every test compiled its statements afresh (a sixth of a typical test's time)
    and, on PostgreSQL, set up a new connection and its dialect. Here apps with the same
    database address and engine options share one engine per test process. Each test's
    database is at the same address (tests/conftest.py `app`: a fresh copy of the SQLite file,
    or the PostgreSQL schema emptied), and the engine's connections are closed between tests,
    so what is kept is only what does not depend on the rows: compiled statements, the
    dialect."""
    from flask_sqlalchemy.extension import SQLAlchemy

    make_engine = SQLAlchemy._make_engine

    def kept(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any], app: Flask) -> Any:
        key = (
            bind_key,
            repr(sorted(options.items(), key=lambda item: item[0])),
            # A listener of the engine's connections (teamwork/database_events.py) reads it.
            app.config.get("TEAMWORK_SQLITE_BUSY_TIMEOUT_MS"),
        )
        if key not in _ENGINES:
            _ENGINES[key] = make_engine(self, bind_key, options, app)
        return _ENGINES[key]

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(SQLAlchemy, "_make_engine", kept)
        yield
    for engine in _ENGINES.values():
        engine.dispose()


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept for every app of this test process: each test's app has its own
    Jinja environment, which would otherwise lex, parse and compile every template it renders
    again. The code objects are kept as they are (nothing is serialized); a template whose
    source changed has another checksum, so it is compiled afresh."""

    def __init__(self) -> None:
        self.compiled: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self.compiled.get(bucket.key, ("", None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self.compiled[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_BYTECODE = _SharedBytecode()


@dataclass(frozen=True)
class DatabaseTemplate:
    """The schema, built once per test process (each xdist worker has its own).

    On SQLite, a database file with every table, index, FTS5 table and trigger, copied for each
    test (a file copy costs a fraction of `create_all`). On PostgreSQL, one schema whose tables
    are emptied after each test (every row deleted, children first, and every sequence set back
    to 1, so ids start again at 1).
    """

    sqlite_file: Path | None = None
    schema: str | None = None
    tables: tuple[str, ...] = ()  # children before parents
    sequences: tuple[str, ...] = ()

    def empty_tables(self) -> None:
        # One connection for the whole process: a new one per test cost ten times the deletes.
        engine = _cleaning_engine()
        # DELETE, children first, and sequences back to 1: on tables this small it costs a
        # fraction of TRUNCATE, which makes new files for every table. Rows the order cannot
        # handle (a cycle of foreign keys) fall back to TRUNCATE ... CASCADE.
        # Names from the schema this fixture made, never from input.
        deletes = [f'DELETE FROM "{self.schema}"."{table}"' for table in self.tables]  # noqa: S608
        restarts = [
            f'SELECT setval(\'"{self.schema}"."{sequence}"\', 1, false)'
            for sequence in self.sequences
        ]
        names = ", ".join(f'"{self.schema}"."{table}"' for table in self.tables)
        try:
            for sql in (
                "; ".join([*deletes, *restarts]),
                f"TRUNCATE {names} RESTART IDENTITY CASCADE",
            ):
                try:
                    with engine.begin() as connection:
                        # A connection a test left open must not hang the suite.
                        connection.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
                        connection.exec_driver_sql(sql)
                    return
                except sa.exc.IntegrityError:
                    continue
        except BaseException:
            engine.dispose()  # a broken connection is not kept for the next test
            raise


@functools.cache
def _cleaning_engine() -> sa.Engine:
    return sa.create_engine(TEST_DATABASE_URL, connect_args={"options": PG_OPTIONS})


def _build_schema(tmp: Path, schema: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Creates every table; on PostgreSQL, returns its tables (children first) and sequences."""
    application = create_app(config_for_tests(tmp, schema))
    with application.app_context():
        _db.create_all()
        tables: tuple[str, ...] = ()
        sequences: tuple[str, ...] = ()
        if schema:
            inspector = sa.inspect(_db.engine)
            ordered = [name for name, _fks in inspector.get_sorted_table_and_fkc_names(schema)]
            tables = tuple(name for name in reversed(ordered) if name)
            sequences = tuple(
                _db.session.scalars(
                    sa.text(
                        "SELECT sequence_name FROM information_schema.sequences"
                        " WHERE sequence_schema = :schema"
                    ),
                    {"schema": schema},
                )
            )
        _db.session.remove()
        _db.engine.dispose()
    return tables, sequences


@pytest.fixture(scope="session")
def database_template(
    tmp_path_factory: pytest.TempPathFactory, url_builders_compiled_once: None
) -> Iterator[DatabaseTemplate]:
    tmp = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _quiet_environment(monkeypatch, tmp / "instance")
        if not TEST_DATABASE_URL:
            _build_schema(tmp, None)
            yield DatabaseTemplate(sqlite_file=tmp / "test.db")
            return
        with database_schema() as schema:
            tables, sequences = _build_schema(tmp, schema)
            monkeypatch.undo()
            try:
                yield DatabaseTemplate(schema=schema, tables=tables, sequences=sequences)
            finally:
                _cleaning_engine().dispose()


@pytest.fixture
def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_template: DatabaseTemplate
) -> Iterator[Flask]:
    _quiet_environment(monkeypatch, tmp_path / "instance")
    database_dir = tmp_path
    if database_template.sqlite_file:
        # Every test's database is at the same address in a process, copied afresh (the
        # engine kept for that address has closed its connections: see `engines_kept`).
        database_dir = database_template.sqlite_file.parent / "live"
        database_dir.mkdir(exist_ok=True)
        for leftover in database_dir.glob("test.db*"):
            leftover.unlink()
        shutil.copyfile(database_template.sqlite_file, database_dir / "test.db")
    application = create_app(config_for_tests(database_dir, database_template.schema))
    application.test_client_class = IsolatedClient
    application.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
    try:
        with application.app_context():
            yield application
            _db.session.remove()
            # Its connections closed: the next test's database replaces SQLite's file, and
            # PostgreSQL's tables are emptied below.
            _db.engine.dispose()
    finally:
        if database_template.schema:
            database_template.empty_tables()


# The longest files first: with one file per worker at a time (--dist loadfile), a long file
# started last (the browser tests, the fault trials) would leave the other cores idle at the end.
LONG_FIRST = (
    "tests/e2e/",
    "tests/scale/",
    "tests/test_hostile_input.py",
    "tests/test_authorization_matrix.py",
)


# Tests that never touch a database: the pure rules (stdlib-only modules, tests/test_architecture
# enforces it), the Markdown sanitizer and the settings; and the two authorization matrices (see
# below). The PostgreSQL pass leaves them out: they ran in the SQLite pass.
DATABASE_FREE = re.compile(
    r"/test_rules\.py$|/tests/test_markdown\.py$|/tests/test_config\.py$|/tests/test_architecture\.py$"
    # The authorization matrices (every route and socket event for every kind of actor) decide
    # through the same access queries every service test runs on PostgreSQL; what they add is
    # the policy table, which no database changes. They cost a tenth of the PostgreSQL pass.
    r"|/tests/test_authorization_matrix\.py$|/tests/test_socket_matrix\.py$"
)
# And single tests of files that otherwise run on both: the XSS crawl of tests/test_hostile_input
# (what it finds depends on the templates and the sanitizer; the text is stored as given, which
# the malformed-form tests of the same file check on PostgreSQL with odd characters and absurd
# lengths). It was 85 of the PostgreSQL pass's 1,041 test-seconds.
DATABASE_FREE_TESTS = re.compile(
    r"/tests/test_hostile_input\.py::(test_payloads_reach_every_text_members_write"
    r"|test_no_page_runs_a_payload|test_the_page_check_)"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL:

        def database_free(item: pytest.Item) -> bool:
            path = item.path.as_posix()
            return bool(
                DATABASE_FREE.search(path)
                or DATABASE_FREE_TESTS.search(f"{path}::{getattr(item, 'originalname', '')}")
            )

        free = [item for item in items if database_free(item)]
        if free:
            config.hook.pytest_deselected(items=free)
            items[:] = [item for item in items if not database_free(item)]

    def rank(item: pytest.Item) -> int:
        path = item.path.as_posix()
        return next((n for n, part in enumerate(LONG_FIRST) if f"/{part}" in path), len(LONG_FIRST))

    items.sort(key=rank)  # stable: the order within each group stays the collection's


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


DEMO_PASSWORD = "demo passphrase for tests"
_DEMO: dict[str, tuple[Snapshot, list[Any]]] = {}


@pytest.fixture
def demo(app: Flask) -> list[Any]:
    """The demo jurisdiction of `flask demo` (every demo account's password: DEMO_PASSWORD), in
    this test's database; its accounts are returned. Seeding it through the services costs
    seconds: the first test of a process seeds it and takes a snapshot, and each later one gets
    the same rows put back (tests/snapshots.py). tests/test_demo.py seeds it itself where the
    seeding is what it tests."""
    if "demo" not in _DEMO:
        from teamwork.demo import seed_demo

        accounts = seed_demo(DEMO_PASSWORD)
        assert accounts, "the demo seeds an empty database"
        _DEMO["demo"] = (take_snapshot(), accounts)
        return accounts
    snapshot, accounts = _DEMO["demo"]
    restore_snapshot(snapshot)
    return accounts


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _password_hash(password: str) -> str:
    if password not in _HASHES:
        from teamwork.auth.services import hash_password

        _HASHES[password] = hash_password(password)
    return _HASHES[password]


_sequence = count(1)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    def make(
        email: str | None = None,
        name: str | None = None,
        *,
        password: str = PASSWORD,
        is_admin: bool = False,
    ) -> User:
        n = next(_sequence)
        user = User(
            email=(email or f"person{n}@example.org").lower(),
            name=name or f"Person {n}",
            password_hash=_password_hash(password),
            is_admin=is_admin,
        )
        _db.session.add(user)
        _db.session.commit()
        return user

    return make


@pytest.fixture
def make_team(app: Flask) -> Callable[..., Team]:
    def make(
        name: str | None = None,
        *,
        level: TeamLevel = TeamLevel.LOCAL_POLICY,
        parent: Team | None = None,
    ) -> Team:
        team = Team(name=name or f"Team {next(_sequence)}", level=level, parent=parent)
        _db.session.add(team)
        _db.session.commit()
        return team

    return make


@pytest.fixture
def make_member(app: Flask, make_user: Callable[..., User]) -> Callable[..., Membership]:
    def make(
        team: Team,
        user: User | None = None,
        *,
        role: Role = Role.MEMBER,
        agency: str = "Northfield County Probation Department",
        discipline: Discipline = Discipline.PROBATION_PAROLE,
        moderator: bool = False,
    ) -> Membership:
        membership = Membership(
            team=team, user=user or make_user(), role=role, agency=agency, discipline=discipline
        )
        _db.session.add(membership)
        if moderator:
            from teamwork.teams.services import today

            _db.session.add(ModeratorTerm(team=team, membership=membership, starts_on=today()))
        _db.session.commit()
        return membership

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., Any]:
    """Sign a user in through the real sign-in form."""

    def do_login(
        user: User, password: str = PASSWORD, *, on: FlaskClient | None = None, remember=False
    ) -> Any:
        target = on or client
        response = target.post(
            "/login",
            data={"email": user.email, "password": password, "remember": "y" if remember else ""},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


class IsolatedSocketClient:
    """Flask-SocketIO's test client, sharing a Flask test client's sign-in cookie, with each
    event handled in its own app context (as the real server does)."""

    def __init__(self, app: Flask, flask_client: FlaskClient, query_string: str) -> None:
        from teamwork.extensions import socketio

        self.app = app
        with app.app_context():
            self.inner = socketio.test_client(
                app, flask_test_client=flask_client, query_string=query_string
            )
        _db.session.rollback()

    def emit(self, event: str, *args: Any) -> Any:
        with self.app.app_context():
            result = self.inner.emit(event, *args, callback=True)
        if has_app_context():  # the test's own context (not on a helper thread)
            _db.session.rollback()
        return result

    def received(self) -> list[dict[str, Any]]:
        return self.inner.get_received()

    def events(self, name: str) -> list[Any]:
        return [item["args"][0] for item in self.received() if item["name"] == name]

    def is_connected(self) -> bool:
        return self.inner.is_connected()

    def disconnect(self) -> None:
        with self.app.app_context():
            self.inner.disconnect()


@pytest.fixture
def socket_client(app: Flask) -> Callable[..., IsolatedSocketClient]:
    """`socket_client(flask_client, proposal_id)`: a Socket.IO connection for that browser."""
    opened: list[IsolatedSocketClient] = []

    def connect(flask_client: FlaskClient, proposal_id: int | str) -> IsolatedSocketClient:
        sock = IsolatedSocketClient(app, flask_client, f"proposal={proposal_id}")
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


# --- A team ready to decide -------------------------------------------------------------


@dataclass
class Meeting:
    team: Team
    lead: Membership
    moderator: Membership
    members: list[Membership]
    observer: Membership
    proposal: Proposal

    @property
    def voters(self) -> list[Membership]:
        return [self.lead, self.moderator, *self.members]


@pytest.fixture
def meeting(make_team, make_member) -> Callable[..., Meeting]:
    def make(rule: dict[str, Any] | None = None, members: int = 3) -> Meeting:
        team = make_team("Northfield County SOM Team")
        team.decision_rule = rule or {}
        _db.session.commit()
        lead = make_member(team, role=Role.LEAD)
        moderator = make_member(team, moderator=True, discipline=Discipline.TREATMENT)
        people = [make_member(team, agency=f"Agency {n}") for n in range(members)]
        observer = make_member(team, role=Role.OBSERVER, discipline=Discipline.JUDICIARY)
        proposal = consensus_services.create_proposal(
            lead.user, team.id, title="Share polygraph results", text="Within five days."
        )
        return Meeting(team, lead, moderator, people, observer, proposal)

    return make


@pytest.fixture
def signed_in(app: Flask, login) -> Callable[[User], FlaskClient]:
    """A new browser (Flask test client) signed in as `user`."""

    def make(user: User) -> FlaskClient:
        browser = app.test_client()
        login(user, on=browser)
        return browser

    return make


class FakeClock:
    """Wall-clock time for the rate limiter's in-memory windows, moved by the test."""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock of the limits library's memory storage, so a window can pass without waiting."""
    import time

    import limits.storage.memory

    clock = FakeClock(time.time())
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock
