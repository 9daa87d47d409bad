"""Teamwork: collaborative multi-agency teams, their charters, meetings and live consensus.

`create_app` only wires things together; each capability lives in its own package with the same
files (models, services, forms, views, [sockets], [rules]).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from teamwork.config import load_config
from teamwork.extensions import csrf, db, limiter, login_manager, migrate, socketio

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from `TEAMWORK_*` settings, then `config` (tests pass overrides)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TEAMWORK_INSTANCE_PATH") or str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    app.debug = False  # never the Werkzeug debugger: it executes code sent by a browser

    logging.basicConfig(
        level=os.environ.get("TEAMWORK_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from teamwork.database import quiet_pipeline_aftermath

    quiet_pipeline_aftermath()
    register_extensions(app)
    register_proxy_handling(app)
    register_url_converters(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    # Import every model so Alembic and the relationships see the whole schema.
    from teamwork import (
        database_events,
        models,  # noqa: F401
    )
    from teamwork.audit import recorder
    from teamwork.auth import sessions
    from teamwork.database import include_in_migrations, render_migration_item
    from teamwork.outbox import services as outbox
    from teamwork.realtime import services as realtime

    db.init_app(app)
    recorder.init_app()
    realtime.init_app(app)
    outbox.init_app(app)
    database_events.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_migration_item,
        include_name=include_in_migrations,
    )
    login_manager.init_app(app)
    sessions.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # Flask-SocketIO keeps its options from one init_app to the next (tests create many apps):
    # a message-queue manager built for an earlier app must not carry over to this one.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        **_message_queue_options(app),
        async_mode=app.config["TEAMWORK_ASYNC_MODE"],
        # None means same origin only; a deployment behind a proxy lists its public origins.
        cors_allowed_origins=app.config["TEAMWORK_ALLOWED_ORIGINS"] or None,
        # The largest message a client may send is a recorder's notes: 20,000 characters, each
        # a 4-byte character that a client may JSON-escape as a \uXXXX surrogate pair (12
        # bytes), so 240,000 bytes and the envelope: 256 KiB (docs/realtime.md, "Limits").
        max_http_buffer_size=256 * 1024,
    )


def _message_queue_options(app: Flask) -> dict[str, Any]:
    """Flask-SocketIO's message queue, with the Redis connection pool sized for bursts.

    Flask-SocketIO builds its own `socketio.RedisManager` from `message_queue` and passes no
    `redis_options`, so redis-py's default pool of 100 connections applies. Every greenlet that
    broadcasts at the same moment takes one; past the limit redis-py raises "Too many
    connections" and python-socketio drops that broadcast after one retry. For a Redis URL we
    therefore build the manager ourselves with `max_connections` (TEAMWORK_REDIS_MAX_CONNECTIONS)
    and the configured channel (TEAMWORK_MESSAGE_QUEUE_CHANNEL); other queues go through
    Flask-SocketIO as-is. The manager is python-socketio's with a listener that is deaf for a
    few seconds at most after losing Redis, and then has the worker's screens resync
    (`teamwork.realtime.queue`).
    """
    url = app.config["TEAMWORK_MESSAGE_QUEUE"]
    channel = app.config["TEAMWORK_MESSAGE_QUEUE_CHANNEL"]
    if not url or not url.startswith(("redis://", "rediss://")):
        return {"message_queue": url, "channel": channel}
    from teamwork.realtime.queue import HealingRedisManager
    from teamwork.realtime.services import announce_versions_soon

    manager = HealingRedisManager(
        url,
        channel=channel,
        redis_options={
            "max_connections": app.config["TEAMWORK_REDIS_MAX_CONNECTIONS"],
            # A publish to a Redis that stopped answering gives up after this (python-socketio
            # then drops that broadcast; the version beacon repairs the screens), instead of
            # holding the vote's request forever.
            "socket_timeout": 5,
            "socket_connect_timeout": 3,
        },
        retry_max=app.config["TEAMWORK_QUEUE_RETRY_MAX_SECONDS"],
        # Whatever was published while the listener was deaf is lost: once it listens again,
        # this worker's clients are told every room's version and resync if behind.
        on_subscribed=lambda: announce_versions_soon(app),
    )
    return {"client_manager": manager}


def register_proxy_handling(app: Flask) -> None:
    """Trust X-Forwarded-* only from the configured number of proxies in front of us.

    Applied after the extensions so it wraps Socket.IO's middleware too: the origin check and
    the socket handlers see the same client address and scheme as the pages.
    """
    hops = app.config["TEAMWORK_TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    else:
        app.wsgi_app = StripForwardedHeaders(app.wsgi_app)  # type: ignore[method-assign]


class StripForwardedHeaders:
    """With no trusted proxy, X-Forwarded-* headers come from the client: drop them, so
    nothing (Socket.IO's same-origin check included) can be steered by them."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        for key in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[key]
        return self.wsgi_app(environ, start_response)


def register_url_converters(app: Flask) -> None:
    """Before any route exists: `<int:...>` only matches ids the database can hold."""
    from teamwork.security import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter


# Each capability's pages (a `bp` in the module), in the order their URLs are matched.
BLUEPRINT_MODULES = [
    "teamwork.auth.views",
    "teamwork.teams.invitations.views",
    "teamwork.teams.views",
    "teamwork.consensus.views",
    "teamwork.charter.views",
    "teamwork.norms.views",
    "teamwork.agreements.views",
    "teamwork.meetings.views",
    "teamwork.meetings.live.views",
    "teamwork.meetings.calendar.views",
    "teamwork.search.views",
    "teamwork.workplans.views",
    "teamwork.evaluation.views",
    "teamwork.moderation.views",
    "teamwork.teams.audit_trail.views",
    "teamwork.discussion.views",
    "teamwork.notifications.views",
]
# Modules with Socket.IO handlers (an `init_app()` registers them).
SOCKET_MODULES = [
    "teamwork.consensus.sockets",
    "teamwork.meetings.live.sockets",
    "teamwork.discussion.sockets",
    "teamwork.notifications.sockets",
]


def register_blueprints(app: Flask) -> None:
    import importlib

    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
    for name in SOCKET_MODULES:
        importlib.import_module(name).init_app()


def register_error_handlers(app: Flask) -> None:
    from teamwork import errors

    errors.register_error_handlers(app)


def register_security_headers(app: Flask) -> None:
    from teamwork import security

    security.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from teamwork import templating

    templating.init_app(app)


def register_commands(app: Flask) -> None:
    from teamwork import cli

    cli.init_app(app)
