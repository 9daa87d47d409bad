"""Helpers shared by every capability's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from teamwork.errors import DomainError


def apply_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's error beside the field it names, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
