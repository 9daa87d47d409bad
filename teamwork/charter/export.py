"""The whole charter as one document: a Markdown export and the printable page's content.

It gathers what the charter pages show (statements, leadership, norms, the decision rule,
stakeholder incentives, signed agreements) for the team's own members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from teamwork.agreements import services as agreements
from teamwork.auth.models import User
from teamwork.charter import services as charter
from teamwork.charter.models import StatementKind
from teamwork.consensus import services as consensus
from teamwork.consensus.rules import describe_rule
from teamwork.norms import services as norms
from teamwork.teams.services import Roster, TeamAccess, team_roster


@dataclass(frozen=True)
class CharterDocument:
    access: TeamAccess
    statements: dict[StatementKind, list[charter.StatementView]]
    roster: Roster
    norms: Any
    rule_text: str
    incentives: Any
    agreements: list[agreements.AgreementStatus]
    day: date


def charter_document(actor: User, access: TeamAccess, day: date) -> CharterDocument:
    return CharterDocument(
        access=access,
        statements=charter.charter(access),
        roster=team_roster(access),
        norms=norms.current_norms(access),
        rule_text=describe_rule(consensus.decision_rule(access.team)),
        incentives=norms.team_incentives(access, day),
        agreements=agreements.list_agreements(actor, access.team.id),
        day=day,
    )


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def charter_markdown(doc: CharterDocument) -> str:
    team = doc.access.team
    out: list[str] = [f"# Charter of {team.name}", "", f"Exported {doc.day.isoformat()}.", ""]
    for kind in StatementKind:
        views = doc.statements[kind]
        if not views:
            continue
        out += [f"## {kind.label if kind.is_single else kind.label + 's'}", ""]
        for view in views:
            if view.adopted:
                when = view.adopted.adopted_at.date().isoformat() if view.adopted.adopted_at else ""
                out += [_quote(view.adopted.text), "", f"*Adopted by consensus {when}.*", ""]
            if view.draft:
                out += [
                    f"Draft (version {view.draft.number}, not adopted):",
                    "",
                    _quote(view.draft.text),
                    "",
                ]
    out += ["## Leadership and staffing", ""]
    for membership in doc.roster.members:
        if membership.role.value in {"lead", "recorder"}:
            out.append(f"- {membership.role.label}: {membership.user.name} ({membership.agency})")
    if doc.roster.moderator:
        moderator = doc.roster.moderator
        out.append(f"- Moderator: {moderator.user.name} ({moderator.agency})")
    out += ["", "## How the team decides", "", doc.rule_text, ""]
    current = doc.norms
    out += ["## Operating norms", ""]
    if current is None:
        out += ["Not recorded yet.", ""]
    else:
        cadence = current.cadence.label if current.cadence else ""
        when = " ".join(
            part
            for part in (
                current.meeting_day,
                current.meeting_time.strftime("%H:%M") if current.meeting_time else "",
            )
            if part
        )
        out += [
            f"- Meetings: {cadence}{', ' + when if when else ''}",
            f"- Place: {current.meeting_place or '—'}",
            f"- Video link: {current.video_link or '—'}",
            f"- Designees may attend: {'yes' if current.designees_may_attend else 'no'}",
            f"- Designees may vote: {'yes' if current.designees_may_vote else 'no'}",
            "",
        ]
        if current.expectations:
            out += ["What members expect of one another:", ""]
            out += [f"- {item}" for item in current.expectations]
            out.append("")
        if current.discussion:
            out += ["How discussions are managed:", "", current.discussion, ""]
    out += ["## Stakeholder incentives", ""]
    for item in doc.incentives.agencies:
        incentive = item.incentive
        out.append(f"### {item.agency}")
        out.append("")
        if incentive is None:
            out += ["Not recorded yet.", ""]
            continue
        out += [
            f"- Brings: {incentive.brings}",
            f"- Hopes to gain: {incentive.hopes_to_gain}",
            f"- Next review: {incentive.review_date.isoformat() if incentive.review_date else '—'}",
            "",
        ]
    out += ["## Signed agreements", ""]
    if not doc.agreements:
        out += ["None yet.", ""]
    for status in doc.agreements:
        missing = f" (not yet: {', '.join(status.missing)})" if status.missing else ""
        out.append(
            f"- {status.agreement.title}, version {status.latest.number}: {status.summary}{missing}"
        )
    return "\n".join(out).rstrip() + "\n"
