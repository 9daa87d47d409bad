"""Signed agreements: creating them, new versions, signatures, their status, exports and renewal
reminders.

Leads write agreements and their versions (`Action.EDIT_CHARTER`); each agency's authorised
representative, a voting member of the team, signs the latest version for their own agency. A
signature records the SHA-256 of the exact text signed, and the signer's form carries the hash
of the text they read, so a version added meanwhile is never signed unread. May import the teams
and consensus services, the mail module and the models.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from teamwork.agreements.models import Agreement, AgreementVersion, Signature
from teamwork.auth.models import User
from teamwork.cleaning import clean_line, clean_text
from teamwork.consensus.services import text_diff
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import absolute_link, send_email
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, Role
from teamwork.teams.services import TeamAccess, team_access, today

TITLE_MAX = 200
TEXT_MAX = 50_000
NAME_MAX = 160
RENEWAL_NOTICE = timedelta(days=30)  # reminders start this long before the renewal date
REMINDER_INTERVAL = timedelta(days=7)  # and then go out at most once a week


class TextChanged(Conflict):
    """The signer's form carried the hash of a text that is no longer the latest version."""

    code = "text_changed"
    default_message = "The text changed while you were reading; review the new version."


class AlreadySigned(Conflict):
    code = "already_signed"


def text_sha256(text: str) -> str:
    """The hex SHA-256 of the UTF-8 text: what a signature says was signed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSignatures:
    version: AgreementVersion
    signatures: list[Signature]


@dataclass(frozen=True)
class AgreementStatus:
    agreement: Agreement
    latest: AgreementVersion
    versions: list[VersionSignatures]  # newest first
    agencies: list[str]  # "m": the agencies of the team's current voting members
    signed: list[str]  # those of them that signed the latest version
    missing: list[str]  # those that have not
    renewal_due: bool  # the renewal date is within the notice period, or past

    @property
    def signed_count(self) -> int:
        return len(self.signed)

    @property
    def agency_count(self) -> int:
        return len(self.agencies)

    @property
    def summary(self) -> str:
        return f"{self.signed_count} of {self.agency_count} agencies signed"

    def signature_of(self, agency: str) -> Signature | None:
        """The agency's signature on the latest version, if it signed."""
        return next((s for s in self.versions[0].signatures if s.agency == agency), None)


def voting_agencies(team_id: int) -> list[str]:
    """The distinct agencies of the team's current voting members (observers do not sign)."""
    return list(
        db.session.scalars(
            sa.select(Membership.agency)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.team_id == team_id,
                Membership.removed_at.is_(None),
                Membership.role != Role.OBSERVER,
                User.deactivated_at.is_(None),
            )
            .distinct()
            .order_by(Membership.agency)
        )
    )


def _status(agreement: Agreement, agencies: list[str], day: date) -> AgreementStatus:
    versions = [VersionSignatures(v, list(v.signatures)) for v in reversed(agreement.versions)]
    on_latest = {s.agency for s in versions[0].signatures}
    return AgreementStatus(
        agreement=agreement,
        latest=agreement.latest,
        versions=versions,
        agencies=agencies,
        signed=[a for a in agencies if a in on_latest],
        missing=[a for a in agencies if a not in on_latest],
        renewal_due=_renewal_due(agreement, day),
    )


def _renewal_due(agreement: Agreement, day: date) -> bool:
    return agreement.renewal_date is not None and agreement.renewal_date <= day + RENEWAL_NOTICE


def _with_signatures() -> sa.Select[tuple[Agreement]]:
    return sa.select(Agreement).options(
        selectinload(Agreement.versions).options(
            joinedload(AgreementVersion.author),
            selectinload(AgreementVersion.signatures),
        )
    )


def list_agreements(actor: User, team_id: int) -> list[AgreementStatus]:
    """The team's agreements, newest first, each with how many agencies signed it."""
    access = team_access(actor, team_id)
    agencies = voting_agencies(access.team.id)
    day = today()
    agreements = db.session.scalars(
        _with_signatures()
        .where(Agreement.team_id == access.team.id)
        .order_by(Agreement.created_at.desc(), Agreement.id.desc())
    )
    return [_status(agreement, agencies, day) for agreement in agreements]


def agreement_status(actor: User, team_id: int, agreement_id: int) -> AgreementStatus:
    """One agreement of the team: n of m agencies signed, who is missing, every version's
    signatures. NotFound for another team's agreement, as for a team the actor is not in."""
    access = team_access(actor, team_id)
    agreement = _team_agreement(access, agreement_id)
    return _status(agreement, voting_agencies(access.team.id), today())


def _team_agreement(access: TeamAccess, agreement_id: int) -> Agreement:
    agreement = db.session.scalar(_with_signatures().where(Agreement.id == agreement_id))
    if agreement is None or agreement.team_id != access.team.id:
        raise NotFound()
    return agreement


