"""Messages to people about their teams (invitations for now)."""

from __future__ import annotations

from teamwork.auth.models import User
from teamwork.mail import email_link, send_email
from teamwork.teams.services import IssuedInvitation


def send_invitation(issued: IssuedInvitation, *, inviter: User) -> None:
    """Queue the email with the one-time link: the worker sends it, retrying a failing mail
    server (a failure delays the email, it never fails the invitation)."""
    invitation = issued.invitation
    link = email_link("invitations.accept", token=issued.token)
    expires = invitation.expires_at.strftime("%d %B %Y")
    body = (
        f"{inviter.name} invites you to join {invitation.team.name} on Teamwork "
        f"as {invitation.role.label.lower()}, representing {invitation.agency}.\n\n"
        f"Open this link to accept (it works once, until {expires} UTC):\n{link}\n\n"
        "If you were not expecting this invitation, you can ignore this message."
    )
    send_email(invitation.email, f"Invitation to join {invitation.team.name}", body)
