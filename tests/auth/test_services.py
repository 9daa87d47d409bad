"""Account rules: passwords, account creation, authentication."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from teamwork.auth import services
from teamwork.auth.models import User
from teamwork.errors import Conflict, InvalidInput
from teamwork.extensions import db


@pytest.mark.parametrize(
    "password",
    ["short", "password", "PASSWORD123", "12345678", "x" * 257],
    ids=["too-short", "common", "common-any-case", "digits", "too-long"],
)
def test_weak_or_oversized_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        services.validate_password(password)
    assert excinfo.value.field == "password"


def test_long_passphrases_are_allowed() -> None:
    services.validate_password("the quick brown fox jumps over the lazy dog " * 5)


def test_password_equal_to_the_email_is_refused() -> None:
    with pytest.raises(InvalidInput):
        services.validate_password("dana@example.org", email="Dana@example.org")


def test_create_user_stores_an_argon2_hash_and_normalised_email(app) -> None:
    user = services.create_user(" Dana@Example.ORG ", "Dana", "a fine passphrase")
    assert user.email == "dana@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert "a fine passphrase" not in user.password_hash


def test_duplicate_email_is_a_conflict_and_adds_nothing(app) -> None:
    services.create_user("dana@example.org", "Dana", "a fine passphrase")
    with pytest.raises(Conflict):
        services.create_user("DANA@example.org", "Other", "a fine passphrase")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_authenticate_rehashes_when_parameters_change(app) -> None:
    user = services.create_user("dana@example.org", "Dana", "a fine passphrase")
    old_hash = user.password_hash
    app.config["TEAMWORK_ARGON2_TIME_COST"] = 2
    assert services.authenticate("dana@example.org", "a fine passphrase").id == user.id
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert stored != old_hash
    assert services.authenticate("dana@example.org", "a fine passphrase").id == user.id


def test_resolve_session_refuses_a_token_of_another_user(app, make_user) -> None:
    first, second = make_user(), make_user()
    new = services.start_session(first, remember=False, ip_address=None, user_agent=None)
    assert services.resolve_session(str(first.id), new.token) == first
    assert services.resolve_session(str(second.id), new.token) is None
    assert services.resolve_session(str(first.id), "forged") is None
    assert services.resolve_session("not-a-number", new.token) is None