def can_sign(access: TeamAccess, status: AgreementStatus) -> bool:
    """Whether the actor may sign the latest version now: a voting member whose agency has not."""
    return access.can(Action.VOTE) and status.signature_of(access.membership.agency) is None


# --- Writing -----------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    return clean_text(text, "text", TEXT_MAX, required="Write the text of the agreement.")


def _clean_title(title: str) -> str:
    return clean_line(title, "title", TITLE_MAX, required="Give the agreement a title.")


def _check_renewal_date(renewal_date: date | None) -> date | None:
    if renewal_date is not None and renewal_date < today():
        raise InvalidInput("The renewal date cannot be in the past.", field="renewal_date")
    return renewal_date


def create_agreement(
    actor: User, team_id: int, *, title: str, text: str, renewal_date: date | None = None
) -> Agreement:
    """A lead writes an agreement; its text is version 1, ready for the agencies to sign."""
    access = team_access(actor, team_id, Action.EDIT_CHARTER)
    title = _clean_title(title)
    text = _clean_text(text)
    renewal_date = _check_renewal_date(renewal_date)
    agreement = Agreement(
        team_id=access.team.id, title=title, renewal_date=renewal_date, created_by_id=actor.id
    )
    db.session.add(agreement)
    db.session.add(
        AgreementVersion(
            agreement=agreement,
            number=1,
            text=text,
            sha256=text_sha256(text),
            renewal_date=renewal_date,
            author_id=actor.id,
        )
    )
    db.session.commit()
    return agreement


def add_version(
    actor: User,
    team_id: int,
    agreement_id: int,
    *,
    text: str,
    renewal_date: date | None = None,
) -> AgreementVersion:
    """A lead writes a new version; it needs new signatures, while the earlier versions keep
    theirs. A renewal date given here replaces the agreement's (none given: it stays)."""
    access = team_access(actor, team_id, Action.EDIT_CHARTER)
    agreement = _team_agreement(access, agreement_id)
    text = _clean_text(text)
    renewal_date = _check_renewal_date(renewal_date)
    previous = agreement.latest
    if previous.text == text:
        raise InvalidInput("This text is the same as the latest version.", field="text")
    version = AgreementVersion(
        agreement=agreement,
        number=previous.number + 1,
        text=text,
        sha256=text_sha256(text),
        diff=text_diff(previous.text, text),
        renewal_date=renewal_date,
        author_id=actor.id,
    )
    db.session.add(version)
    if renewal_date is not None and renewal_date != agreement.renewal_date:
        agreement.renewal_date = renewal_date
        agreement.renewal_reminded_on = None
    try:
        db.session.commit()
    except IntegrityError:
        # Another lead saved the same version number in the same instant.
        db.session.rollback()
        raise Conflict("Someone saved a new version meanwhile; review it and try again.") from None
    return version


def _clean_name(value: str, field: str, missing: str) -> str:
    return clean_line(value, field, NAME_MAX, required=missing)


def sign_version(
    actor: User,
    team_id: int,
    agreement_id: int,
    *,
    text_sha256: str,
    full_name: str,
    title: str,
    confirmed: bool,
    ip_address: str | None = None,
) -> Signature:
    """Sign the agreement's latest version for the actor's own agency.

    `text_sha256` is the hash of the text the signer was shown: when it is not the latest
    version's, the text changed while they read and nothing is signed. One signature per agency
    and version (a unique constraint backs the check against concurrent signers).
    """
    access = team_access(actor, team_id, writing=True)
    if not access.can(Action.VOTE):
        raise Forbidden(
            "Only voting members sign for their agency; observers follow without signing."
        )
    agreement = _team_agreement(access, agreement_id)
    version = agreement.latest
    if (text_sha256 or "").strip().lower() != version.sha256:
        raise TextChanged()
    full_name = _clean_name(full_name, "full_name", "Type your full name to sign.")
    title = _clean_name(title, "title", "Give your title, e.g. Chief Probation Officer.")
    if confirmed is not True:
        raise InvalidInput("Confirm that you agree on behalf of your agency.", field="confirmed")
    agency = access.membership.agency
    existing = db.session.scalar(
        sa.select(Signature).where(Signature.version_id == version.id, Signature.agency == agency)
    )
    if existing is not None:
        raise AlreadySigned(_already_signed(agency, version, existing))
    signature = Signature(
        version=version,
        membership_id=access.membership.id,
        agency=agency,
        full_name=full_name,
        title=title,
        confirmed=True,
        text_sha256=version.sha256,
        ip_address=(ip_address or None) and ip_address[:45],
    )
    db.session.add(signature)
    try:
        db.session.commit()
    except IntegrityError:
        # Another representative of the agency signed in the same instant.
        db.session.rollback()
        raise AlreadySigned(_already_signed(agency, version, None)) from None
    return signature


def _already_signed(agency: str, version: AgreementVersion, existing: Signature | None) -> str:
    by = f" ({existing.full_name}, {existing.signed_at:%d %b %Y})" if existing else ""
    return f"{agency} has already signed version {version.number}{by}; an agency signs once."


