"""The charter's operations: drafting statements, putting a version to the team for adoption,
and proposing a new decision rule. Adoption itself happens when the consensus loop records a
decision on the linked proposal (`consensus.signals.decision_recorded`).

Imports: `charter.models`, consensus (services, rules, signals), `norms.services` (whether
members may draft), auth and teams, the database layer; nothing from a capability above the
charter (meetings, moderation, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.charter.models import (
    RuleChange,
    Statement,
    StatementKind,
    StatementVersion,
    VersionStatus,
)
from teamwork.cleaning import clean_text
from teamwork.consensus import services as consensus
from teamwork.consensus.models import Decision, Proposal, ProposalStatus
from teamwork.consensus.rules import DecisionRule, RuleError, describe_rule
from teamwork.consensus.signals import decision_recorded
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.norms.services import members_may_draft
from teamwork.teams.models import Team
from teamwork.teams.rules import Action
from teamwork.teams.services import OversightAccess, TeamAccess, team_access

TEXT_MAX = 10_000


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementView:
    statement: Statement
    adopted: StatementVersion | None
    draft: StatementVersion | None  # the newest version, when it is newer than the adopted one
    versions: list[StatementVersion]


def _view(statement: Statement) -> StatementView:
    versions = list(statement.versions)
    adopted = next((v for v in reversed(versions) if v.status is VersionStatus.ADOPTED), None)
    newest = versions[-1] if versions else None
    draft = newest if newest is not None and newest is not adopted else None
    return StatementView(statement, adopted, draft, versions)


def charter(access: TeamAccess | OversightAccess) -> dict[StatementKind, list[StatementView]]:
    statements = db.session.scalars(
        sa.select(Statement)
        .options(joinedload(Statement.versions).joinedload(StatementVersion.author))
        .where(Statement.team_id == access.team.id)
        .order_by(Statement.id)
    ).unique()
    grouped: dict[StatementKind, list[StatementView]] = {kind: [] for kind in StatementKind}
    for statement in statements:
        grouped[statement.kind].append(_view(statement))
    return grouped


def team_statement(access: TeamAccess | OversightAccess, statement_id: int) -> StatementView:
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.team_id != access.team.id:
        raise NotFound()
    return _view(statement)


def pending_rule_changes(access: TeamAccess | OversightAccess) -> list[RuleChange]:
    return list(
        db.session.scalars(
            sa.select(RuleChange)
            .join(Proposal, Proposal.id == RuleChange.proposal_id)
            .where(
                RuleChange.team_id == access.team.id,
                RuleChange.adopted_at.is_(None),
                Proposal.status.in_(
                    [ProposalStatus.DISCUSSION, ProposalStatus.VOTING, ProposalStatus.TABLED]
                ),
            )
            .order_by(RuleChange.id.desc())
        )
    )


# --- Drafting ----------------------------------------------------------------------------


def _drafting_access(actor: User, team_id: int) -> TeamAccess:
    """Leads draft; so does any voting member when the team's operating norms say so."""
    access = team_access(actor, team_id, writing=True)
    if access.can(Action.EDIT_CHARTER):
        return access
    if access.can(Action.VOTE) and members_may_draft(team_id):
        return access
    raise Forbidden("Only the team's leads start charter drafts (the operating norms say so).")


def can_draft(access: TeamAccess | OversightAccess) -> bool:
    if not isinstance(access, TeamAccess):
        return False
    return access.can(Action.EDIT_CHARTER) or (
        access.can(Action.VOTE) and members_may_draft(access.team.id)
    )


def _clean_text(text: str, kind: StatementKind) -> str:
    required = f"Write the {kind.label.lower()} before saving it."
    return clean_text(text, "text", TEXT_MAX, required=required)


