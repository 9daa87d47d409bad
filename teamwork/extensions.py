"""Flask extensions, created unbound here and bound to an app in `create_app`.

Modules import these objects; nothing here knows about a particular app or its settings.
"""

from collections.abc import Callable
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from socketio import packet as socketio_packet

from teamwork.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limits: only the routes that need throttling (sign-in) declare limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Asked for every event as soon as it is read, before python-socketio starts a greenlet for it
# and Flask-SocketIO gives it a request context: (app, namespace, event, sid) -> an
# acknowledgement that refuses the event, or None to let it through. Filled by
# `realtime.limits` (the rate limit), so that an event beyond the limit costs next to nothing:
# a flood must not make others wait while each refused event is given a greenlet, a request
# context and the cookie session.
EventGate = Callable[[Any, str, str, str], Any]


class GatedSocketIO(SocketIO):
    """Flask-SocketIO with `gate` asked first for every event."""

    gate: EventGate | None = None

    def init_app(self, app: Any, **kwargs: Any) -> None:
        super().init_app(app, **kwargs)
        server = self.server
        if server is None or getattr(server, "_teamwork_gated", False):
            return
        # python-socketio has no hook before it dispatches an event; its Server._handle_event
        # (eio_sid, namespace, id, data) is where a read event is dispatched, so the gate wraps
        # that method of this server (the version is pinned in requirements/base.txt, and
        # tests/realtime/test_rate_limits.py fails if the wrapping stops working).
        dispatch = server._handle_event

        def gated(eio_sid: str, namespace: str | None, ack_id: Any, data: Any) -> None:
            gate, namespace = self.gate, namespace or "/"
            if gate is not None and isinstance(data, list) and data and isinstance(data[0], str):
                sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
                environ = server.get_environ(sid, namespace=namespace) if sid else None
                refusal = gate(environ["flask.app"], namespace, data[0], sid) if environ else None
                if refusal is not None:
                    if ack_id is not None:
                        ack = server.packet_class(
                            socketio_packet.ACK, namespace=namespace, id=ack_id, data=[refusal]
                        )
                        server._send_packet(eio_sid, ack)
                    return
            dispatch(eio_sid, namespace, ack_id, data)

        server._handle_event = gated
        server._teamwork_gated = True


socketio = GatedSocketIO()


def core(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a column-only statement on the session's connection, in its transaction, skipping
    the ORM's per-statement work. For the few statements run with every vote, where that work
    cost more than the database did (docs/performance.md); everything else uses db.session."""
    return db.session.connection().execute(statement, params)
