"""Helpers for tests that run the real server as a subprocess (browser and scale tests)."""

from __future__ import annotations

import http.client
import socket
import subprocess

from tests.conftest import TEST_DATABASE_URL


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    """Whether a server on 127.0.0.1:`port` serves the sign-in page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/login")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def database_url(schema: str) -> str:
    """TEAMWORK_TEST_DATABASE_URL, with the connections' search path set to `schema`."""
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it will not stop."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
