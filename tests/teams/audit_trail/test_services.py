"""The audit trail's names are looked up for the team whose trail is shown, and only for it."""

from __future__ import annotations

from teamwork.audit.models import AuditEvent
from teamwork.consensus import services as consensus
from teamwork.teams.audit_trail import services
from teamwork.teams.rules import Role


def test_a_page_of_events_names_its_own_teams_proposals_and_people_but_no_other_teams(
    app, make_team, make_member
) -> None:
    import teamwork.consensus.views  # noqa: F401 - registers the proposal lookup, as at start-up

    ours, theirs = make_team("Ours"), make_team("Theirs")
    lead = make_member(ours, role=Role.LEAD)
    their_lead = make_member(theirs, role=Role.LEAD)
    mine = consensus.create_proposal(lead.user, ours.id, title="Ours to decide", text="T.")
    foreign = consensus.create_proposal(their_lead.user, theirs.id, title="Private", text="P.")
    rows = [
        AuditEvent(
            action="decision.recorded",
            actor_id=None,
            team_id=ours.id,
            details={"proposal_id": mine.id, "title": "Ours to decide"},
        ),
        AuditEvent(
            action="round.opened",
            actor_id=lead.user.id,
            team_id=ours.id,
            target_type="round",
            target_id=None,
            details={"proposal_id": mine.id, "number": 1},
        ),
        # An id of another team's proposal (it cannot be in this trail; if it were, its
        # title would still not be told).
        AuditEvent(
            action="round.opened",
            actor_id=lead.user.id,
            team_id=ours.id,
            details={"proposal_id": foreign.id, "number": 1},
        ),
        AuditEvent(
            action="vote.cast",
            actor_id=their_lead.user.id,
            team_id=ours.id,
            details={"membership_id": their_lead.id, "via": "member"},
        ),
    ]
    lines = services.describe_events(ours.id, rows)
    assert [line.sentence for line in lines] == [
        "The team decided “Ours to decide”.",
        f"{lead.user.name} opened “Ours to decide”, round 1.",
        f"{lead.user.name} opened a proposal, round 1.",
        "A former member voted on a proposal.",
    ]
    assert lines[1].actor == lead.user.name
