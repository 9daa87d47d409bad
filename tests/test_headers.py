"""Security headers on every response: every page of the app (every GET route of the policy
table, for a team with rows behind each URL, plus the pages outside a team), signed in and
out, answers with the same protective headers."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for

from tests.test_authorization_matrix import POLICY, QUERY, World, world  # noqa: F401

REQUIRED_CSP = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
]
OUTSIDE_A_TEAM = ["/", "/account", "/account/two-step", "/calendar", "/my/deliverables", "/search"]


def team_pages(app: Flask, world_: World) -> list[str]:
    urls = []
    with app.test_request_context():
        for endpoint, methods in sorted(POLICY.items()):
            if "GET" not in methods:
                continue
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            values = {k: world_.values[k] for k in rule.arguments}
            urls.append(url_for(endpoint, **values, **QUERY.get(endpoint, {})))
    return urls


def check(response: Any, *, signed_in: bool) -> list[str]:
    headers = response.headers
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    problems += [f"CSP lacks {d!r}" for d in REQUIRED_CSP if d not in csp]
    if "unsafe-inline" in csp.split("script-src")[1].split(";")[0]:
        problems.append("script-src allows unsafe-inline")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    if headers.get("Referrer-Policy") != "same-origin":
        problems.append("no Referrer-Policy: same-origin")
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append("no restrictive Permissions-Policy")
    if signed_in and "no-store" not in headers.get("Cache-Control", ""):
        problems.append("signed in, but cacheable")
    return problems


def test_every_page_carries_the_security_headers(app: Flask, world: World, login) -> None:  # noqa: F811
    browser = app.test_client()
    login(world.users["lead"], on=browser)
    problems = {}
    for url in [*team_pages(app, world), *OUTSIDE_A_TEAM]:
        response = browser.get(url)
        assert response.status_code < 500, url
        found = check(response, signed_in=True)
        if found:
            problems[url] = found
    anonymous = app.test_client()
    for url in ["/login", "/", team_pages(app, world)[0]]:
        found = check(anonymous.get(url), signed_in=False)
        if found:
            problems[f"{url} (signed out)"] = found
    assert problems == {}


def test_socket_connections_are_accepted_from_the_apps_own_origin_only(app: Flask) -> None:
    from teamwork.extensions import socketio

    allowed = socketio.server.eio.cors_allowed_origins
    assert allowed != "*" and "*" not in (allowed or [])


HSTS = "max-age=31536000; includeSubDomains"


def test_https_responses_carry_hsts(client) -> None:
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_plain_http_responses_never_carry_hsts(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    # Without a trusted proxy the client's own X-Forwarded-Proto counts for nothing.
    forged = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers


def test_a_trusted_proxys_https_scheme_brings_hsts(tmp_path, monkeypatch) -> None:
    from teamwork import create_app
    from tests.conftest import config_for_tests

    monkeypatch.setenv("TEAMWORK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**config_for_tests(tmp_path), "TEAMWORK_TRUSTED_PROXIES": 1})
    browser = app.test_client()
    secure = browser.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"] == HSTS
    plain = browser.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
