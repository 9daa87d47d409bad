"""Settings from TEAMWORK_* variables, with clear errors for values the app cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamwork.config import ConfigError, load_config


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    config = load_config(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'teamwork.db'}"
    assert config["TEAMWORK_MESSAGE_QUEUE"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_config(tmp_path, {})["SECRET_KEY"]
    second = load_config(tmp_path, {})["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_configured_secret_key_wins(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"TEAMWORK_SECRET_KEY": "from-the-environment"})
    assert config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_message_queue_also_backs_the_sign_in_throttle(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"TEAMWORK_MESSAGE_QUEUE": "redis://127.0.0.1:6379/0"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TEAMWORK_SMTP_PORT", "twenty-five", "whole number"),
        ("TEAMWORK_SESSION_IDLE_MINUTES", "1", "at least 5"),
        ("TEAMWORK_SECURE_COOKIES", "perhaps", "true or false"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=name) as excinfo:
        load_config(tmp_path, {name: value})
    assert message in str(excinfo.value)


def test_allowed_origins_are_a_comma_separated_list(tmp_path: Path) -> None:
    config = load_config(
        tmp_path, {"TEAMWORK_ALLOWED_ORIGINS": "https://a.example.org, https://b.example.org"}
    )
    assert config["TEAMWORK_ALLOWED_ORIGINS"] == ["https://a.example.org", "https://b.example.org"]


def test_a_non_redis_message_queue_leaves_the_throttle_in_memory(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"TEAMWORK_MESSAGE_QUEUE": "amqp://guest@127.0.0.1//"})
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(client) -> None:
    # Same-origin check of the Socket.IO handshake cannot be steered by X-Forwarded-Host.
    response = client.get(
        "/socket.io/?EIO=4&transport=polling",
        headers={
            "Origin": "http://evil.example",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "http",
        },
    )
    assert response.status_code == 400


def test_a_trusted_proxy_supplies_the_scheme(tmp_path: Path, monkeypatch) -> None:
    from teamwork import create_app
    from tests.conftest import config_for_tests

    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    # CSRF on, so the sign-in page writes the session (and its cookie).
    app = create_app(
        {**config_for_tests(tmp_path), "TEAMWORK_TRUSTED_PROXIES": 1, "WTF_CSRF_ENABLED": True}
    )
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "teamwork_session" in h)
    assert "Secure" in cookie


def test_a_redis_queue_gets_a_pool_sized_for_bursts(tmp_path: Path, monkeypatch) -> None:
    from teamwork import create_app
    from teamwork.extensions import socketio
    from tests.conftest import config_for_tests

    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    create_app(
        {
            **config_for_tests(tmp_path),
            "TEAMWORK_MESSAGE_QUEUE": "redis://127.0.0.1:6379/7",
            "TEAMWORK_REDIS_MAX_CONNECTIONS": 777,
        }
    )
    manager = socketio.server.manager
    assert manager.redis_options["max_connections"] == 777
    assert manager.channel == "flask-socketio"


@pytest.mark.parametrize(
    ("environ", "policy"),
    [
        ({}, "none"),
        ({"TEAMWORK_TWO_STEP_FOR_LEADS": "true"}, "leads"),
        ({"TEAMWORK_TWO_STEP_REQUIRED": "ALL"}, "all"),
        ({"TEAMWORK_TWO_STEP_REQUIRED": "none", "TEAMWORK_TWO_STEP_FOR_LEADS": "true"}, "none"),
    ],
)
def test_two_step_required_is_none_leads_or_all(
    tmp_path: Path, environ: dict[str, str], policy: str
) -> None:
    assert load_config(tmp_path, environ)["TEAMWORK_TWO_STEP_REQUIRED"] == policy


def test_two_step_required_refuses_other_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="none, leads or all"):
        load_config(tmp_path, {"TEAMWORK_TWO_STEP_REQUIRED": "most"})


def test_encryption_key_is_generated_once_or_taken_from_the_environment(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    first = load_config(tmp_path, {})["TEAMWORK_SECRET_ENCRYPTION_KEYS"]
    assert load_config(tmp_path, {})["TEAMWORK_SECRET_ENCRYPTION_KEYS"] == first
    assert (tmp_path / "secret_encryption_key").stat().st_mode & 0o077 == 0
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    environ = {"TEAMWORK_SECRET_ENCRYPTION_KEY": f"{keys[0]}, {keys[1]}"}
    assert load_config(tmp_path, environ)["TEAMWORK_SECRET_ENCRYPTION_KEYS"] == keys
    with pytest.raises(ConfigError, match="TEAMWORK_SECRET_ENCRYPTION_KEY"):
        load_config(tmp_path, {"TEAMWORK_SECRET_ENCRYPTION_KEY": "not-a-key"})


def test_connection_rows_must_outlive_the_heartbeat_that_keeps_them(tmp_path: Path) -> None:
    environ = {"TEAMWORK_SOCKET_HEARTBEAT_SECONDS": "60", "TEAMWORK_SOCKET_EXPIRY_SECONDS": "60"}
    with pytest.raises(ConfigError, match="TEAMWORK_SOCKET_EXPIRY_SECONDS must be longer"):
        load_config(tmp_path, environ)
    defaults = load_config(tmp_path, {})
    assert (
        defaults["TEAMWORK_SOCKET_HEARTBEAT_SECONDS"],
        defaults["TEAMWORK_SOCKET_EXPIRY_SECONDS"],
    ) == (
        30,
        120,
    )


def test_the_default_time_zone_is_utc_and_must_be_a_real_zone(tmp_path) -> None:
    assert load_config(tmp_path, {})["TEAMWORK_DEFAULT_TIMEZONE"] == "UTC"
    chosen = load_config(tmp_path, {"TEAMWORK_DEFAULT_TIMEZONE": "America/Los_Angeles"})
    assert chosen["TEAMWORK_DEFAULT_TIMEZONE"] == "America/Los_Angeles"
    with pytest.raises(ConfigError, match="TEAMWORK_DEFAULT_TIMEZONE"):
        load_config(tmp_path, {"TEAMWORK_DEFAULT_TIMEZONE": "Mars/Olympus_Mons"})
