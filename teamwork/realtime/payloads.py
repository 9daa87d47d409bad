"""Checking the shape of Socket.IO payloads and answering errors, shared by every namespace's
handlers (consensus and meetings sockets).

A payload is refused before any service sees it when it is not an object, carries a key the
event does not take, or a value of the wrong type or size, or when the event carries more than
one argument: `InvalidInput`, answered by `guarded` as an error acknowledgement, with the
session rolled back so nothing is half-applied. Before even that, before the event has a request
context, a token is taken from the connection's bucket for the event's family
(`realtime.limits`): an event beyond the limit answers `rate_limited` and does nothing else.

Imports: Flask, Flask-Login, `teamwork.errors` and the extensions only; no
capability (this is infrastructure, below all of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

from flask_login import current_user

from teamwork.errors import DomainError, InvalidInput, Unauthenticated, socket_error
from teamwork.extensions import db

Ack = dict[str, Any]


def payload(data: Any, allowed: set[str]) -> dict[str, Any]:
    """The event's payload as a dict holding only `allowed` keys (a missing payload is {})."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput("The message must be an object.")
    unknown = set(data) - allowed
    if unknown:
        raise InvalidInput(f"Unexpected field: {str(sorted(map(str, unknown))[0])[:40]}.")
    return data


def id_field(data: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    """A positive id that fits the database's integer columns (None when optional and absent)."""
    value = data.get(key)
    if value is None and not required:
        return None
    # bool is an int in Python; an id never is.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise InvalidInput(f"{key} must be a positive whole number.", field=key)
    return value


@overload
def text_field(
    data: dict[str, Any], key: str, limit: int, *, required: Literal[True] = ...
) -> str: ...
@overload
def text_field(
    data: dict[str, Any], key: str, limit: int, *, required: bool = ...
) -> str | None: ...


def text_field(data: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str | None:
    """Text of at most `limit` characters (None when optional and absent)."""
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{key} must be text of at most {limit} characters.", field=key)
    return value


def current_actor() -> Any:
    """The signed-in user of this event (loaded afresh from the sign-in session each event)."""
    if not current_user.is_authenticated:
        raise Unauthenticated("Your sign-in has ended. Reload the page to sign in again.")
    return current_user._get_current_object()


def guarded(handler: Callable[[Any], Ack]) -> Callable[..., Ack]:
    """Refuse an event with more than one argument, and turn DomainErrors into error
    acknowledgements; nothing is half-applied (services commit last, and the session is rolled
    back here). The rate limit was checked before (`limits.refuse_beyond_limit`)."""

    def wrapper(data: Any = None, *extra: Any) -> Ack:
        try:
            if extra:
                raise InvalidInput("Send one object as the message, nothing after it.")
            return handler(data)
        except DomainError as exc:
            db.session.rollback()
            return socket_error(exc)

    wrapper.__name__ = handler.__name__
    return wrapper
