"""Signed agreements: versions, each agency's signature on the exact text, n of m agencies,
who may do what, the exports and renewal reminders."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from teamwork.agreements import services
from teamwork.agreements.models import Agreement, AgreementVersion, Signature
from teamwork.auth.models import User
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Discipline, Role
from teamwork.teams.services import today

PROBATION = "Northfield County Probation Department"
TREATMENT = "Riverbend Treatment Associates"
ADVOCACY = "Northfield Victim Advocacy Center"
COURT = "Northfield District Court"
MOU = "The agencies decide jointly, by consensus.\nProbation supervises; treatment treats."


@dataclass
class World:
    team: Team
    lead: Membership
    probation: Membership  # a member of the lead's agency
    treatment: Membership
    advocate: Membership
    observer: Membership  # the court: follows, does not sign
    outsider: Membership  # a lead of another team

    @property
    def voting_agencies(self) -> list[str]:
        return sorted([PROBATION, TREATMENT, ADVOCACY])


@pytest.fixture
def world(make_team, make_member) -> World:
    team = make_team("Northfield County SOM Team")
    return World(
        team=team,
        lead=make_member(team, role=Role.LEAD, agency=PROBATION),
        probation=make_member(team, agency=PROBATION),
        treatment=make_member(
            team, role=Role.RECORDER, agency=TREATMENT, discipline=Discipline.TREATMENT
        ),
        advocate=make_member(team, agency=ADVOCACY, discipline=Discipline.VICTIM_ADVOCACY),
        observer=make_member(
            team, role=Role.OBSERVER, agency=COURT, discipline=Discipline.JUDICIARY
        ),
        outsider=make_member(make_team("Harbor County"), role=Role.LEAD, agency="Harbor Police"),
    )


def create(
    w: World, text: str = MOU, title: str = "Memorandum of understanding", **kwargs: Any
) -> Agreement:
    return services.create_agreement(w.lead.user, w.team.id, title=title, text=text, **kwargs)


def sign(member: Membership, agreement: Agreement, **overrides: Any) -> Signature:
    db.session.refresh(agreement)
    fields: dict[str, Any] = {
        "text_sha256": agreement.latest.sha256,
        "full_name": member.user.name,
        "title": "Director",
        "confirmed": True,
    }
    return services.sign_version(
        member.user, member.team_id, agreement.id, **{**fields, **overrides}
    )


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Versions ----------------------------------------------------------------------------


def test_an_agreement_starts_as_version_1_with_the_hash_of_its_text(world: World) -> None:
    agreement = create(world, renewal_date=today() + timedelta(days=365))
    (version,) = agreement.versions
    assert (version.number, version.text, version.diff) == (1, MOU, "")
    assert version.sha256 == sha(MOU)
    assert version.author_id == world.lead.user_id and version.created_at is not None
    assert agreement.created_by_id == world.lead.user_id
    assert agreement.renewal_date == today() + timedelta(days=365)


def test_every_new_version_is_numbered_hashed_and_diffed(world: World) -> None:
    agreement = create(world)
    second = services.add_version(
        world.lead.user, world.team.id, agreement.id, text=MOU + "\nPolygraph examines."
    )
    third = services.add_version(world.lead.user, world.team.id, agreement.id, text="Shorter.")
    assert [v.number for v in agreement.versions] == [1, 2, 3]
    assert second.sha256 == sha(MOU + "\nPolygraph examines.")
    assert "+Polygraph examines." in second.diff
    assert "+Shorter." in third.diff and third.author_id == world.lead.user_id


def test_a_new_version_can_move_the_renewal_date_and_keeps_it_otherwise(world: World) -> None:
    first = today() + timedelta(days=100)
    agreement = create(world, renewal_date=first)
    services.add_version(world.lead.user, world.team.id, agreement.id, text="v2")
    assert db.session.get(Agreement, agreement.id).renewal_date == first
    later = today() + timedelta(days=465)
    v3 = services.add_version(
        world.lead.user, world.team.id, agreement.id, text="v3", renewal_date=later
    )
    assert db.session.get(Agreement, agreement.id).renewal_date == later
    assert v3.renewal_date == later  # the change is kept with who and when


def test_the_same_text_again_is_not_a_new_version(world: World) -> None:
    agreement = create(world)
    with pytest.raises(InvalidInput) as refused:
        services.add_version(world.lead.user, world.team.id, agreement.id, text=MOU)
    assert refused.value.field == "text"
    assert count(AgreementVersion) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"text": ""}, "text"),
        ({"text": " \n "}, "text"),
        ({"renewal_date": "past"}, "renewal_date"),
    ],
)
def test_bad_agreement_input_is_refused_beside_its_field_and_changes_nothing(
    world: World, fields: dict[str, Any], field: str
) -> None:
    if fields.get("renewal_date") == "past":
        fields = {"renewal_date": today() - timedelta(days=1)}
    data = {"title": "MOU", "text": MOU, **fields}
    with pytest.raises(InvalidInput) as refused:
        services.create_agreement(world.lead.user, world.team.id, **data)
    assert refused.value.field == field
    db.session.rollback()
    assert count(Agreement) == count(AgreementVersion) == 0


def test_a_new_version_with_a_past_renewal_date_is_refused(world: World) -> None:
    agreement = create(world)
    with pytest.raises(InvalidInput) as refused:
        services.add_version(
            world.lead.user,
            world.team.id,
            agreement.id,
            text="v2",
            renewal_date=today() - timedelta(days=1),
        )
    assert refused.value.field == "renewal_date"
    db.session.rollback()
    assert count(AgreementVersion) == 1
    assert db.session.get(Agreement, agreement.id).renewal_date is None


def test_only_leads_write_agreements_and_versions(world: World) -> None:
    with pytest.raises(Forbidden):
        services.create_agreement(world.probation.user, world.team.id, title="T", text="X")
    agreement = create(world)
    with pytest.raises(Forbidden):
        services.add_version(world.treatment.user, world.team.id, agreement.id, text="X")
    with pytest.raises(NotFound):
        services.add_version(world.outsider.user, world.team.id, agreement.id, text="X")
    assert count(Agreement) == 1 and count(AgreementVersion) == 1


# --- Signatures --------------------------------------------------------------------------


def test_signing_records_the_name_title_agency_confirmation_time_and_hash_of_the_text(
    world: World,
) -> None:
    agreement = create(world)
    before = utcnow()
    services.sign_version(
        world.treatment.user,
        world.team.id,
        agreement.id,
        text_sha256=sha(MOU),
        full_name="  Sam   Okafor ",
        title="Clinical Director",
        confirmed=True,
        ip_address="203.0.113.7",
    )
    stored = db.session.scalar(sa.select(Signature))
    assert stored.version_id == agreement.versions[0].id
    assert stored.membership_id == world.treatment.id
    assert (stored.full_name, stored.title, stored.agency) == (
        "Sam Okafor",
        "Clinical Director",
        TREATMENT,
    )
    assert stored.confirmed is True
    assert stored.text_sha256 == sha(MOU) == agreement.versions[0].sha256
    assert before <= stored.signed_at <= utcnow()
    assert stored.ip_address == "203.0.113.7"


def test_the_agency_is_the_one_on_the_signers_membership_and_stays_as_signed(
    world: World,
) -> None:
    agreement = create(world)
    sign(world.advocate, agreement)
    world.advocate.agency = "Renamed Advocacy Center"
    db.session.commit()
    assert db.session.scalar(sa.select(Signature.agency)) == ADVOCACY


def test_a_new_version_needs_new_signatures_and_the_old_ones_stay_on_version_1(
    world: World,
) -> None:
    agreement = create(world)
    for member in (world.lead, world.treatment, world.advocate):
        sign(member, agreement)
    v1 = agreement.versions[0]
    assert services.agreement_status(world.lead.user, world.team.id, agreement.id).summary == (
        "3 of 3 agencies signed"
    )

    v2 = services.add_version(world.lead.user, world.team.id, agreement.id, text=MOU + " Amended.")
    status = services.agreement_status(world.lead.user, world.team.id, agreement.id)
    assert status.latest.id == v2.id
    assert (status.signed_count, status.agency_count) == (0, 3)
    assert status.missing == world.voting_agencies
    assert {s.version_id for s in db.session.scalars(sa.select(Signature))} == {v1.id}
    assert [len(entry.signatures) for entry in status.versions] == [0, 3]  # newest first

    sign(world.treatment, agreement)  # re-signing the new version
    rows = db.session.execute(sa.select(Signature.version_id, Signature.text_sha256)).all()
    assert sorted(rows) == sorted([(v1.id, v1.sha256)] * 3 + [(v2.id, v2.sha256)])


def test_a_second_signature_by_the_same_agency_is_refused(world: World) -> None:
    agreement = create(world)
    sign(world.lead, agreement)
    with pytest.raises(services.AlreadySigned, match="already signed version 1"):
        sign(world.probation, agreement)  # same agency, another person
    with pytest.raises(Conflict):
        sign(world.lead, agreement)  # the same person again
    assert count(Signature) == 1


def test_the_database_refuses_two_signatures_of_one_agency_on_a_version(world: World) -> None:
    agreement = create(world)
    first = sign(world.lead, agreement)
    db.session.add(
        Signature(
            version_id=first.version_id,
            membership_id=world.probation.id,
            agency=PROBATION,
            full_name="Jordan Ellis",
            title="Officer",
            confirmed=True,
            text_sha256=first.text_sha256,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count(Signature) == 1


def test_an_observer_cannot_sign(world: World) -> None:
    agreement = create(world)
    with pytest.raises(Forbidden, match="observers"):
        sign(world.observer, agreement)
    assert count(Signature) == 0


def test_a_non_member_cannot_sign_and_learns_nothing(world: World) -> None:
    agreement = create(world)
    with pytest.raises(NotFound):
        services.sign_version(
            world.outsider.user,
            world.team.id,
            agreement.id,
            text_sha256=sha(MOU),
            full_name="Chris Delaney",
            title="Chief",
            confirmed=True,
        )
    # Not through their own team either: the agreement is not theirs.
    with pytest.raises(NotFound):
        services.sign_version(
            world.outsider.user,
            world.outsider.team_id,
            agreement.id,
            text_sha256=sha(MOU),
            full_name="Chris Delaney",
            title="Chief",
            confirmed=True,
        )
    assert count(Signature) == 0


def test_a_removed_member_cannot_sign(world: World) -> None:
    agreement = create(world)
    world.advocate.removed_at = utcnow()
    db.session.commit()
    with pytest.raises(NotFound):
        sign(world.advocate, agreement)
    assert count(Signature) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"confirmed": False}, "confirmed"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"title": ""}, "title"),
        ({"full_name": "x" * 161}, "full_name"),
    ],
)
def test_bad_signing_input_is_refused_beside_its_field_and_signs_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    agreement = create(world)
    with pytest.raises(InvalidInput) as refused:
        sign(world.treatment, agreement, **overrides)
    assert refused.value.field == field
    db.session.rollback()
    assert count(Signature) == 0


def test_a_stale_text_hash_is_refused(world: World) -> None:
    agreement = create(world)
    seen = agreement.versions[0].sha256  # the signer opened the page on version 1...
    services.add_version(world.lead.user, world.team.id, agreement.id, text="Changed terms.")
    with pytest.raises(services.TextChanged, match="text changed while you were reading"):
        sign(world.treatment, agreement, text_sha256=seen)  # ...and submits after version 2
    with pytest.raises(services.TextChanged):
        sign(world.treatment, agreement, text_sha256="")
    assert count(Signature) == 0


def test_n_of_m_counts_the_agencies_of_current_voting_members(
    world: World, make_member, make_user
) -> None:
    agreement = create(world)
    sign(world.advocate, agreement)
    status = services.agreement_status(world.probation.user, world.team.id, agreement.id)
    assert status.agencies == world.voting_agencies  # not the observing court
    assert status.signed == [ADVOCACY]
    assert status.missing == [PROBATION, TREATMENT]
    assert status.summary == "1 of 3 agencies signed"

    # An agency whose only voting member left, or was deactivated, no longer counts.
    world.treatment.removed_at = utcnow()
    police = make_member(world.team, agency="Northfield Police Department")
    police.user.deactivated_at = utcnow()
    db.session.commit()
    status = services.agreement_status(world.probation.user, world.team.id, agreement.id)
    assert (status.signed_count, status.agency_count, status.missing) == (1, 2, [PROBATION])


def test_list_agreements_shows_each_with_its_count(world: World) -> None:
    first = create(world, title="Memorandum of understanding")
    second = create(world, title="Information-sharing agreement")
    sign(world.lead, first)
    listed = services.list_agreements(world.observer.user, world.team.id)
    assert [(s.agreement.id, s.signed_count) for s in listed] == [(second.id, 0), (first.id, 1)]
    with pytest.raises(NotFound):
        services.list_agreements(world.outsider.user, world.team.id)


# --- Exports -----------------------------------------------------------------------------


def test_markdown_export_has_every_version_and_its_signatures_with_their_hashes(
    world: World,
) -> None:
    agreement = create(world)
    sign(world.treatment, agreement, full_name="Sam | Okafor", title="Clinical Director")
    services.add_version(world.lead.user, world.team.id, agreement.id, text="Version two text.")
    sign(world.advocate, agreement, full_name="Alex Moreno")
    status = services.agreement_status(world.lead.user, world.team.id, agreement.id)
    markdown = services.agreement_markdown(status)
    assert markdown.startswith("# Memorandum of understanding\n")
    assert MOU in markdown and "Version two text." in markdown
    assert "1 of 3 agencies signed" in markdown
    assert f"`{sha(MOU)}`" in markdown and f"`{sha('Version two text.')}`" in markdown
    assert f"| {TREATMENT} | Sam \\| Okafor | Clinical Director |" in markdown
    assert f"| {ADVOCACY} | Alex Moreno |" in markdown
    assert markdown.index("## Version 2") < markdown.index("## Version 1")


# --- Renewal reminders -------------------------------------------------------------------


@pytest.fixture
def outbox(app: Flask) -> list[EmailMessage]:
    sent: list[EmailMessage] = []

    def record(_sender: Any, message: EmailMessage, **_extra: Any) -> None:
        sent.append(message)

    message_queued.connect(record, app)
    yield sent
    message_queued.disconnect(record, app)


def test_due_renewals_are_those_within_30_days_or_past(world: World) -> None:
    day = today()
    soon = create(world, title="Soon", renewal_date=day + timedelta(days=30))
    later = create(world, title="Later", renewal_date=day + timedelta(days=31))
    create(world, title="Undated")
    assert services.due_renewals(day) == [soon]
    # A year on, both dates are past and still due.
    assert services.due_renewals(day + timedelta(days=365)) == [soon, later]


def test_renewal_reminders_email_the_teams_leads_at_most_weekly(
    world: World, make_member, outbox: list[EmailMessage]
) -> None:
    second_lead = make_member(world.team, role=Role.LEAD, agency=ADVOCACY)
    former_lead = make_member(world.team, role=Role.LEAD, agency=TREATMENT)
    former_lead.removed_at = utcnow()
    db.session.commit()
    day = today()
    agreement = create(world, renewal_date=day + timedelta(days=10))
    sign(world.lead, agreement)

    assert services.send_renewal_reminders(day) == 2
    assert sorted(m["To"] for m in outbox) == sorted(
        [world.lead.user.email, second_lead.user.email]
    )
    body = outbox[0].get_content()
    assert "Memorandum of understanding" in outbox[0]["Subject"]
    assert "due for renewal in 10 days" in body and "1 of 3 agencies signed" in body
    assert f"Not yet signed by: {ADVOCACY}; {TREATMENT}" in body
    assert db.session.get(Agreement, agreement.id).renewal_reminded_on == day

    assert services.send_renewal_reminders(day + timedelta(days=6)) == 0
    assert services.send_renewal_reminders(day + timedelta(days=7)) == 2
    outbox.clear()
    assert services.send_renewal_reminders(day + timedelta(days=14)) == 2  # now overdue
    assert "days ago" in outbox[0].get_content()


def test_no_reminder_before_the_notice_period(world: World, outbox: list[EmailMessage]) -> None:
    create(world, renewal_date=today() + timedelta(days=31))
    assert services.send_renewal_reminders(today()) == 0
    assert outbox == []


# --- Pages -------------------------------------------------------------------------------


def agreement_urls(app: Flask, team_id: int, agreement_id: int) -> list[tuple[str, str]]:
    """(method, url) for every agreements route."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("agreements."):
            continue
        values = {"team_id": team_id, "agreement_id": agreement_id}
        url = adapter.build(rule.endpoint, {k: v for k, v in values.items() if k in rule.arguments})
        found += [(method, url) for method in sorted((rule.methods or set()) & {"GET", "POST"})]
    return found


