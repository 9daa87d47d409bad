"""Input cleaners every service uses on what people type: one line (a title, a name) or a
text (a proposal, a note), trimmed, bounded, and required when the service says so.

Each raises `InvalidInput` naming the form field, so the message appears beside it and nothing
is saved. Foundation: imports only `teamwork.errors`.
"""

from __future__ import annotations

from teamwork.errors import InvalidInput


def _bounded(value: str, field: str, limit: int, required: str) -> str:
    if required and not value:
        raise InvalidInput(required, field=field)
    if len(value) > limit:
        raise InvalidInput(f"Use at most {limit} characters: this has {len(value)}.", field=field)
    return value


def clean_line(value: str | None, field: str, limit: int, *, required: str = "") -> str:
    """One line: runs of whitespace (newlines included) become one space. `required` is the
    message shown when nothing is left; without it an empty line is allowed."""
    return _bounded(" ".join((value or "").split()), field, limit, required)


def clean_text(value: str | None, field: str, limit: int, *, required: str = "") -> str:
    """A text of several lines: trimmed, with Windows line ends made plain newlines."""
    return _bounded((value or "").strip().replace("\r\n", "\n"), field, limit, required)
