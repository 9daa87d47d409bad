"""Who may use the moderation pages (merged into tests/test_authorization_matrix.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from teamwork.moderation import services
from teamwork.moderation.rules import Method
from teamwork.teams.services import today

POLICY: dict[str, dict[str, str]] = {
    "moderation.show": {"GET": "member"},
    "moderation.history": {"GET": "member"},
    "moderation.settings": {"GET": "lead", "POST": "lead"},
    "moderation.rotation": {"POST": "lead"},
    "moderation.schedule": {"POST": "lead"},
    "moderation.prepare": {"POST": "lead"},
    "moderation.start_election": {"POST": "lead"},
    "moderation.nominate": {"POST": "voter"},
    "moderation.put_nominee": {"POST": "lead"},
    "moderation.cancel_election": {"POST": "lead"},
    # The moderator in office, the backup (not one of the matrix's actors) or a lead.
    "moderation.stand_in": {"POST": "stand_in"},
    "moderation.end_stand_in": {"POST": "stand_in"},
}


def arrange(ctx: Any) -> dict[str, Any]:
    """An open election with a nomination, and a stand-in recorded today."""
    lead = ctx.members["lead"]
    target = ctx.members["target"]
    services.save_policy(
        lead.user,
        ctx.team.id,
        term_months=6,
        method=Method.ELECTION,
        cycle_agencies=False,
        notice_days=30,
        backup_membership_id=target.id,
    )
    election = services.start_election(lead.user, ctx.team.id, today() + timedelta(days=30))
    nomination = services.nominate(lead.user, ctx.team.id, election.id, target.id)
    stand_in = services.record_stand_in(lead.user, ctx.team.id, stand_in_membership_id=target.id)
    return {
        "election_id": election.id,
        "nomination_id": nomination.id,
        "stand_in_id": stand_in.id,
    }
