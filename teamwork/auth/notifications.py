"""Messages to a person about their own account (an email change for now)."""

from __future__ import annotations

from teamwork.auth.services import EMAIL_CHANGE_TTL, IssuedEmailChange
from teamwork.extensions import db
from teamwork.mail import email_link, send_email


def send_email_change(issued: IssuedEmailChange) -> None:
    """Queue the confirmation link to the new address, and a notice to the old one (so a
    stolen session cannot move the account quietly); the worker sends them."""
    change = issued.change
    hours = int(EMAIL_CHANGE_TTL.total_seconds() // 3600)
    link = email_link("auth.confirm_email", token=issued.token)
    confirm = (
        f"Someone, probably you, asked to use this address for the Teamwork account of "
        f"{change.user.name}.\n\n"
        f"Open this link to confirm (it works once, for {hours} hours):\n{link}\n\n"
        "If you did not ask for this, ignore this message: nothing changes."
    )
    notice = (
        f"Someone signed in to your Teamwork account asked to change its email address to "
        f"{change.new_email}. The change happens only when the link sent to that address is "
        "opened.\n\n"
        "If this was not you, sign in and change your password now (that signs out every "
        "other device), and tell your team's lead or administrator."
    )
    for to, subject, body in (
        (change.new_email, "Confirm your new Teamwork email address", confirm),
        (issued.old_email, "Your Teamwork email address is being changed", notice),
    ):
        send_email(to, subject, body, commit=False)
    db.session.commit()  # both or neither
