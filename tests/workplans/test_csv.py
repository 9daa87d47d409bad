"""CSV export and import: what is exported imports back unchanged, and a file with any bad row
changes nothing and says which rows and columns are wrong."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from teamwork.errors import Forbidden
from teamwork.extensions import db
from teamwork.teams.services import team_access
from teamwork.workplans import services
from teamwork.workplans.csv_io import CsvImportError, export_csv, import_csv
from teamwork.workplans.models import Activity, ActivityChange, ChangeKind
from teamwork.workplans.rules import CSV_COLUMNS
from teamwork.workplans.rules import ActivityStatus as S
from tests.workplans.conftest import TODAY


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def write(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def fingerprint() -> list[tuple]:
    activities = db.session.execute(sa.select(Activity.__table__)).all()
    changes = db.session.scalar(sa.select(sa.func.count(ActivityChange.id)))
    return [*activities, (changes,)]


@pytest.fixture
def filled(plan):
    p = plan()
    p.add(
        title="Survey practices",
        description='Line one\nLine two, with "quotes"',
        deliverable="=Summary of practices",  # a spreadsheet would run this as a formula
        goal_id=p.long_goal_id,
        collaborator_ids=[p.member.id, p.observer.id],
        start_on=date(2026, 2, 1),
        due_on=date(2026, 3, 1),
    )
    blocked = p.add(title="Legal review", due_on=date(2026, 4, 1))
    services.set_status(
        p.owner.user, p.team.id, blocked.id, status=S.BLOCKED, blocked_reason="No reviewer"
    )
    done = p.add(title="Roster", owner_id=p.member.id)
    services.set_status(p.member.user, p.team.id, done.id, status=S.DONE, day=TODAY)
    return p


def test_export_lists_every_activity_with_its_columns(filled) -> None:
    p = filled
    rows = rows_of(export_csv(team_access(p.lead.user, p.team.id)))
    assert [r["title"] for r in rows] == ["Survey practices", "Legal review", "Roster"]
    first = rows[0]
    assert first["goal"] == str(p.long_goal_id)
    assert first["owner_email"] == p.owner.user.email
    assert first["collaborators"] == ";".join(sorted([p.member.user.email, p.observer.user.email]))
    assert (first["start_on"], first["due_on"]) == ("2026-02-01", "2026-03-01")
    assert first["deliverable"] == "'=Summary of practices"
    assert rows[1]["status"] == "blocked" and rows[1]["blocked_reason"] == "No reviewer"


@pytest.mark.parametrize("who", ["owner", "member", "observer"])
def test_export_names_people_without_their_email_addresses_for_everyone_but_leads(
    filled, who: str
) -> None:
    p = filled
    text = export_csv(team_access(getattr(p, who).user, p.team.id))
    assert "@" not in text
    rows = rows_of(text)
    assert "owner_email" not in rows[0]
    assert rows[0]["owner"] == p.owner.user.name
    assert rows[0]["collaborators"] == ";".join(sorted([p.member.user.name, p.observer.user.name]))
    assert rows[2]["owner"] == p.member.user.name


def test_the_downloaded_export_gives_an_observer_names_and_a_lead_addresses(
    filled, signed_in
) -> None:
    p = filled
    url = f"/teams/{p.team.id}/workplan/export.csv"
    observer = signed_in(p.observer.user).get(url)
    assert observer.status_code == 200
    assert p.owner.user.email not in observer.text and p.owner.user.name in observer.text
    lead = signed_in(p.lead.user).get(url)
    assert p.owner.user.email in lead.text


def test_importing_the_export_changes_nothing(filled) -> None:
    p = filled
    text = export_csv(team_access(p.lead.user, p.team.id))
    before = fingerprint()
    result = import_csv(p.lead.user, p.team.id, text, day=TODAY)
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 0, 3)
    assert fingerprint() == before


def test_export_then_import_into_another_team_recreates_the_activities(
    filled, make_team, make_member
) -> None:
    p = filled
    team2 = make_team("Core team")
    lead2 = make_member(team2, p.lead.user, role=p.lead.role)
    for m in (p.owner, p.member, p.observer):
        make_member(team2, m.user)
    original = rows_of(export_csv(team_access(p.lead.user, p.team.id)))
    fresh = [{**r, "id": "", "goal": ""} for r in original]
    result = import_csv(lead2.user, team2.id, write(fresh), day=TODAY)
    assert len(result.created) == 3
    copied = rows_of(export_csv(team_access(p.lead.user, team2.id)))
    strip = [{k: v for k, v in r.items() if k not in {"id", "goal"}} for r in original]
    assert [{k: v for k, v in r.items() if k not in {"id", "goal"}} for r in copied] == strip
    done = db.session.scalar(
        sa.select(Activity).where(Activity.team_id == team2.id, Activity.status == S.DONE)
    )
    assert done.completed_on == TODAY


def test_an_edited_row_updates_its_activity_with_history(filled) -> None:
    p = filled
    rows = rows_of(export_csv(team_access(p.lead.user, p.team.id)))
    rows[0]["due_on"] = "2026-03-15"
    rows.append(
        dict.fromkeys(CSV_COLUMNS, "") | {"title": "New", "owner_email": p.member.user.email}
    )
    result = import_csv(p.lead.user, p.team.id, write(rows), day=TODAY)
    assert (len(result.created), len(result.updated), result.unchanged) == (1, 1, 2)
    activity = db.session.get(Activity, int(rows[0]["id"]))
    assert activity.due_on == date(2026, 3, 15)
    last = activity.changes[-1]
    assert last.kind is ChangeKind.IMPORTED and last.actor_id == p.lead.user_id
    assert last.changes == {"due_on": ["2026-03-01", "2026-03-15"]}


def test_one_bad_row_imports_nothing_and_names_rows_and_columns(filled, plan) -> None:
    p = filled
    other = plan()
    foreign = other.add(title="Not yours")
    rows = rows_of(export_csv(team_access(p.lead.user, p.team.id)))
    rows[0]["title"] = "Renamed"  # a good change, which must not be applied either
    rows[1]["due_on"] = "2026-13-01"
    rows[2]["status"] = "blocked"  # done cannot become blocked, and no reason is given
    rows.append(
        dict.fromkeys(CSV_COLUMNS, "")
        | {"id": str(foreign.id), "title": "Steal", "owner_email": "nobody@example.org"}
    )
    before = fingerprint()
    with pytest.raises(CsvImportError) as caught:
        import_csv(p.lead.user, p.team.id, write(rows), day=TODAY)
    problems = {(r.number, column) for r in caught.value.rows for column, _m in r.errors}
    assert problems == {
        (3, "due_on"),
        (4, "blocked_reason"),
        (5, "id"),
        (5, "owner_email"),
    }
    assert "3 rows need correcting" in caught.value.message
    db.session.rollback()
    assert fingerprint() == before


def test_done_rows_cannot_jump_to_blocked_even_with_a_reason(filled) -> None:
    p = filled
    rows = rows_of(export_csv(team_access(p.lead.user, p.team.id)))
    rows[2] |= {"status": "blocked", "blocked_reason": "Why not"}
    with pytest.raises(CsvImportError) as caught:
        import_csv(p.lead.user, p.team.id, write(rows), day=TODAY)
    assert [(r.number, [c for c, _m in r.errors]) for r in caught.value.rows] == [(4, ["status"])]


@pytest.mark.parametrize(
    "text",
    ["", "title,owner_email\nA,a@example.org\n", ",".join([*CSV_COLUMNS, "extra"]) + "\n"],
)
def test_files_without_the_right_columns_are_refused(filled, text: str) -> None:
    p = filled
    before = fingerprint()
    with pytest.raises(CsvImportError):
        import_csv(p.lead.user, p.team.id, text, day=TODAY)
    assert fingerprint() == before


def test_only_leads_import(filled) -> None:
    p = filled
    text = export_csv(team_access(p.owner.user, p.team.id))
    with pytest.raises(Forbidden):
        import_csv(p.owner.user, p.team.id, text, day=TODAY)
