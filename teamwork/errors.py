"""Domain errors and how they are answered, over HTTP and over Socket.IO, in one place.

Services raise `DomainError` subclasses carrying a message a user can read; views and socket
handlers never build error responses themselves. Part of the foundation: a refused action is
written down by whoever registered with `on_access_denied` (the audit trail, at app setup).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain was not met. `message` is safe to show to the user."""

    status: int = 400
    code: str = "invalid"
    default_message: str = "That request could not be carried out."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return error


class NotFound(DomainError):
    # Also what a foreign team's ids answer: whether a team exists is itself not disclosed.
    status = 404
    code = "not_found"
    default_message = "That page does not exist, or you do not have access to it."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = "Your role on this team does not allow that."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = "Please sign in."


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class InvalidInputs(InvalidInput):
    """Several fields were wrong at once: `errors` maps each field to its message, so a form
    shows every one beside its field in one go (`teamwork.forms.apply_error`). Its `message`
    and `field` are the first of them, for callers that show one error."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = dict(errors)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "errors": dict(self.errors)}


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Gone(DomainError):
    status = 410
    code = "gone"


class TeamArchived(Conflict):
    """Any change to an archived team (read only until a lead restores it)."""

    code = "team_archived"
    default_message = "This team is archived: it can be read but not changed."


class RateLimited(DomainError):
    """A connection sent more events than its limit (`realtime.limits`); nothing was done."""

    status = 429
    code = "rate_limited"
    default_message = "Too many actions at once. Please wait a moment and try again."

    def __init__(self, message: str | None = None, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        # Seconds until the next event would be accepted, rounded up to milliseconds.
        # (round to microseconds first: 0.1 s computed in floats must not become 0.101).
        milliseconds = math.ceil(round(self.retry_after * 1000, 3))
        return {**super().to_dict(), "retry_after": milliseconds / 1000}


class Busy(DomainError):
    """The database stayed locked longer than we wait (SQLite under heavy writing)."""

    status = 503
    code = "busy"
    default_message = "The team's records are busy for a moment. Please try again."


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's "database is locked" (or "busy") after its busy timeout."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


def busy_ack() -> dict[str, Any]:
    """The acknowledgement of a socket event that met a locked database (nothing was saved;
    the client may send it again)."""
    return socket_error(Busy())


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _reply(status: int, code: str, message: str) -> tuple[Any, int]:
    if wants_json():
        return jsonify(ok=False, error={"code": code, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def socket_error(exc: DomainError) -> dict[str, Any]:
    """The acknowledgement a socket handler returns for a refused event (the handler has
    rolled back)."""
    if isinstance(exc, Forbidden):
        event = getattr(request, "event", None) or {}
        audit_denied({"event": str(event.get("message", ""))[:64]})
    return {"ok": False, "error": exc.to_dict()}


# Called with (details, team_id) for every refused action; the audit trail registers its
# recorder here (`teamwork.audit.recorder.init_app`).
_denial_recorders: list[Callable[[dict[str, Any], int | None], None]] = []


def on_access_denied(recorder: Callable[[dict[str, Any], int | None], None]) -> None:
    """Have `recorder(details, team_id)` called for every refused action (idempotent)."""
    if recorder not in _denial_recorders:
        _denial_recorders.append(recorder)


def audit_denied(details: dict[str, Any], team_id: int | None = None) -> None:
    """Log a refused action in the audit trail, in a transaction of its own. A failure to log
    is logged, never raised: the refusal itself must still reach the user."""
    from teamwork.extensions import db

    for recorder in _denial_recorders:
        try:
            recorder(details, team_id)
        except Exception:
            db.session.rollback()
            log.exception("Could not write the audit event for a refused request")


def register_error_handlers(app: Flask) -> None:
    from teamwork.extensions import db

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> tuple[Any, int]:
        db.session.rollback()
        if isinstance(exc, Forbidden):
            team_id = (request.view_args or {}).get("team_id")
            audit_denied({"method": request.method, "path": request.path[:200]}, team_id)
        return _reply(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        messages = {
            400: "The request could not be understood. Reload the page and try again.",
            403: Forbidden.default_message,
            404: NotFound.default_message,
            405: "That action is not available here.",
            413: "What you sent is too large.",
            415: "Send this from the page's form.",
            429: "Too many attempts. Please wait a few minutes and try again.",
        }
        message = messages.get(exc.code, exc.description or "Something went wrong.")
        return _reply(exc.code, (exc.name or "error").lower().replace(" ", "_"), message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        # Roll back so a failed transaction never leaks into the next request on this session.
        db.session.rollback()
        if is_busy(exc):
            log.warning("Database busy on %s %s", request.method, request.path)
            body, status = _reply(Busy.status, Busy.code, Busy.default_message)
            return body, status, {"Retry-After": "1"}
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _reply(500, "server_error", "Something went wrong on our side. Please try again.")
