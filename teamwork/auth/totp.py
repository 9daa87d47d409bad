"""Time-based one-time passwords (RFC 6238, the codes of authenticator apps), stdlib only.

Six digits, a 30-second step, HMAC-SHA1: what every authenticator app expects by default. A code
is accepted one step either side of now (clock drift), and each step only once per user (the
caller keeps the last step used), so a code seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one


def new_secret() -> str:
    """A random 160-bit secret, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_for_step(secret: str, step: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def code_at(secret: str, unix_time: float) -> str:
    return code_for_step(secret, step_at(unix_time))


def normalize(code: str) -> str:
    """What people type: spaces and dashes between the digits are fine."""
    return "".join(ch for ch in code if ch not in " -")


def matching_step(secret: str, code: str, unix_time: float, last_step: int | None) -> int | None:
    """The step the code belongs to, if it is valid now and newer than `last_step`."""
    code = normalize(code)
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = step_at(unix_time)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"
