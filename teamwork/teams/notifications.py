"""Messages to people about their teams (invitations for now)."""

from __future__ import annotations

import logging
import smtplib

from teamwork.auth.models import User
from teamwork.mail import email_link, send_email
from teamwork.teams.services import IssuedInvitation

log = logging.getLogger(__name__)


def send_invitation(issued: IssuedInvitation, *, inviter: User) -> bool:
    """Email the one-time link; False when delivery failed (the invitation itself is kept)."""
    invitation = issued.invitation
    link = email_link("invitations.accept", token=issued.token)
    expires = invitation.expires_at.strftime("%d %B %Y")
    body = (
        f"{inviter.name} invites you to join {invitation.team.name} on Teamwork "
        f"as {invitation.role.label.lower()}, representing {invitation.agency}.\n\n"
        f"Open this link to accept (it works once, until {expires} UTC):\n{link}\n\n"
        "If you were not expecting this invitation, you can ignore this message."
    )
    try:
        send_email(invitation.email, f"Invitation to join {invitation.team.name}", body)
    except (smtplib.SMTPException, OSError):
        log.exception("Could not send the invitation email to %s", invitation.email)
        return False
    return True
