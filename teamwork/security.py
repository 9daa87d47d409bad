"""Security headers on every response.

The Content-Security-Policy allows scripts, styles and connections from this origin only, with
no inline script: templates load JavaScript from static files.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_login import current_user

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


def init_app(app: Flask) -> None:
    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Invitation tokens travel in URLs: never leak them to another site in a Referer.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_user and current_user.is_authenticated:
            # Team data must not stay in shared browsers' or proxies' caches.
            headers["Cache-Control"] = "no-store"
        return response
