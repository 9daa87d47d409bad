"""Outgoing email: queued with the action that sends it, delivered by the background worker.

`send_email` queues a message in the email outbox (`teamwork.outbox`, which plugs itself in
with `set_queue` at start-up: the foundation cannot import it); nothing talks to an SMTP server
inside a request, so a slow or failing mail server delays mail and never fails an action or
shows in a response's timing. The worker (`flask worker`) builds each message with
`build_message` and hands it to `deliver`, through the `TEAMWORK_SMTP_*` settings. With no SMTP
host configured the message is written to the log instead, so someone running the app on a
laptop can still follow an invitation link.

Two signals (tests listen to them): `message_queued` when a message is queued (in the caller's
transaction, which may still roll back), `message_delivered` when the worker has handed it to
the SMTP server (or the log). Each carries the `EmailMessage`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

from blinker import Namespace
from flask import current_app, has_request_context, url_for

log = logging.getLogger("teamwork.mail")
_signals = Namespace()
message_queued = _signals.signal("message-queued")
message_delivered = _signals.signal("message-delivered")

# queue(to, subject, body, *, html, headers, commit): filled by teamwork.outbox at start-up.
Queue = Callable[..., Any]
_queue: Queue | None = None


def set_queue(queue: Queue) -> None:
    global _queue
    _queue = queue


def absolute_link(endpoint: str, **values: object) -> str | None:
    """An absolute link to a page, for an email or a feed: from TEAMWORK_BASE_URL when set
    (never from a Host header someone could forge), else from the request's or SERVER_NAME's
    host; None when the app cannot know its own address (the CLI, no base URL)."""
    config = current_app.config
    base = config.get("TEAMWORK_BASE_URL")
    if base:
        # The worker sends from no request, where url_for needs SERVER_NAME: the path is built
        # from the URL map itself.
        path = (
            url_for(endpoint, **values)
            if has_request_context()
            else current_app.url_map.bind("localhost").build(endpoint, values)
        )
        return base.rstrip("/") + path
    if has_request_context() or config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    return None


def email_link(endpoint: str, **values: object) -> str:
    """`absolute_link`, or the page's path when the app cannot know its own address (a
    reminder sent by the CLI with TEAMWORK_BASE_URL unset still names the page)."""
    absolute = absolute_link(endpoint, **values)
    if absolute is not None:
        return absolute
    return current_app.url_map.bind("localhost").build(endpoint, values)


def build_message(
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The message as sent: plain text, with `html` as its alternative when given."""
    message = EmailMessage()
    message["From"] = current_app.config["TEAMWORK_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_email(
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    commit: bool = True,
) -> None:
    """Queue a message for the worker to send. With `commit` (the default, for callers that
    send after committing their action) the message is committed at once; with
    `commit=False` it joins the caller's transaction and goes only if that commits."""
    if _queue is None:
        raise RuntimeError("No email outbox is set up (teamwork.outbox.services.init_app).")
    _queue(to, subject, body, html=html, headers=dict(headers or {}), commit=commit)


def deliver(message: EmailMessage) -> None:
    """Hand a message to the SMTP server (raises if it does not take it), or with no
    TEAMWORK_SMTP_HOST write it to the log. The worker's outbox job calls this."""
    if not current_app.config["TEAMWORK_SMTP_HOST"]:
        _log_unsent(message)
    else:
        _deliver(message)


def _log_unsent(message: EmailMessage) -> None:
    body = message.get_body(preferencelist=("plain",))
    log.warning(
        "No SMTP server configured; email not sent. To: %s\n%s\n\n%s",
        message["To"],
        message["Subject"],
        body.get_content() if body is not None else "",
    )


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    host, port = config["TEAMWORK_SMTP_HOST"], config["TEAMWORK_SMTP_PORT"]
    context = ssl.create_default_context()
    if config["TEAMWORK_SMTP_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, context=context, timeout=20)
    else:
        smtp = smtplib.SMTP(host, port, timeout=20)
    with smtp:
        if config["TEAMWORK_SMTP_STARTTLS"] and not config["TEAMWORK_SMTP_SSL"]:
            smtp.starttls(context=context)
        if config["TEAMWORK_SMTP_USERNAME"]:
            smtp.login(config["TEAMWORK_SMTP_USERNAME"], config["TEAMWORK_SMTP_PASSWORD"] or "")
        smtp.send_message(message)
