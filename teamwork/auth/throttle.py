"""Sign-in throttling that no one can use to lock someone else out.

Each step of signing in (the password, then the two-step code) counts its own failures, in
Flask-Limiter's storage (Redis when several workers run; nothing is kept in this process):

- per account and client address (TEAMWORK_LOGIN_LIMIT_ACCOUNT_ADDRESS, tight): a guesser at
  one address is stopped without touching anyone else's sign-in;
- per client address across accounts (TEAMWORK_LOGIN_LIMIT_ADDRESS): stops one address trying
  a password on many accounts;
- per account from every address together (TEAMWORK_LOGIN_LIMIT_ACCOUNT, loose): the ceiling
  on guesses against one account, whatever number of addresses the guesser has;
- backoff: once an account has had TEAMWORK_LOGIN_BACKOFF_AFTER failures within an hour, each
  further failure makes *that address* wait before it may try that account again: 1 s, then
  doubling with each failure of the account, at most TEAMWORK_LOGIN_BACKOFF_MAX_SECONDS. An
  address that has not failed is never delayed, so the account holder signing in from their
  own device gets in unless the ceiling itself is reached.

Addresses are compared as given, except IPv6 ones, which count per /64 (one subscriber's
block). A refused attempt checks nothing and counts nothing; only failures count, and every
limit is checked *before* the password, so a refusal never says whether it was right. The
first time in an hour that an account reaches the backoff threshold its holder is emailed
(`services.warn_of_guessing`); the storage's atomic counter makes that once across workers.
docs/security.md states the policy.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from teamwork.auth import services
from teamwork.extensions import limiter

PASSWORD = "password"  # noqa: S105 - the name of a step, not a password
CODE = "code"
STEPS = (PASSWORD, CODE)
HOUR = 3600


@dataclass(frozen=True)
class Attempt:
    """One try at one step of signing in: which account (its normalized email address) from
    which client address."""

    step: str
    account: str
    address: str

    @classmethod
    def of(cls, step: str, email: str, address: str | None) -> Attempt:
        if step not in STEPS:
            raise ValueError(step)
        return cls(step, services.normalize_email(email)[:254], _address_block(address))


def _address_block(address: str | None) -> str:
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _limits(setting: str) -> tuple[RateLimitItem, ...]:
    return _parsed(current_app.config[setting])


@functools.lru_cache(maxsize=32)
def _parsed(text: str) -> tuple[RateLimitItem, ...]:  # parsed once per setting's text
    return tuple(parse_many(text))


def _buckets(attempt: Attempt) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    """Each limit that applies to the attempt, with the identifiers of its counter."""
    step, account, address = attempt.step, attempt.account, attempt.address
    return [
        *((item, ("signin", step, "pair", account, address)) for item in _pair_limits()),
        *((item, ("signin", step, "address", address)) for item in _address_limits()),
        *((item, ("signin", step, "account", account)) for item in _account_limits()),
    ]


def _pair_limits() -> tuple[RateLimitItem, ...]:
    return _limits("TEAMWORK_LOGIN_LIMIT_ACCOUNT_ADDRESS")


def _address_limits() -> tuple[RateLimitItem, ...]:
    return _limits("TEAMWORK_LOGIN_LIMIT_ADDRESS")


def _account_limits() -> tuple[RateLimitItem, ...]:
    return _limits("TEAMWORK_LOGIN_LIMIT_ACCOUNT")


def _key(kind: str, attempt: Attempt, *, pair: bool) -> str:
    parts = ["teamwork-signin", attempt.step, kind, attempt.account]
    if pair:
        parts.append(attempt.address)
    return "/".join(parts)


def _active() -> bool:
    return bool(limiter.enabled and limiter.initialized)


def check(attempt: Attempt) -> None:
    """Refuse (429, nothing checked or counted) an attempt that a limit or a backoff forbids."""
    if not _active():
        return
    strategy = limiter.limiter
    if any(not strategy.test(item, *ids) for item, ids in _buckets(attempt)):
        raise TooManyRequests()
    if limiter.storage.get(_key("wait", attempt, pair=True)) > 0:
        raise TooManyRequests()


def backoff_seconds(failures: int) -> int:
    """How long an address waits after a failure that was the account's `failures`th within
    the hour (0 below the threshold)."""
    config = current_app.config
    beyond = failures - config["TEAMWORK_LOGIN_BACKOFF_AFTER"]
    if beyond < 0:
        return 0
    cap = config["TEAMWORK_LOGIN_BACKOFF_MAX_SECONDS"]
    return int(min(cap, 2 ** min(beyond, 32)))


def record_failure(attempt: Attempt) -> int:
    """Count a failed attempt; returns the account's failures within the hour. Sets the
    address's backoff and emails the account holder once an hour past the threshold."""
    if not _active():
        return 0
    strategy, storage = limiter.limiter, limiter.storage
    for item, ids in _buckets(attempt):
        strategy.hit(item, *ids)
    failures = storage.incr(_key("failures", attempt, pair=False), HOUR)
    delay = backoff_seconds(failures)
    if delay:
        storage.incr(_key("wait", attempt, pair=True), delay)
        # The first to cross the threshold this hour (an atomic count, so one worker) warns.
        if storage.incr(_key("warned", attempt, pair=False), HOUR) == 1:
            services.warn_of_guessing(attempt.account, step=attempt.step, failures=failures)
    return failures