def draft_statement(
    actor: User,
    team_id: int,
    *,
    kind: StatementKind,
    text: str,
    statement_id: int | None = None,
) -> StatementVersion:
    """Save a new draft version: of the given statement, or of the team's mission or vision,
    or of a new goal. Every edit is kept as its own version with a diff to the previous one."""
    access = _drafting_access(actor, team_id)
    kind = StatementKind(kind)
    text = _clean_text(text, kind)
    if statement_id is not None:
        statement = db.session.get(Statement, statement_id)
        if statement is None or statement.team_id != team_id:
            raise NotFound()
    elif kind.is_single:
        statement = db.session.scalar(
            sa.select(Statement).where(Statement.team_id == team_id, Statement.kind == kind)
        )
    else:
        statement = None
    if statement is None:
        statement = Statement(team_id=access.team.id, kind=kind, created_by_id=actor.id)
        db.session.add(statement)
        db.session.flush()
    previous = statement.versions[-1] if statement.versions else None
    if previous is not None and previous.text == text:
        raise InvalidInput("This text is the same as the latest version.", field="text")
    version = StatementVersion(
        statement=statement,
        number=(previous.number + 1) if previous else 1,
        text=text,
        diff=consensus.text_diff(previous.text, text) if previous else "",
        author_id=actor.id,
    )
    db.session.add(version)
    db.session.commit()
    return version


def propose_adoption(actor: User, team_id: int, version_id: int) -> Proposal:
    """Put a draft version to the team as a consensus proposal; consensus adopts it."""
    access = _drafting_access(actor, team_id)
    version = db.session.get(StatementVersion, version_id)
    if version is None or version.statement.team_id != access.team.id:
        raise NotFound()
    if version.status is not VersionStatus.DRAFT:
        raise Conflict("Only a draft can be put to the team for adoption.")
    if version.proposal_id is not None and not version.proposal.status.is_final:
        raise Conflict("This draft is already before the team.")
    kind = version.statement.kind
    proposal = consensus.create_proposal(
        actor,
        team_id,
        title=f"Adopt the {kind.label.lower()} (version {version.number})",
        text=version.text,
    )
    version.proposal_id = proposal.id
    db.session.commit()
    return proposal


# --- The decision rule -------------------------------------------------------------------


def propose_rule_change(actor: User, team_id: int, rule_data: dict[str, Any]) -> Proposal:
    """Changing how the team decides is itself decided by consensus (under the current rule)."""
    access = team_access(actor, team_id, Action.EDIT_CHARTER)
    try:
        rule = DecisionRule.from_dict(rule_data)
    except RuleError as exc:
        raise InvalidInput(exc.message, field=exc.field) from None
    if rule == consensus.decision_rule(access.team):
        raise InvalidInput("That is the rule already in force.")
    proposal = consensus.create_proposal(
        actor, team_id, title="Change how the team decides", text=describe_rule(rule)
    )
    db.session.add(
        RuleChange(
            team_id=access.team.id,
            rule=rule.to_dict(),
            proposal_id=proposal.id,
            created_by_id=actor.id,
        )
    )
    db.session.commit()
    return proposal


# --- Adoption, on a consensus decision ---------------------------------------------------


@decision_recorded.connect
def _on_decision(decision: Decision, **_extra: Any) -> None:
    """Adopt what the decided proposal was about (a charter version, a rule change)."""
    version = db.session.scalar(
        sa.select(StatementVersion).where(StatementVersion.proposal_id == decision.proposal_id)
    )
    if version is not None:
        _adopt(version, decision)
    change = db.session.scalar(
        sa.select(RuleChange).where(RuleChange.proposal_id == decision.proposal_id)
    )
    if change is not None:
        team = db.session.get(Team, change.team_id)
        assert team is not None  # noqa: S101 - the foreign key guarantees it
        team.decision_rule = dict(change.rule)
        change.adopted_at = decision.decided_at


def _adopt(version: StatementVersion, decision: Decision) -> None:
    statement = version.statement
    if decision.text != version.text:
        # The team amended the text on the way to consensus: what was decided is adopted,
        # as a new version.
        last = statement.versions[-1]
        version = StatementVersion(
            statement=statement,
            number=last.number + 1,
            text=decision.text,
            diff=consensus.text_diff(last.text, decision.text),
            author_id=version.author_id,
            proposal_id=decision.proposal_id,
        )
        db.session.add(version)
    for earlier in statement.versions:
        if earlier.status is VersionStatus.ADOPTED and earlier is not version:
            earlier.status = VersionStatus.SUPERSEDED
    version.status = VersionStatus.ADOPTED
    version.adopted_at = decision.decided_at or utcnow()
