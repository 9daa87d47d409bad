"""The team services called directly: access, reading, teams, memberships, moderator, invitations.

Each service owns its transaction, so after every call (refused or not) the database is read
again through a separate connection: what is checked is what was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from teamwork.auth.models import User
from teamwork.auth.services import deactivate_user, token_digest
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from teamwork.extensions import db as _db
from teamwork.moderation import terms as moderator_terms
from teamwork.moderation.models import ModeratorTerm
from teamwork.teams import services
from teamwork.teams.models import Invitation, Membership, Team
from teamwork.teams.rules import Action, Discipline, Role, TeamLevel
from tests.teams.helpers import committed, committed_row, snapshot

AGENCY = "Northfield County Probation Department"
PW = "violet tractor moonlight"


@pytest.fixture
def world(
    make_user: Callable[..., User], make_team: Callable[..., Team], make_member: Callable[..., Any]
) -> Any:
    """A team with one of each role, and an outsider who leads another team."""

    class World:
        team = make_team("Northfield County SOMT")
        other = make_team("Harbor County SOMT")
        lead = make_member(team, make_user(name="Lena Lead"), role=Role.LEAD)
        recorder = make_member(team, make_user(name="Rita Recorder"), role=Role.RECORDER)
        member = make_member(
            team,
            make_user(name="Mo Member"),
            agency="Northfield Treatment Associates",
            discipline=Discipline.TREATMENT,
        )
        observer = make_member(team, make_user(name="Obi Observer"), role=Role.OBSERVER)
        outsider = make_member(other, make_user(name="Otto Outsider"), role=Role.LEAD)

    return World


# --- team_access -------------------------------------------------------------------------


def test_team_access_is_not_found_for_outsiders_and_missing_teams(world: Any) -> None:
    with pytest.raises(NotFound):
        services.team_access(world.outsider.user, world.team.id)
    with pytest.raises(NotFound):
        services.team_access(world.lead.user, 999_999)


def test_team_access_is_not_found_for_a_removed_member(world: Any) -> None:
    services.remove_member(world.lead.user, world.team.id, world.member.id)
    with pytest.raises(NotFound):
        services.team_access(world.member.user, world.team.id)


def test_team_access_is_not_found_for_a_deactivated_user(world: Any, db: Any) -> None:
    deactivate_user(world.lead.user)
    db.session.commit()
    with pytest.raises(NotFound):
        services.team_access(world.lead.user, world.team.id)


@pytest.mark.parametrize("who", ["recorder", "member", "observer"])
def test_team_access_is_forbidden_when_the_role_is_too_low(world: Any, who: str) -> None:
    user = getattr(world, who).user
    assert services.team_access(user, world.team.id).membership.id == getattr(world, who).id
    with pytest.raises(Forbidden):
        services.team_access(user, world.team.id, Action.MANAGE_MEMBERS)


def test_team_access_reports_the_moderator_term(world: Any) -> None:
    assert services.team_access(world.member.user, world.team.id).is_moderator is False
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    access = services.team_access(world.member.user, world.team.id, Action.MODERATE)
    assert access.is_moderator is True
    assert access.can(Action.MODERATE)
    assert not access.can(Action.MANAGE_MEMBERS)
    assert services.team_access(world.lead.user, world.team.id).is_moderator is False


def test_a_term_that_has_not_started_grants_nothing(world: Any, db: Any) -> None:
    tomorrow = services.today() + timedelta(days=1)
    db.session.add(ModeratorTerm(team=world.team, membership=world.member, starts_on=tomorrow))
    db.session.commit()
    assert services.team_access(world.member.user, world.team.id).is_moderator is False
    with pytest.raises(Forbidden):
        services.team_access(world.member.user, world.team.id, Action.MODERATE)


# --- Reading -----------------------------------------------------------------------------


def test_list_my_teams_lists_only_current_memberships(
    world: Any, make_team: Callable[..., Team], make_member: Callable[..., Any]
) -> None:
    left = make_team("Left Team")
    make_member(left, world.member.user)
    services.remove_member(world.lead.user, world.team.id, world.recorder.id)
    assert [t.team.name for t in services.list_my_teams(world.member.user)] == [
        "Left Team",
        "Northfield County SOMT",
    ]
    assert services.list_my_teams(world.recorder.user) == []
    assert [t.team.id for t in services.list_my_teams(world.outsider.user)] == [world.other.id]


def test_list_my_teams_counts_current_active_members_only(world: Any, db: Any) -> None:
    services.remove_member(world.lead.user, world.team.id, world.recorder.id)
    deactivate_user(world.observer.user)
    db.session.commit()
    (mine,) = services.list_my_teams(world.lead.user)
    assert mine.member_count == 2
    assert mine.membership.role is Role.LEAD


def test_list_my_teams_puts_subteams_under_visible_parents_only(
    make_user: Callable[..., User], make_team: Callable[..., Team], make_member: Callable[..., Any]
) -> None:
    user = make_user()
    parent = make_team("Zeta Network", level=TeamLevel.STATEWIDE_POLICY)
    child = make_team("Alpha Core", level=TeamLevel.CASE_MANAGEMENT, parent=parent)
    hidden_parent = make_team("Hidden Parent")
    orphan = make_team("Beta Core", parent=hidden_parent)
    for team in (parent, child, orphan):
        make_member(team, user)
    teams = services.list_my_teams(user)
    assert [t.team.name for t in teams] == ["Beta Core", "Zeta Network", "Alpha Core"]
    visible = {t.team.name: t.parent_visible for t in teams}
    assert visible == {"Beta Core": False, "Zeta Network": False, "Alpha Core": True}


def test_roster_groups_by_agency_counts_disciplines_and_names_the_moderator(world: Any) -> None:
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.recorder.id)
    access = services.team_access(world.lead.user, world.team.id)
    roster = services.team_roster(access)
    assert [(g.agency, [m.user.name for m in g.members]) for g in roster.by_agency] == [
        ("Northfield County Probation Department", ["Lena Lead", "Obi Observer", "Rita Recorder"]),
        ("Northfield Treatment Associates", ["Mo Member"]),
    ]
    assert roster.discipline_counts == [(Discipline.PROBATION_PAROLE, 3), (Discipline.TREATMENT, 1)]
    assert roster.moderator is not None
    assert roster.moderator.id == world.recorder.id


def test_roster_leaves_out_removed_and_deactivated_members(world: Any, db: Any) -> None:
    services.remove_member(world.lead.user, world.team.id, world.member.id)
    deactivate_user(world.observer.user)
    db.session.commit()
    roster = services.team_roster(services.team_access(world.lead.user, world.team.id))
    assert {m.id for m in roster.members} == {world.lead.id, world.recorder.id}


def test_parent_and_subteams_are_visible_only_to_their_members(
    world: Any, make_team: Callable[..., Team], make_member: Callable[..., Any]
) -> None:
    core = make_team("Core Case Team", level=TeamLevel.CASE_MANAGEMENT, parent=world.team)
    other_core = make_team("Other Core", parent=world.team)
    make_member(core, world.member.user)
    core_only = make_member(core).user
    make_member(other_core, world.lead.user)
    assert services.visible_parent(world.member.user, core) == world.team
    assert services.visible_parent(core_only, core) is None
    assert services.visible_parent(world.member.user, world.team) is None
    assert services.visible_subteams(world.member.user, world.team) == [core]
    assert services.visible_subteams(world.lead.user, world.team) == [other_core]
    assert services.visible_subteams(world.observer.user, world.team) == []


# --- Teams -------------------------------------------------------------------------------


def test_admin_creates_a_top_level_team_and_leads_it(make_user: Callable[..., User]) -> None:
    admin = make_user(is_admin=True)
    team = services.create_team(
        admin,
        name="  Cascadia   Network ",
        level=TeamLevel.STATEWIDE_POLICY,
        agency="  State  Department of Corrections ",
        discipline=Discipline.CORRECTIONS,
    )
    row = committed_row(Team, team.id)
    assert (row.name, row.level, row.parent_id) == (
        "Cascadia Network",
        TeamLevel.STATEWIDE_POLICY,
        None,
    )
    (membership,) = committed(Membership, Membership.team_id == team.id)
    assert (membership.user_id, membership.role, membership.agency) == (
        admin.id,
        Role.LEAD,
        "State Department of Corrections",
    )


def test_only_an_admin_creates_a_top_level_team(world: Any) -> None:
    before = snapshot()
    with pytest.raises(Forbidden):
        services.create_team(
            world.lead.user,
            name="Rogue",
            level=TeamLevel.OTHER,
            agency=AGENCY,
            discipline=Discipline.OTHER,
        )
    assert snapshot() == before


def test_lead_of_a_parent_creates_a_subteam_others_cannot(world: Any) -> None:
    sub = services.create_team(
        world.lead.user,
        name="Core",
        level=TeamLevel.CASE_MANAGEMENT,
        parent_id=world.team.id,
        agency=AGENCY,
        discipline=Discipline.PROBATION_PAROLE,
    )
    assert committed_row(Team, sub.id).parent_id == world.team.id
    assert services.team_access(world.lead.user, sub.id, Action.MANAGE_MEMBERS)
    before = snapshot()
    kwargs: dict[str, Any] = {
        "name": "Another",
        "level": TeamLevel.OTHER,
        "parent_id": world.team.id,
        "agency": AGENCY,
        "discipline": Discipline.OTHER,
    }
    with pytest.raises(Forbidden):
        services.create_team(world.member.user, **kwargs)
    with pytest.raises(NotFound):
        services.create_team(world.outsider.user, **kwargs)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "agency", "field"),
    [("   ", AGENCY, "name"), ("x" * 161, AGENCY, "name"), ("Fine", "  ", "agency")],
)
def test_create_team_rejects_blank_or_long_input(
    make_user: Callable[..., User], name: str, agency: str, field: str
) -> None:
    admin = make_user(is_admin=True)
    with pytest.raises(InvalidInput) as caught:
        services.create_team(
            admin, name=name, level=TeamLevel.OTHER, agency=agency, discipline=Discipline.OTHER
        )
    assert caught.value.field == field
    assert committed(Team) == []


def test_update_team_needs_a_lead(world: Any) -> None:
    services.update_team(
        world.lead.user, world.team.id, name="Renamed", level=TeamLevel.OTHER, description=" x "
    )
    row = committed_row(Team, world.team.id)
    assert (row.name, row.level, row.description) == ("Renamed", TeamLevel.OTHER, "x")
    with pytest.raises(Forbidden):
        services.update_team(
            world.recorder.user, world.team.id, name="No", level=TeamLevel.OTHER, description=""
        )
    assert committed_row(Team, world.team.id).name == "Renamed"


# --- Memberships -------------------------------------------------------------------------


def test_lead_changes_role_agency_and_discipline(world: Any) -> None:
    services.change_membership(
        world.lead.user,
        world.team.id,
        world.member.id,
        role=Role.RECORDER,
        agency=" Harbor  Police ",
        discipline=Discipline.LAW_ENFORCEMENT,
    )
    row = committed_row(Membership, world.member.id)
    assert (row.role, row.agency, row.discipline) == (
        Role.RECORDER,
        "Harbor Police",
        Discipline.LAW_ENFORCEMENT,
    )


def test_the_last_lead_can_be_neither_demoted_nor_removed(world: Any) -> None:
    before = snapshot()
    with pytest.raises(Conflict, match="at least one lead"):
        services.change_membership(
            world.lead.user,
            world.team.id,
            world.lead.id,
            role=Role.MEMBER,
            agency=AGENCY,
            discipline=Discipline.OTHER,
        )
    _db.session.rollback()
    with pytest.raises(Conflict, match="at least one lead"):
        services.remove_member(world.lead.user, world.team.id, world.lead.id)
    _db.session.rollback()
    assert snapshot() == before


def test_a_lead_may_step_down_when_another_lead_remains(world: Any) -> None:
    services.change_membership(
        world.lead.user,
        world.team.id,
        world.member.id,
        role=Role.LEAD,
        agency=AGENCY,
        discipline=Discipline.TREATMENT,
    )
    services.change_membership(
        world.lead.user,
        world.team.id,
        world.lead.id,
        role=Role.MEMBER,
        agency=AGENCY,
        discipline=Discipline.PROBATION_PAROLE,
    )
    assert committed_row(Membership, world.lead.id).role is Role.MEMBER
    with pytest.raises(Forbidden):
        services.team_access(world.lead.user, world.team.id, Action.MANAGE_MEMBERS)


def test_a_deactivated_lead_does_not_count_as_the_remaining_lead(world: Any, db: Any) -> None:
    services.change_membership(
        world.lead.user,
        world.team.id,
        world.member.id,
        role=Role.LEAD,
        agency=AGENCY,
        discipline=Discipline.TREATMENT,
    )
    deactivate_user(world.member.user)
    db.session.commit()
    with pytest.raises(Conflict):
        services.remove_member(world.lead.user, world.team.id, world.lead.id)
    db.session.rollback()
    assert committed_row(Membership, world.lead.id).removed_at is None


def test_remove_member_keeps_the_row_and_ends_their_term(world: Any) -> None:
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    services.remove_member(world.lead.user, world.team.id, world.member.id)
    row = committed_row(Membership, world.member.id)
    assert row.removed_at is not None
    (term,) = committed(ModeratorTerm)
    assert term.ends_on == services.today()
    assert moderator_terms.current_term(world.team.id) is None


def test_demoting_the_moderator_to_observer_ends_the_term(world: Any) -> None:
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    services.change_membership(
        world.lead.user,
        world.team.id,
        world.member.id,
        role=Role.OBSERVER,
        agency=AGENCY,
        discipline=Discipline.TREATMENT,
    )
    assert moderator_terms.current_term(world.team.id) is None
    assert services.team_access(world.member.user, world.team.id).is_moderator is False


def test_membership_ids_of_another_team_are_not_found(world: Any) -> None:
    before = snapshot()
    foreign = world.outsider.id
    with pytest.raises(NotFound):
        services.change_membership(
            world.lead.user,
            world.team.id,
            foreign,
            role=Role.OBSERVER,
            agency=AGENCY,
            discipline=Discipline.OTHER,
        )
    with pytest.raises(NotFound):
        services.remove_member(world.lead.user, world.team.id, foreign)
    with pytest.raises(NotFound):
        moderator_terms.designate_moderator(world.lead.user, world.team.id, foreign)
    _db.session.rollback()
    assert snapshot() == before


# --- Moderator ---------------------------------------------------------------------------


def test_designating_an_observer_is_refused(world: Any) -> None:
    with pytest.raises(InvalidInput, match="Observers"):
        moderator_terms.designate_moderator(world.lead.user, world.team.id, world.observer.id)
    _db.session.rollback()
    assert committed(ModeratorTerm) == []


def test_designating_the_sitting_moderator_again_is_a_conflict(world: Any) -> None:
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    with pytest.raises(Conflict, match="already the moderator"):
        moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    _db.session.rollback()
    assert len(committed(ModeratorTerm)) == 1


def test_a_new_designation_replaces_todays_term_and_ends_an_older_one(world: Any, db: Any) -> None:
    last_month = services.today() - timedelta(days=30)
    db.session.add(ModeratorTerm(team=world.team, membership=world.recorder, starts_on=last_month))
    db.session.commit()
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.lead.id)
    terms = [(t.membership_id, t.starts_on, t.ends_on) for t in committed(ModeratorTerm)]
    assert terms == [
        (world.recorder.id, last_month, services.today()),
        (world.lead.id, services.today(), None),
    ]
    assert committed(ModeratorTerm)[-1].assigned_by_id == world.lead.user.id


def test_only_a_lead_designates_the_moderator(world: Any) -> None:
    moderator_terms.designate_moderator(world.lead.user, world.team.id, world.member.id)
    with pytest.raises(Forbidden):
        moderator_terms.designate_moderator(world.member.user, world.team.id, world.recorder.id)
    _db.session.rollback()
    assert [t.membership_id for t in committed(ModeratorTerm)] == [world.member.id]


# --- Invitations -------------------------------------------------------------------------


def invite(world: Any, email: str = "new.person@example.org", **kwargs: Any) -> Any:
    values: dict[str, Any] = {
        "role": Role.RECORDER,
        "agency": "Victim Services",
        "discipline": Discipline.VICTIM_ADVOCACY,
    }
    values.update(kwargs)
    return services.invite_member(world.lead.user, world.team.id, email=email, **values)


def test_invitation_stores_only_the_token_hash_and_expires(world: Any, app: Any) -> None:
    issued = invite(world, email="  New.Person@Example.org ")
    row = committed_row(Invitation, issued.invitation.id)
    assert row.email == "new.person@example.org"
    assert row.token_hash == token_digest(issued.token)
    assert issued.token not in tuple(str(value) for value in row)
    ttl = app.config["TEAMWORK_INVITATION_TTL"]
    assert row.expires_at - row.created_at == ttl
    assert row.invited_by_id == world.lead.user.id


@pytest.mark.parametrize("who", ["recorder", "member", "observer", "outsider"])
def test_only_a_lead_invites(world: Any, who: str) -> None:
    error = NotFound if who == "outsider" else Forbidden
    with pytest.raises(error):
        services.invite_member(
            getattr(world, who).user,
            world.team.id,
            email="x@example.org",
            role=Role.LEAD,
            agency=AGENCY,
            discipline=Discipline.OTHER,
        )
    assert committed(Invitation) == []


def test_inviting_a_current_member_is_a_conflict_on_the_email(world: Any) -> None:
    with pytest.raises(Conflict) as caught:
        invite(world, email=world.member.user.email.upper())
    assert caught.value.field == "email"
    _db.session.rollback()
    assert committed(Invitation) == []


@pytest.mark.parametrize("email", ["", "not-an-address", "a" * 250 + "@x.org"])
def test_inviting_an_invalid_address_is_refused(world: Any, email: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        invite(world, email=email)
    assert caught.value.field == "email"
    assert committed(Invitation) == []


def test_a_new_invitation_revokes_the_earlier_one(world: Any) -> None:
    first = invite(world)
    second = invite(world, role=Role.MEMBER)
    assert committed_row(Invitation, first.invitation.id).revoked_at is not None
    assert committed_row(Invitation, second.invitation.id).revoked_at is None
    with pytest.raises(Gone):
        services.find_invitation(first.token)
    assert services.find_invitation(second.token).id == second.invitation.id


def test_accepting_creates_the_account_and_the_membership(world: Any) -> None:
    issued = invite(world)
    membership = services.accept_invitation(issued.token, name=" Vic Advocate ", password=PW)
    (user,) = committed(User, User.email == "new.person@example.org")
    assert user.name == "Vic Advocate"
    row = committed_row(Membership, membership.id)
    assert (row.user_id, row.team_id, row.role, row.agency, row.discipline) == (
        user.id,
        world.team.id,
        Role.RECORDER,
        "Victim Services",
        Discipline.VICTIM_ADVOCACY,
    )
    invitation = committed_row(Invitation, issued.invitation.id)
    assert invitation.accepted_at is not None
    assert invitation.accepted_by_id == user.id
    with pytest.raises(Gone):
        services.accept_invitation(issued.token, name="Again", password=PW)


def test_accepting_as_another_signed_in_user_is_forbidden(world: Any) -> None:
    issued = invite(world)
    before = snapshot()
    with pytest.raises(Forbidden, match="new.person@example.org"):
        services.accept_invitation(issued.token, actor=world.outsider.user)
    assert snapshot() == before


def test_accepting_an_expired_or_revoked_invitation_is_gone(world: Any, db: Any) -> None:
    expired = invite(world, email="late@example.org")
    revoked = invite(world, email="withdrawn@example.org")
    db.session.get(Invitation, expired.invitation.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    services.revoke_invitation(world.lead.user, world.team.id, revoked.invitation.id)
    before = snapshot()
    for token in (expired.token, revoked.token, "no-such-token"):
        with pytest.raises(Gone):
            services.accept_invitation(token, name="Someone", password=PW)
    assert snapshot() == before


def test_a_weak_password_creates_nothing(world: Any) -> None:
    issued = invite(world)
    before = snapshot()
    with pytest.raises(InvalidInput) as caught:
        services.accept_invitation(issued.token, name="Weak", password="password")
    assert caught.value.field == "password"
    _db.session.rollback()
    assert snapshot() == before


def test_a_removed_member_returns_on_the_same_row(world: Any) -> None:
    services.remove_member(world.lead.user, world.team.id, world.member.id)
    issued = invite(world, email=world.member.user.email, role=Role.OBSERVER)
    membership = services.accept_invitation(issued.token, actor=world.member.user)
    assert membership.id == world.member.id
    row = committed_row(Membership, world.member.id)
    assert (row.removed_at, row.role, row.agency) == (None, Role.OBSERVER, "Victim Services")
    assert len(committed(Membership, Membership.user_id == world.member.user.id)) == 1


def test_a_current_member_cannot_accept_again(world: Any, db: Any) -> None:
    # An invitation issued before they joined through another one.
    issued = invite(world, email="twice@example.org")
    user = User(email="twice@example.org", name="Twice", password_hash="x")
    db.session.add(user)
    db.session.add(
        Membership(
            team=world.team,
            user=user,
            role=Role.MEMBER,
            agency=AGENCY,
            discipline=Discipline.OTHER,
        )
    )
    db.session.commit()
    with pytest.raises(Conflict, match="already a member"):
        services.accept_invitation(issued.token, actor=user)
    db.session.rollback()
    assert committed_row(Invitation, issued.invitation.id).accepted_at is None


def test_revoke_invitation_rules(world: Any) -> None:
    issued = invite(world)
    with pytest.raises(NotFound):
        services.revoke_invitation(world.outsider.user, world.other.id, issued.invitation.id)
    with pytest.raises(Forbidden):
        services.revoke_invitation(world.member.user, world.team.id, issued.invitation.id)
    assert committed_row(Invitation, issued.invitation.id).revoked_at is None
    services.revoke_invitation(world.lead.user, world.team.id, issued.invitation.id)
    revoked_at = committed_row(Invitation, issued.invitation.id).revoked_at
    assert revoked_at is not None
    services.revoke_invitation(world.lead.user, world.team.id, issued.invitation.id)
    assert committed_row(Invitation, issued.invitation.id).revoked_at == revoked_at
    accepted = invite(world, email="yes@example.org")
    services.accept_invitation(accepted.token, name="Yes", password=PW)
    with pytest.raises(Conflict, match="already been accepted"):
        services.revoke_invitation(world.lead.user, world.team.id, accepted.invitation.id)


def test_pending_invitations_lists_open_ones_of_the_team_only(world: Any) -> None:
    open_one = invite(world, email="open@example.org")
    gone = invite(world, email="gone@example.org")
    services.revoke_invitation(world.lead.user, world.team.id, gone.invitation.id)
    services.invite_member(
        world.outsider.user,
        world.other.id,
        email="elsewhere@example.org",
        role=Role.MEMBER,
        agency=AGENCY,
        discipline=Discipline.OTHER,
    )
    access = services.team_access(world.lead.user, world.team.id)
    assert [i.id for i in services.pending_invitations(access)] == [open_one.invitation.id]
    with pytest.raises(NotFound):
        services.pending_invitation(world.team.id, gone.invitation.id)
    with pytest.raises(NotFound):
        services.pending_invitation(world.other.id, open_one.invitation.id)
