"""Serve the app with gevent's WSGI server (HTTP and WebSocket), as `make run` does.

Run through `python wsgi.py`, which patches the standard library first. HOST and PORT pick the
address (127.0.0.1:5000 by default; use HOST=0.0.0.0 to serve a meeting room's LAN).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import Any

import gevent
from flask import Flask
from gevent import monkey
from gevent.pywsgi import WSGIHandler, WSGIServer

log = logging.getLogger("teamwork.serve")

# How long work that can wait (a sign-in) waits at most for the loop to be idle.
DEFER_LIMIT_SECONDS = 0.05


def yield_to_live_work(limit: float = DEFER_LIMIT_SECONDS) -> None:
    """Wait until the gevent loop has nothing else to do (at most `limit` seconds), so that work
    no one is watching happen does not run in the middle of a vote's fan-out.

    One gevent worker serves HTTP and every live socket on one loop; a greenlet runs until it
    waits. A sign-in's own stretches (form and CSRF, reading the user, writing the session,
    rendering) are milliseconds each, and each one that starts while a vote is being delivered
    delays every screen in the meeting by that much. A person signing in cannot tell 50 ms from
    nothing (the password check alone takes ~190 ms), so those stretches wait for an idle loop
    (libev's idle watchers run only when no other event is pending). The limit keeps a
    worker that is never idle from holding sign-ins back. Outside gevent (tests, the CLI) it
    returns at once.
    """
    if not monkey.is_module_patched("threading"):
        return
    with gevent.Timeout(limit, False):
        gevent.idle()


class NoDelayHandler(WSGIHandler):
    """Sets TCP_NODELAY on each connection: gevent does not, and Nagle's algorithm then holds
    back small Socket.IO frames (a vote, a tally) by tens of milliseconds.

    It also ends the connection after a WebSocket. simple-websocket (which Engine.IO uses under
    gevent) speaks the WebSocket protocol on a duplicate of the connection's socket, and answers
    the client's close frame from its own reader. When the WebSocket's application returned,
    gevent took the connection for an HTTP keep-alive and read on from it: it swallowed the
    client's close frame (logging `Invalid HTTP method: '\x88...'`), so the close was never
    answered, the duplicate socket stayed open, and every client disconnect waited out its
    close timeout (3 s in python-socketio's client). A WebSocket is the last thing on its
    connection: after it, nothing more is read.
    """

    def __init__(self, sock: socket.socket, address: Any, server: Any, *args: Any) -> None:
        with contextlib.suppress(OSError):  # not a TCP socket (a Unix socket, say)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, *args)

    def handle_one_response(self) -> None:
        try:
            super().handle_one_response()
        finally:
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.close_connection = True


def serve(app: Flask, host: str | None = None, port: int | None = None) -> None:
    host = host or os.environ.get("HOST", "127.0.0.1")
    port = port or int(os.environ.get("PORT", "5000"))
    server = WSGIServer((host, port), app, handler_class=NoDelayHandler, log=None)
    # One worker per port: the host and port name this worker on its connection rows, so that
    # the worker started again after a crash deletes the rows its predecessor left.
    if not app.config.get("TEAMWORK_WORKER_NAME"):
        app.config["TEAMWORK_WORKER_NAME"] = f"{socket.gethostname()}:{port}"
    # What the app runs once it serves (the realtime worker tasks, teamwork/realtime).
    for start in app.extensions.get("teamwork.serving", []):
        start(app)
    # Only compares: which address to print when the server listens on all of them.
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104  # nosec B104
    log.info("Teamwork is serving on http://%s:%s/ (Ctrl+C stops it)", shown, port)
    print(f"Teamwork is serving on http://{shown}:{port}/ (Ctrl+C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop(timeout=2)
