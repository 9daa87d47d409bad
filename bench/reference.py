"""The benchmark's reference: a bare python-socketio server, no Flask and no database.

It keeps the tally in memory and broadcasts it to the whole room after every vote, the naive
way (N votes at once cost N² messages). It is served exactly as the app is (teamwork/serve.py):
gevent's pywsgi server, the standard library patched first, python-socketio in gevent mode over
simple-websocket, and TCP_NODELAY set on every connection, so the comparison is fair.

Events mirror the app's protocol (docs/realtime.md) as far as the load generator uses it:
`open_round` starts a new round (tally cleared) and broadcasts `round_opened`; `cast_vote`
records the sender's vote, broadcasts `vote_cast` `{"round", "version", "voted", "tally"}`, then
acknowledges `{"ok": true, ...}`. Run as `python -m bench.reference` with HOST and PORT set.
"""

from __future__ import annotations

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

import contextlib  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
from typing import Any  # noqa: E402

import socketio  # noqa: E402
from gevent.pywsgi import WSGIHandler, WSGIServer  # noqa: E402

ROOM = "meeting"
CHOICES = ("up", "sideways", "down")


class NoDelayHandler(WSGIHandler):
    """The same handler as teamwork.serve.NoDelayHandler (copied: no Flask imported here)."""

    def __init__(self, sock: socket.socket, address: Any, server: Any, *args: Any) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, *args)


def make_server() -> socketio.Server:
    sio = socketio.Server(async_mode="gevent", cors_allowed_origins=None)
    state: dict[str, Any] = {"round": 0, "version": 0, "votes": {}, "open": False}

    def payload() -> dict[str, Any]:
        votes: dict[str, str] = state["votes"]
        tally = dict.fromkeys(CHOICES, 0)
        for choice in votes.values():
            tally[choice] += 1
        return {
            "round": state["round"],
            "version": state["version"],
            "voted": len(votes),
            "tally": tally,
        }

    @sio.event
    def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        sio.enter_room(sid, ROOM)
        sio.emit("snapshot", payload(), to=sid)

    @sio.event
    def open_round(sid: str, data: Any = None) -> dict[str, Any]:
        state["round"] += 1
        state["version"] += 1
        state["votes"] = {}
        state["open"] = True
        sio.emit("round_opened", payload(), to=ROOM)
        return {"ok": True, "round_id": state["round"]}

    @sio.event
    def withdraw_round(sid: str, data: Any = None) -> dict[str, Any]:
        state["version"] += 1
        state["open"] = False
        sio.emit("round_closed", payload(), to=ROOM)
        return {"ok": True, "round_id": state["round"]}

    @sio.event
    def cast_vote(sid: str, data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict) or data.get("round_id") != state["round"]:
            return {"ok": False, "error": {"code": "not_found"}}
        if not state["open"]:
            return {"ok": False, "error": {"code": "round_closed"}}
        choice = data.get("choice")
        if choice not in CHOICES:
            return {"ok": False, "error": {"code": "invalid_input"}}
        state["votes"][sid] = choice
        state["version"] += 1
        version = state["version"]
        sio.emit("vote_cast", payload(), to=ROOM)  # naive: one broadcast per vote
        return {"ok": True, "version": version}

    return sio


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ["PORT"])
    app = socketio.WSGIApp(make_server())
    server = WSGIServer((host, port), app, handler_class=NoDelayHandler, log=None)
    print(f"reference serving on http://{host}:{port}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
