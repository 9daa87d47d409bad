"""Every model of every capability, imported in one place for Alembic and the mappers."""

from teamwork.auth.models import AuthSession, User
from teamwork.teams.models import Invitation, Membership, ModeratorTerm, Team

__all__ = ["AuthSession", "Invitation", "Membership", "ModeratorTerm", "Team", "User"]
