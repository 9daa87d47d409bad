"""A WebSocket close completes at once on the real server (teamwork/serve.py): the server
answers the client's close frame instead of reading it as the next HTTP request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import engineio

from tests.servers import answers, free_port, stop

REPO = Path(__file__).resolve().parents[2]


def test_a_websocket_disconnect_finishes_in_under_a_second_and_logs_no_http_error(
    tmp_path,
) -> None:
    env = {n: v for n, v in os.environ.items() if not n.startswith("TEAMWORK_")}
    env.update(
        TEAMWORK_INSTANCE_PATH=str(tmp_path),
        TEAMWORK_DATABASE_URL=f"sqlite:///{tmp_path / 'close.db'}",
        TEAMWORK_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "wsgi.py"],
            cwd=REPO,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not answers(port):
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        # python-socketio's client closes through this Engine.IO client (namespaces aside,
        # the close handshake is all Engine.IO's).
        client = engineio.Client()
        client.connect(
            f"http://127.0.0.1:{port}", transports=["websocket"], engineio_path="socket.io"
        )
        started = time.monotonic()
        client.disconnect()
        took = time.monotonic() - started
    finally:
        stop(server)
    assert took < 1.0, f"disconnect took {took:.2f} s"
    assert "Invalid HTTP method" not in log_path.read_text(errors="replace")
