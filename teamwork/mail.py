"""Outgoing email through the `TEAMWORK_SMTP_*` settings.

With no SMTP host configured the message is written to the log instead, so someone running the
app on a laptop can still follow an invitation link. Every message sent is also announced on
the `message_sent` signal (tests listen to it). `send_email` delivers before it returns;
`send_email_soon` hands the SMTP conversation to a background thread, for messages whose
sending must not show in a response's timing.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from typing import Any

from blinker import Namespace
from flask import current_app, has_request_context, url_for

log = logging.getLogger("teamwork.mail")
_signals = Namespace()
message_sent = _signals.signal("message-sent")


def absolute_link(endpoint: str, **values: object) -> str | None:
    """An absolute link to a page, for an email or a feed: from TEAMWORK_BASE_URL when set
    (never from a Host header someone could forge), else from the request's or SERVER_NAME's
    host; None when the app cannot know its own address (the CLI, no base URL)."""
    config = current_app.config
    base = config.get("TEAMWORK_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
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


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["TEAMWORK_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_email(to: str, subject: str, body: str) -> None:
    """Send now: returns once the SMTP server took the message (raises if it did not)."""
    message = _message(to, subject, body)
    if not current_app.config["TEAMWORK_SMTP_HOST"]:
        _log_unsent(message, body)
    else:
        _deliver(message)
    message_sent.send(current_app._get_current_object(), message=message)  # type: ignore[attr-defined]


def send_email_soon(to: str, subject: str, body: str) -> None:
    """Send off the request's path: the message is made now and handed to a background thread
    (a greenlet under gevent) of this worker that talks to the SMTP server. For messages whose
    sending must not show in the response: whether a password-reset link or a warning went out
    must not be told by how long the answer took, and a slow or failing mail server must not
    hold a sign-in. A failed delivery is logged; a message not yet delivered when the worker
    stops is lost (the person asks again)."""
    message = _message(to, subject, body)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["TEAMWORK_SMTP_HOST"]:
        _log_unsent(message, body)
    else:
        threading.Thread(
            target=_deliver_in_background, args=(app, message), name="teamwork-mail", daemon=True
        ).start()
    message_sent.send(app, message=message)


def _deliver_in_background(app: Any, message: EmailMessage) -> None:
    with app.app_context():
        try:
            _deliver(message)
        except (OSError, smtplib.SMTPException):
            log.exception("Could not send the email %r to %s", message["Subject"], message["To"])


def _log_unsent(message: EmailMessage, body: str) -> None:
    log.warning(
        "No SMTP server configured; email not sent. To: %s\n%s\n\n%s",
        message["To"],
        message["Subject"],
        body,
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
