"""Security headers on every response, and what requests may carry before any view runs.

The Content-Security-Policy allows scripts, styles and connections from this origin only, with
no inline script: templates load JavaScript from static files. Over HTTPS (as Flask sees it:
through `TEAMWORK_TRUSTED_PROXIES`' X-Forwarded-Proto when set) responses carry HSTS, so the
browser never again tries this host or its subdomains over plain HTTP. Request bodies must be forms
without NUL characters, and ids in URLs must fit the database's integers.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


# A year, the lowest value the browsers' preload lists accept. Never sent over plain HTTP: there
# anyone in the middle could strip or forge it, and browsers ignore it.
HSTS = "max-age=31536000; includeSubDomains"

# What the app's forms send; anything else (JSON, say) would reach Flask-WTF as form data.
FORM_TYPES = {"", "application/x-www-form-urlencoded", "multipart/form-data"}


def check_request_body() -> None:
    """Refuse, before any view runs, bodies no form of ours sends: another content type (415),
    or text holding a NUL character (400), which no one types and PostgreSQL cannot store."""
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return
    if request.mimetype not in FORM_TYPES:
        abort(415)
    if any("\x00" in value for _key, values in request.form.lists() for value in values):
        abort(400)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in URLs: ids beyond the database's 32-bit integers match no route (404)
    instead of reaching the database."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.before_request(check_request_body)

    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Invitation tokens travel in URLs: never leak them to another site in a Referer.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if current_user and current_user.is_authenticated:
            # Team data must not stay in shared browsers' or proxies' caches.
            headers["Cache-Control"] = "no-store"
        return response