def snapshot() -> tuple[int, int, int]:
    return count(Agreement), count(AgreementVersion), count(Signature)


def test_non_members_get_404_on_every_agreements_url(
    app: Flask, world: World, signed_in: Callable[[User], FlaskClient]
) -> None:
    agreement = create(world)
    urls = agreement_urls(app, world.team.id, agreement.id)
    assert len(urls) >= 7
    outsider = signed_in(world.outsider.user)  # a lead, but of another team
    form = {"title": "Hijack", "text": "Taken over", "full_name": "X", "confirmed": "y"}
    before = snapshot()
    for method, url in urls:
        response = outsider.get(url) if method == "GET" else outsider.post(url, data=form)
        assert response.status_code == 404, (method, url, response.status_code)
        assert world.team.name not in response.get_data(as_text=True)
    # Nor through their own team's URLs.
    for method, url in agreement_urls(app, world.outsider.team_id, agreement.id):
        if "/agreements/" in url:
            response = outsider.get(url) if method == "GET" else outsider.post(url, data=form)
            assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, world: World) -> None:
    response = client.get(f"/teams/{world.team.id}/agreements")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_lead_writes_an_agreement_and_a_member_is_refused(
    world: World, signed_in: Callable[[User], FlaskClient]
) -> None:
    lead = signed_in(world.lead.user)
    url = f"/teams/{world.team.id}/agreements"
    renewal = (today() + timedelta(days=365)).isoformat()
    response = lead.post(url, data={"title": "MOU", "text": MOU, "renewal_date": renewal})
    assert response.status_code == 302
    agreement = db.session.scalar(sa.select(Agreement))
    assert agreement.title == "MOU" and agreement.renewal_date.isoformat() == renewal
    assert agreement.versions[0].sha256 == sha(MOU)

    member = signed_in(world.probation.user)
    page = member.get(url).get_data(as_text=True)
    assert "MOU" in page and "0 of 3 agencies signed" in page and "Write an agreement" not in page
    assert member.post(url, data={"title": "Mine", "text": "X"}).status_code == 403
    version_url = f"{url}/{agreement.id}/versions"
    assert member.post(version_url, data={"text": "X"}).status_code == 403
    assert snapshot() == (1, 1, 0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "text": MOU}, "title"),
        ({"title": "MOU", "text": ""}, "text"),
        ({"title": "MOU", "text": MOU, "renewal_date": "past"}, "renewal_date"),
    ],
)
def test_bad_agreement_form_shows_the_error_beside_the_field(
    world: World, signed_in: Callable[[User], FlaskClient], data: dict[str, str], field: str
) -> None:
    if data.get("renewal_date") == "past":
        data = {**data, "renewal_date": (today() - timedelta(days=1)).isoformat()}
    response = signed_in(world.lead.user).post(f"/teams/{world.team.id}/agreements", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert snapshot() == (0, 0, 0)


def test_signing_through_the_page(world: World, signed_in: Callable[[User], FlaskClient]) -> None:
    agreement = create(world)
    url = f"/teams/{world.team.id}/agreements/{agreement.id}"
    recorder = signed_in(world.treatment.user)
    page = recorder.get(url).get_data(as_text=True)
    assert "0 of 3 agencies signed" in page and f"Sign for <strong>{TREATMENT}</strong>" in page
    assert f'name="text_sha256" type="hidden" value="{sha(MOU)}"' in page
    assert "style=" not in page and "<script>" not in page

    form = {"text_sha256": sha(MOU), "full_name": "Sam Okafor", "title": "Clinical Director"}
    refused = recorder.post(f"{url}/signatures", data=form)  # no confirmation
    assert refused.status_code == 422 and 'id="confirmed-error"' in refused.get_data(as_text=True)
    assert count(Signature) == 0

    signed = recorder.post(f"{url}/signatures", data={**form, "confirmed": "y"})
    assert signed.status_code == 302
    stored = db.session.scalar(sa.select(Signature))
    assert (stored.agency, stored.full_name, stored.text_sha256) == (
        TREATMENT,
        "Sam Okafor",
        sha(MOU),
    )
    assert stored.ip_address == "127.0.0.1"
    page = recorder.get(url).get_data(as_text=True)
    assert "1 of 3 agencies signed" in page and "Sign version 1" not in page
    assert f"Not yet signed by: {PROBATION}; {ADVOCACY}" in page

    again = recorder.post(f"{url}/signatures", data={**form, "confirmed": "y"})
    assert again.status_code == 409 and "already signed" in again.get_data(as_text=True)
    observer = signed_in(world.observer.user)
    assert "Observers follow" in observer.get(url).get_data(as_text=True)
    assert observer.post(f"{url}/signatures", data={**form, "confirmed": "y"}).status_code == 403
    assert count(Signature) == 1


def test_a_stale_signing_form_asks_to_review_the_new_version(
    world: World, signed_in: Callable[[User], FlaskClient]
) -> None:
    agreement = create(world)
    url = f"/teams/{world.team.id}/agreements/{agreement.id}"
    lead = signed_in(world.lead.user)
    assert lead.post(f"{url}/versions", data={"text": "New terms."}).status_code == 302
    response = signed_in(world.advocate.user).post(
        f"{url}/signatures",
        data={"text_sha256": sha(MOU), "full_name": "A", "title": "B", "confirmed": "y"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "review the new version" in page and "New terms." in page
    assert f'value="{sha("New terms.")}"' in page  # the form now carries the new text's hash
    assert count(Signature) == 0


def test_a_lead_adds_a_version_and_bad_input_is_shown_beside_the_field(
    world: World, signed_in: Callable[[User], FlaskClient]
) -> None:
    agreement = create(world)
    url = f"/teams/{world.team.id}/agreements/{agreement.id}"
    lead = signed_in(world.lead.user)
    past = (today() - timedelta(days=1)).isoformat()
    refused = lead.post(f"{url}/versions", data={"text": "v2", "renewal_date": past})
    assert refused.status_code == 422
    assert 'id="renewal_date-error"' in refused.get_data(as_text=True)
    assert lead.post(f"{url}/versions", data={"text": ""}).status_code == 422
    assert count(AgreementVersion) == 1
    assert lead.post(f"{url}/versions", data={"text": "v2"}).status_code == 302
    page = lead.get(url).get_data(as_text=True)
    assert "Version 2" in page and "Earlier versions" in page


def test_another_teams_agreement_is_not_found_through_this_team(
    world: World, make_member, signed_in: Callable[[User], FlaskClient]
) -> None:
    agreement = create(world)
    # The lead also belongs to Harbor County; the URL names Harbor, the agreement is Northfield's.
    make_member(world.outsider.team, world.lead.user, role=Role.LEAD)
    lead = signed_in(world.lead.user)
    assert lead.get(f"/teams/{world.outsider.team_id}/agreements/{agreement.id}").status_code == (
        404
    )


def test_printable_page_uses_the_print_stylesheet(
    world: World, signed_in: Callable[[User], FlaskClient]
) -> None:
    agreement = create(world)
    sign(world.treatment, agreement, full_name="Sam Okafor")
    response = signed_in(world.observer.user).get(
        f"/teams/{world.team.id}/agreements/{agreement.id}/print"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "css/agreements.css" in page and "style=" not in page and "<style" not in page
    assert "The agencies decide jointly" in page and "Sam Okafor" in page and sha(MOU) in page
    assert '<th scope="row">' in page and '<th scope="col">' in page


def test_markdown_download(world: World, signed_in: Callable[[User], FlaskClient]) -> None:
    agreement = create(world, title="Memorandum of understanding")
    sign(world.advocate, agreement, full_name="Alex Moreno")
    response = signed_in(world.probation.user).get(
        f"/teams/{world.team.id}/agreements/{agreement.id}/export.md"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="memorandum-of-understanding-v1.md"'
    )
    body = response.get_data(as_text=True)
    assert MOU in body and "Alex Moreno" in body and f"`{sha(MOU)}`" in body


# --- Demo --------------------------------------------------------------------------------


def test_demo_memorandum_is_signed_by_all_agencies_but_two(demo: Any) -> None:
    from teamwork.agreements.demo import seed_agreement
    from teamwork.demo import COUNTY

    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    users = {user.email: user for user in db.session.scalars(sa.select(User))}
    agreement = seed_agreement(county, users)
    lead = users["lead@example.org"]
    status = services.agreement_status(lead, county.id, agreement.id)
    assert status.agency_count >= 8
    assert status.signed_count == status.agency_count - 2 and len(status.missing) == 2
    text = status.latest.text
    assert "consensus" in text and "Mission" in text and "contributes" in text
    assert all(agency in text for agency in status.agencies)
    assert all(s.text_sha256 == status.latest.sha256 for s in status.versions[0].signatures)
