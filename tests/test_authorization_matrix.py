"""The authorization matrix: every route of the app, for every kind of actor, against one
policy table. A route missing from the table fails the suite, so a new page cannot be added
without deciding who may use it. Refused requests must change nothing in the database."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.agreements import services as agreements
from teamwork.auth.models import AuthSession, User
from teamwork.auth.services import deactivate_user
from teamwork.charter import services as charter
from teamwork.charter.models import StatementKind
from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.database import utcnow
from teamwork.extensions import db
from teamwork.moderation.models import ModeratorTerm
from teamwork.teams import services as teams
from teamwork.teams.models import Membership
from teamwork.teams.rules import Role, TeamLevel
from tests.snapshots import Snapshot, restore_snapshot, take_snapshot
from tests.table_state import committed_writes

# Who may use a route. Levels, from the least to the most privileged:
#   member     any current member (observers included)
#   oversight  any member, and members of a parent team, read only
#   voter      members who vote (not observers)
#   staff      those who prepare meetings: recorders, the moderator in office, leads
#   recorder   those who keep the minutes: recorders and leads
#   moderator  the moderator in office (a lead only when recorded as standing in)
#   stand_in   the moderator in office or a lead (recording a stand-in)
#   lead       leads only
#   own        reaches its service for every member; the service decides by the object
#              (e.g. a member's own agency), so only outsiders' 404 is checked here
# Routes outside any team (sign-in, account, ...) are listed in NOT_TEAM_SCOPED.
# Capabilities keep their own entries in tests/<capability>/policy*.py (POLICY, and optionally
# QUERY, NOT_TEAM_SCOPED and `arrange(ctx)` returning the URL values their routes need); they
# are merged below.
POLICY: dict[str, dict[str, str]] = {
    "teams.show": {"GET": "member"},
    "teams.structure": {"GET": "oversight"},
    "teams.members": {"GET": "member"},
    "teams.edit": {"GET": "lead", "POST": "lead"},
    "teams.invite": {"POST": "lead"},
    "teams.update_member": {"POST": "lead"},
    "teams.remove_member": {"POST": "lead"},
    "teams.resend_invitation": {"POST": "lead"},
    "teams.revoke_invitation": {"POST": "lead"},
    "moderation.designate_moderator": {"POST": "lead"},
    "consensus.proposals": {"GET": "member", "POST": "voter"},
    "consensus.vote": {"GET": "member"},
    "consensus.history": {"GET": "member"},
    "consensus.room": {"GET": "member"},
    "consensus.console": {"GET": "moderator"},
    "consensus.amend": {"GET": "moderator", "POST": "moderator"},
    "consensus.change_status": {"POST": "moderator"},
    "consensus.decisions": {"GET": "oversight"},
    "consensus.decision": {"GET": "oversight"},
    "charter.show": {"GET": "oversight"},
    "charter.statement": {"GET": "oversight"},
    "charter.export_markdown": {"GET": "member"},
    "charter.printable": {"GET": "member"},
    "charter.draft": {"POST": "lead"},
    "charter.propose": {"POST": "lead"},
    "charter.decision_rule": {"GET": "lead", "POST": "lead"},
    "norms.show": {"GET": "member"},
    "norms.history": {"GET": "member"},
    "norms.edit": {"GET": "lead", "POST": "lead"},
    "norms.incentives": {"GET": "member"},
    "norms.incentive": {"GET": "member", "POST": "own"},
    "norms.composition": {"GET": "member"},
    "agreements.index": {"GET": "member", "POST": "lead"},
    "agreements.show": {"GET": "member"},
    "agreements.printable": {"GET": "member"},
    "agreements.export_markdown": {"GET": "member"},
    "agreements.add_version": {"POST": "lead"},
    "agreements.sign": {"POST": "own"},
}
NOT_TEAM_SCOPED = {
    "static",
    "auth.login",
    "auth.logout",
    "auth.account",
    "auth.sign_out_elsewhere",
    "auth.two_step",
    "auth.two_step_setup",
    "auth.forgot_password",
    "auth.reset_password",
    "invitations.accept",
    # Invitations to the signed-in person's own email (tests/teams/test_invitations.py:
    # another person's is not found).
    "teams.accept_my_invitation",
    "teams.decline_invitation",
    "teams.dashboard",
    "teams.create",
}
# Query arguments some pages need (which agency's incentives).
QUERY: dict[str, dict[str, Any]] = {"norms.incentive": {"agency": "Probation"}}


def _policy_modules() -> list[Any]:
    tests = Path(__file__).resolve().parent
    return [
        importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        for path in sorted(tests.glob("*/policy*.py"))
    ]


POLICY_MODULES = _policy_modules()
for _module in POLICY_MODULES:
    assert not set(_module.POLICY) & set(POLICY), f"{_module.__name__} repeats endpoints"
    POLICY.update(_module.POLICY)
    QUERY.update(getattr(_module, "QUERY", {}))
    NOT_TEAM_SCOPED |= set(getattr(_module, "NOT_TEAM_SCOPED", set()))
ACTORS = ["anonymous", "outsider", "parent_member", "observer", "member", "recorder"]
ACTORS += ["moderator", "lead"]
# People whose access changed: a moderator whose term has ended (a plain member now), a member
# removed from the team and a deactivated user (both signed in before the change).
ACTORS += ["former_moderator", "removed_member", "deactivated_user"]
ALLOWED = {
    "member": {"observer", "member", "recorder", "moderator", "lead", "former_moderator"},
    "oversight": {
        "parent_member",
        "observer",
        "member",
        "recorder",
        "moderator",
        "lead",
        "former_moderator",
    },
    "voter": {"member", "recorder", "moderator", "lead", "former_moderator"},
    "staff": {"recorder", "moderator", "lead"},
    "recorder": {"recorder", "lead"},
    # Leads moderate only when standing in (or while no one holds the term): not here.
    "moderator": {"moderator"},
    # Who records that someone stands in for an absent moderator: the moderator or a lead.
    "stand_in": {"moderator", "lead"},
    "lead": {"lead"},
}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return found


def test_every_route_is_in_the_policy_table(app: Flask) -> None:
    missing = sorted(
        f"{method} {endpoint}"
        for endpoint, method, _rule in routes(app)
        if endpoint not in NOT_TEAM_SCOPED and method not in POLICY.get(endpoint, {})
    )
    assert missing == [], f"add these to POLICY in {__file__}: {missing}"
    stale = sorted(
        f"{method} {endpoint}"
        for endpoint, methods in POLICY.items()
        for method in methods
        if (endpoint, method) not in {(e, m) for e, m, _r in routes(app)}
    )
    assert stale == []


@dataclass
class Arrangement:
    """What a capability's `arrange(ctx)` gets to build its rows on: the team under test,
    a team none of the actors but the outsider belongs to, the team's members by actor name
    (plus `target`, a member whom routes act upon), and the URL values gathered so far."""

    team: Any
    other_team: Any
    members: dict[str, Any]
    values: dict[str, Any]


@dataclass
class World:
    team_id: int
    values: dict[str, Any]
    users: dict[str, Any]
    # Each signed-in actor's session cookie: they signed in through the real form once, as
    # the world was built, and their sessions are rows of the snapshot like everything else.
    cookies: dict[str, str] = field(default_factory=dict)


# The world, built once per test process and then restored into each test's own database
# (tests/snapshots.py): building it through the services cost seconds per test, and signing
# the ten actors in again for every route about a third of the matrix's time.
_BUILT: dict[str, tuple[Snapshot, World, dict[str, int]]] = {}


@pytest.fixture
def world(app: Flask, make_team, make_member, make_user, login) -> World:
    if "world" in _BUILT:
        snapshot, built, user_ids = _BUILT["world"]
        restore_snapshot(snapshot)
        # As if they had just signed in: a session last seen long ago would be touched (a
        # write) by the first request, refused or not.
        db.session.execute(sa.update(AuthSession).values(last_seen_at=utcnow()))
        db.session.commit()
        users = {name: db.session.get(User, user_id) for name, user_id in user_ids.items()}
        return World(built.team_id, dict(built.values), users, dict(built.cookies))
    built = build_world(make_team, make_member, make_user)
    cookie = app.config["SESSION_COOKIE_NAME"]
    for actor in ACTORS:
        if actor != "anonymous":
            client = app.test_client()
            login(built.users[actor], on=client)
            signed_in = client.get_cookie(cookie)
            assert signed_in is not None, f"{actor} got no session cookie"
            built.cookies[actor] = signed_in.value
    user_ids = {name: user.id for name, user in built.users.items()}
    _BUILT["world"] = (take_snapshot(), built, user_ids)
    return built


def build_world(make_team, make_member, make_user) -> World:
    parent = make_team("Oversight group", level=TeamLevel.STATEWIDE_POLICY)
    team = make_team("County team", parent=parent)
    other = make_team("Another team")
    lead = make_member(team, role=Role.LEAD, agency="Probation")
    moderator = make_member(team, moderator=True, agency="Treatment")
    member = make_member(team, agency="Victim advocacy")
    recorder = make_member(team, role=Role.RECORDER, agency="County office")
    observer = make_member(team, role=Role.OBSERVER, agency="District court")
    target = make_member(team, agency="Police")
    outsider = make_member(other)
    parent_member = make_member(parent)
    former_moderator = make_member(team, agency="Polygraph")
    today = teams.today()
    db.session.add(
        ModeratorTerm(
            team_id=team.id,
            membership_id=former_moderator.id,
            starts_on=today - timedelta(days=180),
            ends_on=today,  # ended this morning: the powers moved on
        )
    )
    db.session.commit()
    removed_member = make_member(team, agency="Schools")
    deactivated_user = make_member(team, agency="Corrections")
    proposal = consensus.create_proposal(lead.user, team.id, title="P", text="Text")
    decided = consensus.create_proposal(lead.user, team.id, title="D", text="Decided")
    round_ = consensus.open_round(moderator.user, decided.id)
    for voter in (lead, moderator, member, recorder, target):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id="m")
    consensus.close_round(moderator.user, round_.id)
    decision_id = db.session.scalar(sa.text("select id from decisions"))
    version = charter.draft_statement(lead.user, team.id, kind=StatementKind.MISSION, text="M")
    agreement = agreements.create_agreement(
        lead.user, team.id, title="MOU", text="We agree.", renewal_date=None
    )
    issued = teams.invite_member(
        lead.user,
        team.id,
        email="new@example.org",
        role=Role.MEMBER,
        agency="Schools",
        discipline="schools",
    )
    values = {
        "team_id": team.id,
        "proposal_id": proposal.id,
        "decision_id": decision_id,
        "membership_id": target.id,
        "invitation_id": issued.invitation.id,
        "statement_id": version.statement_id,
        "version_id": version.id,
        "agreement_id": agreement.id,
    }
    members = {
        "lead": lead,
        "moderator": moderator,
        "member": member,
        "recorder": recorder,
        "observer": observer,
        "target": target,
        "outsider": outsider,
    }
    for module in POLICY_MODULES:
        if hasattr(module, "arrange"):
            values.update(module.arrange(Arrangement(team, other, members, dict(values))))
    users = {
        "former_moderator": former_moderator.user,
        "removed_member": removed_member.user,
        "deactivated_user": deactivated_user.user,
        "outsider": outsider.user,
        "parent_member": parent_member.user,
        "observer": observer.user,
        "member": member.user,
        "recorder": recorder.user,
        "moderator": moderator.user,
        "lead": lead.user,
    }
    return World(team.id, values, users)


def team_routes() -> list[tuple[str, str]]:
    return sorted((endpoint, method) for endpoint, ms in POLICY.items() for method in ms)


@pytest.mark.parametrize(("endpoint", "method"), team_routes())
def test_policy_holds_for_every_actor(app: Flask, world: World, endpoint: str, method: str) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        url = url_for(
            endpoint, **{k: world.values[k] for k in rule.arguments}, **QUERY.get(endpoint, {})
        )
    level = POLICY[endpoint][method]
    for actor in ACTORS:
        client = app.test_client()
        if actor != "anonymous":
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], world.cookies[actor])
        if actor == "removed_member":
            membership = db.session.scalar(
                sa.select(Membership).where(
                    Membership.user_id == world.users[actor].id,
                    Membership.team_id == world.team_id,
                )
            )
            membership.removed_at = utcnow()
            db.session.commit()
        if actor == "deactivated_user":
            deactivate_user(db.session.merge(world.users[actor]))
        with committed_writes() as writes:
            response = client.open(url, method=method, data={})
        status, location = response.status_code, response.headers.get("Location", "")
        label = f"{method} {endpoint} as {actor}"
        if actor in {"anonymous", "deactivated_user"}:
            assert status == 302 and location.startswith("/login"), label
            assert not writes.tables, f"{label} wrote {sorted(writes.tables)}"
            continue
        if actor in {"outsider", "removed_member"} or (
            actor == "parent_member" and level != "oversight"
        ):
            assert status == 404, f"{label}: {status}"
            assert not writes.tables, f"{label} wrote {sorted(writes.tables)}"
            continue
        if level == "own":
            continue  # the service decides per object; tested with the capability
        if actor in ALLOWED[level]:
            assert status not in {401, 403, 404}, f"{label}: {status}"
            assert not location.startswith("/login"), label
        else:
            assert status == 403, f"{label}: {status}"
            assert not writes.tables, f"{label} wrote {sorted(writes.tables)}"
