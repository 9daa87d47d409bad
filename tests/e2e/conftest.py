"""Real-browser fixtures: the real server in a subprocess, and Chromium driven by Playwright.

The server is started the way `make run` starts it (migrations, demo data, `python wsgi.py` with
gevent, and for a module that reads email the background worker `flask worker`), on a free port
and a throwaway instance folder, once per test module. Browsers are Debian's Chromium
(`/usr/bin/chromium`) driven by Playwright for Python; `playwright install` is never needed.
Without either, the tests are skipped (see test modules' `pytestmark`).

Every page opened through `screens` records console errors, uncaught exceptions and
Content-Security-Policy violations; `screens.assert_no_browser_errors()` checks them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import TEST_DATABASE_URL, database_schema
from tests.servers import answers, database_url, free_port, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

DEMO_PASSWORD = "e2e demo passphrase"
TEAM = "Northfield County Sex Offender Management Team"

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# Without the background-networking flags Chromium tries to reach Google and hangs here.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 30.0
ACTION_TIMEOUT_MS = 10_000


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


# ---- The server ------------------------------------------------------------------------------


def _server_env(instance: Path, port: int) -> dict[str, str]:
    # The shell's own TEAMWORK_* settings (a database URL, a message queue...) stay out.
    env = {name: value for name, value in os.environ.items() if not name.startswith("TEAMWORK_")}
    env.update(
        TEAMWORK_INSTANCE_PATH=str(instance),
        TEAMWORK_DEMO_PASSWORD=DEMO_PASSWORD,
        TEAMWORK_ARGON2_TIME_COST="1",
        TEAMWORK_ARGON2_MEMORY_KIB="64",
        TEAMWORK_LOG_LEVEL="WARNING",
        # The worker sends queued email every second: a test waiting for one waits little.
        TEAMWORK_OUTBOX_INTERVAL_SECONDS="1",
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


def _flask(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` failed:\n{result.stdout}\n{result.stderr}")


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)  # the server's, for a script of a test's

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder with the migrated demo database, made once per test process the way
    `make run` makes it (`flask db upgrade`, `flask demo`); each module's server starts on a
    copy, so no module sees another's changes. On PostgreSQL each module migrates and seeds a
    schema of its own instead (see `live_server_process`)."""
    instance = tmp_path_factory.mktemp("e2e-demo")
    if not TEST_DATABASE_URL:
        env = _server_env(instance, port=0)
        _flask(env, "db", "upgrade")
        _flask(env, "demo")
    return instance


@pytest.fixture(scope="module")
def live_server_process(
    demo_instance: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The real app served by `python wsgi.py` (gevent) on the demo data: on SQLite in a
    throwaway instance folder (a copy of `demo_instance`), or on a fresh PostgreSQL schema when
    the suite runs on PostgreSQL (TEAMWORK_TEST_DATABASE_URL). A module that reads email sets
    `NEEDS_WORKER = True` and gets the background worker beside the server, as `make run`
    starts it; the others do without (its claim every second is a write on the SQLite file
    every other test's server would share the lock of)."""
    needs_worker = bool(getattr(request.module, "NEEDS_WORKER", False))
    instance = Path(tempfile.mkdtemp(prefix="teamwork-e2e-"))
    shutil.copytree(demo_instance, instance, dirs_exist_ok=True)
    port = free_port()
    env = _server_env(instance, port)
    log_path = instance / "server.log"
    try:
        with database_schema() as schema:
            if schema:
                env["TEAMWORK_DATABASE_URL"] = database_url(schema)
                _flask(env, "db", "upgrade")
                _flask(env, "demo")
            with log_path.open("wb") as log:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                    [sys.executable, "wsgi.py"], cwd=REPO, env=env, stdout=log, stderr=log
                )
                # The background worker beside it, as `make run` starts it: it sends (with no
                # SMTP server, logs) the queued email the tests read like an inbox.
                worker = (
                    subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                        cwd=REPO,
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                    if needs_worker
                    else None
                )
            try:
                deadline = time.monotonic() + SERVER_START_TIMEOUT
                while not answers(port):
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(
                            f"the server did not answer on port {port} within "
                            f"{SERVER_START_TIMEOUT:.0f} s (exit code {process.returncode}):\n"
                            + log_path.read_text(errors="replace")
                        )
                    time.sleep(0.1)
                yield LiveServer(url=f"http://127.0.0.1:{port}", log=log_path, env=env)
            finally:
                if worker is not None:
                    stop(worker)
                stop(process)  # before its database schema is dropped
    finally:
        shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture(scope="module")
def live_server(live_server_process: LiveServer) -> str:
    """The base URL of the real server (one per test module)."""
    return live_server_process.url


# ---- The browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python")
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--no-sandbox")  # Chromium refuses to sandbox itself as root
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        sync_api.expect.set_options(timeout=ACTION_TIMEOUT_MS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Screen:
    """One person's browser (a context of its own, so its own cookies) and its page."""

    who: str
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)


# A CSP violation fires `securitypolicyviolation` on the document; report it to the test.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__teamworkCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline code"}` +
      ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`
  );
});
"""


class Screens:
    """Opens signed-in browsers for demo accounts and collects what goes wrong in them."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.base_url = server.url
        self.opened: list[Screen] = []
        self._log_start = len(server.log_text())

    def open(self, email: str, *, device: dict[str, Any] = DESKTOP, path: str = "/") -> Screen:
        context = self.browser.new_context(base_url=self.base_url, **device)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        problems: list[str] = []
        context.expose_binding(
            "__teamworkCspViolation",
            lambda _source, text: problems.append(f"CSP violation: {text}"),
        )
        context.add_init_script(_CSP_LISTENER)
        page = context.new_page()
        screen = Screen(who=email, context=context, page=page, problems=problems)
        self.opened.append(screen)
        page.on("console", lambda message: self._console(screen, message))
        page.on("pageerror", lambda error: screen.problems.append(f"uncaught: {error}"))
        page.goto(f"/login?next={path}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return screen

    @staticmethod
    def _console(screen: Screen, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        location = message.location.get("url", "") if message.location else ""
        if "favicon" in location or "favicon" in message.text:
            return
        screen.problems.append(f"console error: {message.text} ({location})")

    def problems(self, *, ignore: Callable[[Screen, str], bool] | None = None) -> list[str]:
        return [
            f"{screen.who}: {problem}"
            for screen in self.opened
            for problem in screen.problems
            if not (ignore and ignore(screen, problem))
        ]

    def assert_no_browser_errors(self, *, ignore: Callable[[Screen, str], bool] | None = None):
        """No console errors, uncaught exceptions or CSP violations in any page opened, and no
        traceback in the server's log since these screens were opened."""
        problems = self.problems(ignore=ignore)
        assert problems == [], "errors in the browsers:\n" + "\n".join(problems)
        log = self.server.log_text()[self._log_start :]
        assert "Traceback" not in log, f"the server logged an error:\n{log}"

    def close(self) -> None:
        for screen in self.opened:
            screen.context.close()


@pytest.fixture
def screens(browser: Browser, live_server_process: LiveServer) -> Iterator[Screens]:
    opened = Screens(browser, live_server_process)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, "name")` saves test-artifacts/screenshots/name.png (full page), one
    image pixel per CSS pixel: a phone's page at its device scale would have four times the
    pixels to encode (a third of the accessibility run's time) and shows nothing more."""

    def save(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, scale="css")
        return path

    return save
