"""Helpers shared by every capability's forms. Part of the foundation: imports only
`teamwork.errors`."""

from __future__ import annotations

from flask_wtf import FlaskForm

from teamwork.errors import DomainError


class EmptyForm(FlaskForm):
    """A button that changes something: it still needs a CSRF token."""


def apply_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's error beside the field it names, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


# Ids in the database are 32-bit integers: anything outside is no id of ours (and must not
# reach the database, where PostgreSQL would refuse it with an error).
ID_MAX = 2**31 - 1


def parse_id(value: object) -> int | None:
    """A row id sent by a form, or None when it is not one (not a number, or out of range)."""
    try:
        number = int(str(value)) if value is not None and str(value).strip() else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number <= ID_MAX else None
