"""Secrets kept encrypted in the database, with keys from the environment: two-step secrets
(`auth`) and the bodies of queued emails, which can hold one-time links (`outbox`).

A column of type `EncryptedString` holds a Fernet token (AES-128-CBC with an HMAC-SHA256, from
`cryptography`); Python code sees the plaintext. The keys are `TEAMWORK_SECRET_ENCRYPTION_KEY`
(newest first; the first encrypts, any decrypts, so a key can be rotated: see
`reencrypt_secrets` in services and docs/security.md). A database dump or backup without the key
yields no secret. Part of the foundation, so any capability can store a secret. A value no key
can decrypt is an error, never read as "no secret": that would
silently turn someone's two-step sign-in off.
"""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(current_app.config["TEAMWORK_SECRET_ENCRYPTION_KEYS"]))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: TEAMWORK_SECRET_ENCRYPTION_KEY does not hold"
            " the key it was encrypted with."
        ) from None


def rotate(token: str) -> str:
    """The same secret encrypted with the first (newest) key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("A stored secret cannot be decrypted with any key.") from None


class EncryptedString(sa.TypeDecorator[str]):
    """A string stored as a Fernet token (about 140 characters for a 32-character secret)."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedText(EncryptedString):
    """Text of any length stored as a Fernet token (about 4/3 of its length, plus 100)."""

    impl = sa.Text
    cache_ok = True
