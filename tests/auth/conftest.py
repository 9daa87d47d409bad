"""Fixtures of the auth tests: the emails the app sent."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask

from teamwork.mail import message_queued


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(_sender: Any, message: EmailMessage, **_extra: Any) -> None:
        sent.append(message)

    message_queued.connect(record, app)
    yield sent
    message_queued.disconnect(record, app)