# --- Exports -----------------------------------------------------------------------------


def _cell(value: str) -> str:
    """A Markdown table cell: one line, with its pipes escaped."""
    return " ".join(value.split()).replace("|", "\\|")


def agreement_markdown(status: AgreementStatus) -> str:
    """The agreement as a Markdown document: every version's text (newest first) with its
    SHA-256 and the signatures given on it."""
    agreement = status.agreement
    lines = [
        f"# {agreement.title}",
        "",
        f"Team: {agreement.team.name}  ",
        f"Latest version: {status.latest.number}, {status.summary}.  ",
    ]
    if status.missing:
        lines.append(f"Not yet signed by: {'; '.join(status.missing)}.  ")
    if agreement.renewal_date:
        lines.append(f"Renewal date: {agreement.renewal_date.isoformat()}.  ")
    lines.append(f"Exported: {today().isoformat()}.")
    for entry in status.versions:
        version = entry.version
        author = version.author.name if version.author else "someone"
        lines += [
            "",
            f"## Version {version.number}",
            "",
            f"Written by {author}, {version.created_at:%Y-%m-%d %H:%M} UTC.  ",
            f"SHA-256 of the text: `{version.sha256}`",
            "",
            version.text,
            "",
            f"### Signatures on version {version.number}",
            "",
        ]
        if entry.signatures:
            lines += [
                "| Agency | Signed by | Title | Signed at (UTC) | SHA-256 of the text signed |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| {_cell(s.agency)} | {_cell(s.full_name)} | {_cell(s.title)} "
                f"| {s.signed_at:%Y-%m-%d %H:%M} | `{s.text_sha256}` |"
                for s in entry.signatures
            ]
            lines += ["", "Each signatory confirmed: “I agree on behalf of my agency.”"]
        else:
            lines.append("No signatures.")
    return "\n".join(lines) + "\n"


def export_filename(agreement: Agreement) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", agreement.title.lower()).strip("-")[:60] or "agreement"
    return f"{slug}-v{agreement.latest.number}.md"


# --- Renewal reminders -------------------------------------------------------------------


def due_renewals(day: date) -> list[Agreement]:
    """Agreements whose renewal date is within the notice period or already past, soonest
    first (for reminders; no actor: this runs from a scheduled command)."""
    return list(
        db.session.scalars(
            sa.select(Agreement)
            .options(joinedload(Agreement.team))
            .where(
                Agreement.renewal_date.is_not(None),
                Agreement.renewal_date <= day + RENEWAL_NOTICE,
            )
            .order_by(Agreement.renewal_date, Agreement.id)
        )
    )


def _team_leads(team_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.team_id == team_id,
                Membership.removed_at.is_(None),
                Membership.role == Role.LEAD,
                User.deactivated_at.is_(None),
            )
            .order_by(User.id)
        )
    )


def _reminder(agreement: Agreement, status: AgreementStatus, day: date) -> tuple[str, str]:
    renewal = agreement.renewal_date
    assert renewal is not None  # noqa: S101 - due_renewals selects dated agreements only
    days = (renewal - day).days
    span = f"{abs(days)} day{'' if abs(days) == 1 else 's'}"
    when = (
        f"is due for renewal in {span}, on {renewal:%d %B %Y}"
        if days > 0
        else "is due for renewal today"
        if days == 0
        else f"was due for renewal on {renewal:%d %B %Y}, {span} ago"
    )
    missing = f" Not yet signed by: {'; '.join(status.missing)}." if status.missing else ""
    link = absolute_link("agreements.show", team_id=agreement.team_id, agreement_id=agreement.id)
    body = (
        f"The agreement “{agreement.title}” of {agreement.team.name} {when}.\n\n"
        f"Version {status.latest.number}: {status.summary}.{missing}\n\n"
        "To renew it, a lead adds a new version (with the next renewal date) and each agency's "
        "representative signs it"
        + (f":\n{link}\n" if link else " on the agreement's page in Teamwork.\n")
    )
    return f"Agreement renewal: {agreement.title} ({agreement.team.name})", body


def send_renewal_reminders(day: date | None = None) -> int:
    """Email the leads of each team whose agreement is due for renewal (at most once a week
    per agreement); returns how many emails were sent. Meant for a daily scheduled command."""
    day = day or today()
    sent = 0
    for agreement in due_renewals(day):
        last = agreement.renewal_reminded_on
        if last is not None and day < last + REMINDER_INTERVAL:
            continue
        status = _status(
            db.session.scalar(_with_signatures().where(Agreement.id == agreement.id)),
            voting_agencies(agreement.team_id),
            day,
        )
        subject, body = _reminder(agreement, status, day)
        for lead in _team_leads(agreement.team_id):
            # Queued in the transaction that marks the agreement reminded: both or neither.
            send_email(lead.email, subject, body, commit=False)
            sent += 1
        agreement.renewal_reminded_on = day
        db.session.commit()
    return sent
