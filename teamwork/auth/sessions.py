"""How a browser's cookie maps to a signed-in user.

The signed cookie holds Flask-Login's user id and a random session token; `resolve_session`
checks the token against the `auth_sessions` table on every request, so signing out, idle and
absolute timeouts and deactivation take effect at once in every worker.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user
from itsdangerous import URLSafeTimedSerializer

from teamwork.auth import services
from teamwork.auth.models import User
from teamwork.extensions import login_manager

SESSION_TOKEN_KEY = "sid"  # noqa: S105 - a session key name, not a secret


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request came over HTTPS."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_cookie_secure(self, app: Flask) -> bool:
        forced = bool(app.config["SESSION_COOKIE_SECURE"])
        return forced or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask builds a new serializer for every request and every socket event; it depends
        # only on the keys, so it is built once per set of keys.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers[keys] = serializer
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # The server-side session already binds the cookie; Flask-Login's IP/agent hashing would
    # sign out phones that move between the room's Wi-Fi and mobile data.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return services.resolve_session(user_id, session.get(SESSION_TOKEN_KEY))


def client_address(req: Request) -> str | None:
    return req.remote_addr


def sign_in(user: User, *, remember: bool, details: dict[str, Any] | None = None) -> None:
    """Start a fresh session (audited as `sign_in.succeeded` with `details`): nothing from the
    cookie before sign-in carries over."""
    session.clear()
    new = services.start_session(
        user,
        remember=remember,
        ip_address=client_address(request),
        user_agent=request.headers.get("User-Agent"),
        details=details,
    )
    session[SESSION_TOKEN_KEY] = new.token
    session.permanent = remember
    login_user(user, remember=False)


def sign_out() -> None:
    services.end_session(session.get(SESSION_TOKEN_KEY))
    logout_user()
    session.clear()


def current_token() -> str | None:
    token = session.get(SESSION_TOKEN_KEY)
    return token if isinstance(token, str) else None
