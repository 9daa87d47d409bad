"""The workplan as CSV, for spreadsheets: export, and import that creates or updates activities.

Columns (rules.CSV_COLUMNS): id (blank for a new activity), title, description, deliverable,
goal (a charter goal's statement id, or blank), owner_email, collaborators (emails separated by
";"), start_on and due_on (YYYY-MM-DD), status (not_started, in_progress, blocked, done,
dropped), blocked_reason. What export writes, import reads back unchanged.

Email addresses are for the team's leads, who import (and so need the addresses that name
owners): anyone else's export names owners and collaborators by name, in an `owner` column, and
holds no address at all — an observer from another agency gets the plan, not a contact list.

Import checks every row first and changes nothing if any row is wrong, reporting each wrong
row's number and columns. Ids must be activities of the importing team.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from teamwork.auth.models import User
from teamwork.errors import InvalidInput
from teamwork.extensions import db
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, current_members, team_access, today
from teamwork.workplans import rules, services
from teamwork.workplans.models import Activity, ChangeKind
from teamwork.workplans.rules import CSV_COLUMNS, RowErrors, RuleViolation, protect_cell

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
# The export's header for those who get names instead of email addresses.
NAMES_ONLY = {"owner_email": "owner"}


def export_csv(access: TeamAccess) -> str:
    activities = sorted(services.team_activities(access.team.id), key=lambda a: a.id)
    with_emails = access.can(Action.MANAGE_WORKPLAN)

    def who(membership: Any) -> str:
        return membership.user.email if with_emails else membership.user.name

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS if with_emails else [NAMES_ONLY.get(c, c) for c in CSV_COLUMNS])
    for a in activities:
        cells = [
            str(a.id),
            a.title,
            a.description,
            a.deliverable,
            str(a.goal_id) if a.goal_id else "",
            who(a.owner),
            ";".join(sorted(who(m) for m in a.collaborator_memberships)),
            a.start_on.isoformat() if a.start_on else "",
            a.due_on.isoformat() if a.due_on else "",
            a.status.value,
            a.blocked_reason,
        ]
        writer.writerow([protect_cell(cell) for cell in cells])
    return out.getvalue()


class CsvImportError(InvalidInput):
    """The file was refused; `rows` says which lines and columns were wrong."""

    def __init__(self, message: str, rows: list[RowErrors] | None = None) -> None:
        super().__init__(message, field="file")
        self.rows = rows or []


@dataclass
class ImportResult:
    created: list[Activity] = field(default_factory=list)
    updated: list[Activity] = field(default_factory=list)
    unchanged: int = 0


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CsvImportError("The file is too large (at most 2 MB).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(
            "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”."
        ) from None


def import_csv(actor: User, team_id: int, text: str, *, day: date | None = None) -> ImportResult:
    access = team_access(actor, team_id, Action.MANAGE_WORKPLAN)
    day = day or today()
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = headers
    missing = [c for c in CSV_COLUMNS if c not in headers]
    unknown = [h for h in headers if h not in CSV_COLUMNS]
    if not headers:
        raise CsvImportError("The file is empty.")
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
        if unknown:
            parts.append("unknown columns: " + ", ".join(unknown))
        raise CsvImportError(
            "The first line must name the columns "
            + ", ".join(CSV_COLUMNS)
            + " ("
            + "; ".join(parts)
            + ")."
        )

    members = {m.user.email.lower(): m for m in current_members(team_id)}
    goal_ids = {g.statement.id for g in services.team_goals(team_id)}
    activities = {a.id: a for a in services.team_activities(team_id)}
    parsed: list[tuple[int, rules.RowData]] = []
    problems: list[RowErrors] = []
    seen_ids: set[int] = set()
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise CsvImportError(f"The file could not be read as CSV: {exc}.") from None
    if len(rows) > MAX_ROWS:
        raise CsvImportError(f"Import at most {MAX_ROWS} activities at a time.")
    for index, raw in enumerate(rows):
        number = index + 2  # as a spreadsheet numbers rows: the header is row 1
        if None in raw:  # more cells than columns
            errors = RowErrors(number, [("row", "This row has more cells than there are columns.")])
            problems.append(errors)
            continue
        if not any((value or "").strip() for value in raw.values()):
            continue  # blank lines are skipped
        data, errors = rules.parse_row(
            raw,
            number,
            member_emails=set(members),
            goal_ids=goal_ids,
            activity_ids=set(activities),
        )
        if data is not None and data.id is not None:
            if data.id in seen_ids:
                errors.add("id", f"Activity {data.id} appears on more than one row.")
            seen_ids.add(data.id)
            current = activities[data.id]
            try:
                rules.change_status(
                    current.status,
                    data.status,
                    reason=data.blocked_reason,
                    completed_on=current.completed_on,
                    today=day,
                )
            except RuleViolation as exc:
                errors.add(exc.field or "status", exc.message)
        if errors.errors:
            problems.append(errors)
        elif data is not None:
            parsed.append((number, data))
    if problems:
        count = len(problems)
        rows_need = f"{count} rows need" if count != 1 else "1 row needs"
        raise CsvImportError(f"Nothing was imported: {rows_need} correcting.", problems)

    result = ImportResult()
    try:
        for number, data in parsed:
            fields: dict[str, Any] = {
                "title": data.title,
                "description": data.description,
                "deliverable": data.deliverable,
                "goal_id": data.goal_id,
                "owner_id": members[data.owner_email].id,
                "collaborator_ids": [members[e].id for e in data.collaborator_emails],
                "start_on": data.start_on,
                "due_on": data.due_on,
                "status": data.status,
                "blocked_reason": data.blocked_reason,
            }
            try:
                if data.id is None:
                    result.created.append(services.build_activity(access, actor, fields, day))
                else:
                    activity = activities[data.id]
                    changes = services.apply_changes(
                        access, actor, activity, fields, day, kind=ChangeKind.IMPORTED
                    )
                    if changes:
                        result.updated.append(activity)
                    else:
                        result.unchanged += 1
            except InvalidInput as exc:
                column = exc.field or "row"
                raise CsvImportError(
                    "Nothing was imported: 1 row needs correcting.",
                    [RowErrors(number, [(column, exc.message)])],
                ) from None
    except CsvImportError:
        db.session.rollback()
        raise
    db.session.commit()
    return result
