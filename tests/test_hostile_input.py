"""Hostile input, enumerated rather than sampled (issue #9, "Input and output").

1. Cross-site scripting: every form of a team that a lead (or the moderator in office) can
   reach is crawled from the pages themselves, its text fields filled with a corpus of XSS
   payloads and submitted; votes (cast over Socket.IO) get payloads as reasons through the
   service. Then every GET page of the team (the routes of the authorization matrix) is read as
   the lead and as a member, and no page may contain an active form of any payload: no script
   but the app's own, no event-handler attribute, no javascript: or data: link, no template
   expression evaluated. Exports must not be served as HTML.
2. Malformed forms: every POST route of the policy table receives malformed bodies (empty,
   wrong types, absurd lengths, unknown fields, invalid dates, huge numbers, odd characters,
   and Hypothesis-generated ones) from the most privileged actor. None may answer 500, and a
   refusal (4xx) must leave the database unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.extensions import db
from teamwork.teams import services as teams
from tests.conftest import TEST_DATABASE_URL
from tests.snapshots import Snapshot, restore_snapshot, take_snapshot
from tests.table_state import committed_writes
from tests.test_authorization_matrix import POLICY, QUERY, World
from tests.test_authorization_matrix import world as world  # noqa: F401  (the fixture)

# --- The corpus -------------------------------------------------------------------------

# Each payload carries `{n}`, replaced by a number unique to the field it goes into, so a
# finding names the field it came from.
PAYLOADS = [
    "<script>alert({n})</script>",
    "<img src=x onerror=alert({n})>",
    '"><svg onload=alert({n})>',
    "javascript:alert({n})",
    "[link{n}](javascript:alert({n}))",
    "</textarea><script>alert({n})</script>",
    "{{{{7*7}}}}j{n}",
    '<a href="javascript:alert({n})">x{n}</a>',
    '\'><iframe src="data:text/html,<script>alert({n})</script>"></iframe>',
    "<details open ontoggle=alert({n})>d{n}</details>",
    "![img{n}](javascript:alert({n}))",
    "[data{n}](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=' JaVaScRiPt:alert({n})'>y{n}</a>",
    "</script><script>alert({n})</script>",
    "<style>@import 'x{n}'</style><b style=\"x:expression(alert({n}))\">s</b>",
    "{{% if 1 %}}k{n}{{% endif %}}",
]
# What an evaluated template expression would leave in the page.
EVALUATED = re.compile(r"(?<!\d)49j\d+|(?<!%\})(?<!\w)k\d{4}(?!\d)")

# Endpoints whose forms the crawl does not submit: they delete, end, reset or hand over what
# the rest of the crawl needs (the moderator's powers, the sign-in), or change nothing a page
# shows as text.
NOT_SUBMITTED = {
    "auth.logout",
    "auth.sign_out_elsewhere",
    "auth.two_step",
    "auth.two_step_setup",
    "teams.remove_member",
    "teams.leave",
    "teams.archive",
    "teams.unarchive",
    "auth.end_session",
    "teams.revoke_invitation",
    "teams.resend_invitation",
    "moderation.designate_moderator",
    "consensus.change_status",
    "meetings.cancel",
    "meetings.remove_item",
    "meetings.remove_action",
    "meetings.move_item",
    "evaluation.delete_point",
    "evaluation.delete_measure",
    "evaluation.close_period",
    "moderation.cancel_election",
    "moderation.end_stand_in",
    "moderation.rotation",
    "moderation.schedule",
    "moderation.prepare",
    "calendar.reset_team",
    "calendar.reset_mine",
}
# Pages outside the team that show what members wrote (or their names) too.
PERSONAL_PAGES = ["/", "/account", "/calendar", "/my/deliverables", "/search"]
HTML_TYPES = ("text/html", "application/xhtml+xml")


# --- Reading pages ----------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, name, value)
    options: dict[str, list[str]] = field(default_factory=dict)
    selected: dict[str, str] = field(default_factory=dict)


class PageReader(HTMLParser):
    """Collects the forms of a page and what a browser would run from it."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.textarea: tuple[str, list[str]] | None = None
        self.script: dict[str, str] | None = None
        self.script_text: list[str] = []
        self.findings: list[str] = []

    # Active content -------------------------------------------------------------------

    def check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.lower().startswith("on"):
                self.findings.append(f"<{tag} {name}={value!r}>")
            if name.lower() in {"href", "src", "action", "formaction", "xlink:href", "data"}:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.findings.append(f"<{tag} {name}={value!r}>")
            if name.lower() == "style" and "expression(" in value.lower():
                self.findings.append(f"<{tag} style={value!r}>")
        if tag in {"iframe", "object", "embed", "base", "frame", "svg", "math", "style"} and (
            tag != "svg" or not self.svg_is_ours(attrs)
        ):
            self.findings.append(f"<{tag}> element")

    @staticmethod
    def svg_is_ours(attrs: list[tuple[str, str | None]]) -> bool:
        # The app's server-rendered charts are SVG with role="img" and a text alternative.
        names = dict(attrs)
        return names.get("role") == "img" or names.get("aria-hidden") == "true"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.check(tag, attrs)
        names = {k: v or "" for k, v in attrs}
        if tag == "script":
            self.script = names
            self.script_text = []
        elif tag == "form":
            self.form = Form(
                action=names.get("action") or self.url, method=names.get("method", "get").lower()
            )
            self.forms.append(self.form)
        elif self.form is not None and "name" in names:
            kind = names.get("type", "text").lower() if tag == "input" else tag
            if tag == "input" and kind in {"checkbox", "radio"} and "checked" not in names:
                if kind == "radio":
                    self.form.options.setdefault(names["name"], []).append(names.get("value", ""))
                    return
                kind = "checkbox-off"
            if tag in {"input", "button"} and kind in {"submit", "button", "image", "reset"}:
                return
            if tag == "select":
                self.select = names["name"]
                self.form.options[self.select] = []
                self.form.fields.append(("select", self.select, ""))
            elif tag == "textarea":
                self.textarea = (names["name"], [])
            elif tag == "input":
                self.form.fields.append((kind, names["name"], names.get("value", "")))
        elif tag == "option" and self.form is not None and self.select is not None:
            value = names.get("value", "")
            self.form.options[self.select].append(value)
            if "selected" in names:
                self.form.selected[self.select] = value

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script_text.append(data)
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.script is not None:
            self.check_script(self.script, "".join(self.script_text))
            self.script = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.fields.append(("textarea", self.textarea[0], "".join(self.textarea[1])))
            self.textarea = None
        elif tag == "form":
            self.form = None

    def check_script(self, attrs: dict[str, str], content: str) -> None:
        src = attrs.get("src", "")
        if src:
            if not urlsplit(src).path.startswith("/static/") or urlsplit(src).netloc:
                self.findings.append(f"<script src={src!r}>")
            return
        if attrs.get("type") == "application/json":
            try:
                json.loads(content)
            except ValueError:
                self.findings.append(f"<script type=application/json> not JSON: {content[:80]!r}")
            return
        self.findings.append(f"<script>{content[:80]}</script>")


def read_page(url: str, body: str) -> PageReader:
    reader = PageReader(url)
    reader.feed(body)
    reader.close()
    return reader


def active_content(url: str, response: Any) -> list[str]:
    """What a browser could run from this response (empty when nothing)."""
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith(HTML_TYPES):
        return []
    body = response.get_data(as_text=True)
    findings = read_page(url, body).findings
    findings += [f"evaluated template: {m.group(0)!r}" for m in EVALUATED.finditer(body)]
    return findings


# --- The team's pages -------------------------------------------------------------------


def team_url(app: Flask, world: World, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        return url_for(
            endpoint,
            **{k: world.values[k] for k in rule.arguments},
            **QUERY.get(endpoint, {}),
        )


# The rows of the team each URL argument may name (table, and how it reaches the team).
ROWS = {
    "proposal_id": "select id from proposals where team_id = :team",
    "meeting_id": "select id from meetings where team_id = :team",
    "decision_id": "select id from decisions where team_id = :team",
    "agreement_id": "select id from agreements where team_id = :team",
    "activity_id": "select id from activities where team_id = :team",
    "measure_id": "select id from measures where team_id = :team",
    "period_id": "select id from assessment_periods where team_id = :team",
    "statement_id": "select id from charter_statements where team_id = :team",
}


def get_pages(app: Flask, world: World, *, every_row: bool = False) -> list[tuple[str, str]]:
    """The team's GET pages; with `every_row`, once for each row of the team each page can
    show (every proposal's vote page, every meeting's minutes...), not only the world's."""
    pages = []
    for endpoint, methods in sorted(POLICY.items()):
        if "GET" not in methods:
            continue
        pages.append((endpoint, team_url(app, world, endpoint)))
        if not every_row:
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        for argument in sorted(rule.arguments & set(ROWS)):
            query = sa.text(ROWS[argument])
            for row_id in db.session.scalars(query, {"team": world.team_id}):
                if row_id != world.values[argument]:
                    values = {**world.values, argument: row_id}
                    pages.append(
                        (endpoint, team_url(app, World(world.team_id, values, {}), endpoint))
                    )
    return pages


def endpoint_of(app: Flask, url: str, method: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(url).path, method=method.upper())
    except HTTPException:
        return None
    return endpoint


def signed_in_as(app: Flask, login: Any, user: Any) -> FlaskClient:
    browser = app.test_client()
    login(user, on=browser)
    return browser


# --- 1. XSS -----------------------------------------------------------------------------


class Filler:
    """Fills a form's fields: payloads in the text a member types, plausible values elsewhere
    (so the form is accepted and the payloads stored). Each field has a list of candidates:
    when the form comes back with an error beside a field, that field gets its next one (a
    shorter payload, then a payload inside a web address, then plain values)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.count = 0
        self.soon = (teams.today() + timedelta(days=21)).isoformat()
        self.past = (teams.today() - timedelta(days=3 + offset)).isoformat()

    def payload(self) -> str:
        self.count += 1
        n = 1000 * (self.offset + 1) + self.count
        return PAYLOADS[(self.offset + self.count) % len(PAYLOADS)].format(n=n)

    def text_candidates(self) -> list[str]:
        payload = self.payload()
        n = self.count
        return [
            payload,
            f"<b onclick=x>{n % 1000}",  # short enough for the shortest fields
            f'https://example.org/"><script>alert({n})</script>',
            f"https://example.org/{n}",
            "7",
        ]

    def candidates(self, form: Form) -> dict[str, list[str]]:
        chosen: dict[str, list[str]] = {}
        for kind, name, value in form.fields:
            if name == "csrf_token" or kind == "hidden":
                values = [value]
            elif kind == "select":
                options = form.options.get(name, [])
                preferred = [o for o in options if o == "designee"]  # asks for a name
                preferred += [o for o in options if o not in {"", "0"}]
                first = form.selected.get(name) or (preferred or options or [""])[0]
                values = [first, *[o for o in options if o != first]]
            elif kind == "checkbox":
                values = [value or "y"]
            elif kind == "checkbox-off":
                # Ticked, to allow what the other forms fill (designees, ...), but votes stay
                # named so that the reasons show with their authors.
                values = ["", value or "y"] if name == "anonymous" else [value or "y", ""]
            elif kind == "radio":
                values = [value]
            elif kind == "date":
                values = [value or self.soon, self.past]
            elif kind == "time":
                values = [value or "09:30"]
            elif kind == "datetime-local":
                values = [value or f"{self.soon}T09:30"]
            elif kind == "number":
                values = [value or "3", "1"]
            elif kind == "email":
                values = [f"invitee{self.offset}.{self.count}@example.org"]
                self.count += 1
            else:  # text, search, url, tel, textarea
                values = self.text_candidates()
            chosen.setdefault(name, values)
        for name, options in form.options.items():
            if name not in chosen and options:
                chosen[name] = options  # a radio group with nothing checked
        return chosen


def field_errors(response: Any) -> set[str]:
    """The fields a re-rendered form marks as wrong (ids `<field>-error`)."""
    return set(re.findall(r'class="field-error" id="([^"]+)-error"', response.get_data(True)))


def submit(browser: FlaskClient, form: Form, filler: Filler, attempts: int = 7) -> Any:
    """Submits `form` until it is accepted, moving each field the answer marks as wrong on
    to its next candidate value."""
    candidates = filler.candidates(form)
    at = dict.fromkeys(candidates, 0)
    response = None
    for _attempt in range(attempts):
        data = MultiDict(
            [(name, values[at[name]]) for name, values in candidates.items() if values[at[name]]]
        )
        if form.method == "get":
            response = browser.get(f"{urlsplit(form.action).path}?{urlencode(list(data.items()))}")
        else:
            response = browser.post(form.action, data=data)
        wrong = {name for name in candidates if name in field_errors(response)}
        wrong |= {
            name
            for name in candidates
            if any(e.endswith(f"-{name}") for e in field_errors(response))
        }
        movable = {name for name in wrong if at[name] + 1 < len(candidates[name])}
        if response.status_code != 422 or not movable:
            return response
        for name in movable:
            at[name] += 1
    return response


def crawl_forms(app: Flask, browser: FlaskClient, urls: list[str]) -> list[Form]:
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    for url in urls:
        response = browser.get(url)
        if not response.content_type.startswith(HTML_TYPES) or response.status_code >= 400:
            continue
        for form in read_page(url, response.get_data(as_text=True)).forms:
            key = (form.method, form.action, tuple(n for _k, n, _v in form.fields))
            forms.setdefault(key, form)
    return list(forms.values())


def vote_with_payloads(world: World) -> None:
    """Votes are cast over Socket.IO; their reasons (concerns) go in through the service."""
    team = world.team_id
    proposal = consensus.create_proposal(
        world.users["lead"], team, title="<script>alert(9001)</script>", text="Vote on this."
    )
    round_ = consensus.open_round(world.users["moderator"], proposal.id)
    for n, actor in enumerate(["lead", "member", "recorder"]):
        voting.cast_vote(
            world.users[actor],
            round_.id,
            choice="sideways" if n % 2 else "down",
            reason=PAYLOADS[n * 5 % len(PAYLOADS)].format(n=9100 + n)
            + " "
            + PAYLOADS[(n * 5 + 1) % len(PAYLOADS)].format(n=9200 + n),
            request_id=f"hostile-{n}",
        )
    consensus.close_round(world.users["moderator"], round_.id)
    # And one the team agrees on, for a decision with a payload title and text.
    proposal = consensus.create_proposal(
        world.users["lead"],
        team,
        title='"><svg onload=alert(9300)>',
        text="[go](javascript:alert(9301)) <script>alert(9302)</script>",
    )
    agree(world, proposal.id)


@dataclass
class Injection:
    submitted: dict[str, list[int]]  # endpoint -> statuses
    stored_in: dict[str, set[str]]  # table -> columns holding a payload


def text_columns() -> Iterator[tuple[sa.Table, sa.Column]]:
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.String | sa.Text) and not isinstance(
                column.type, sa.Enum
            ):
                yield table, column


def where_payloads_are() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with db.engine.connect() as connection:
        for table, column in text_columns():
            hit = connection.execute(
                # Every payload has one of these marks (the data: link's script is in base64).
                # Which payload a field gets depends on how many fields came before it.
                sa.select(sa.func.count()).where(
                    column.like("%alert(%")
                    | column.like("%7*7%")
                    | column.like("%data:text/html%")
                    | column.like("%endif%")
                )
            ).scalar()
            if hit:
                found.setdefault(table.name, set()).add(column.name)
    return found


def prepare(world: World) -> None:
    """Make room for the forms that accept one thing at a time: close the open assessment
    period (a new one gets a payload title), and end the world's meeting-with-minutes."""
    from teamwork.evaluation import services as evaluation

    evaluation.close_period(world.users["lead"], world.team_id, world.values["period_id"])


def approve_minutes(world: World) -> None:
    """Approve the minutes of the team's ended meeting, so that amendments can be added."""
    from teamwork.meetings.minutes import services as minutes_services

    ended = db.session.scalar(
        sa.text("select id from meetings where team_id = :team and status = 'ended'"),
        {"team": world.team_id},
    )
    proposal_id = db.session.scalar(
        sa.text("select approval_proposal_id from minutes where meeting_id = :m"), {"m": ended}
    )  # the crawl may have proposed them already, through the minutes page's button
    if proposal_id is None:
        proposal_id = minutes_services.propose_minutes_approval(
            world.users["lead"], world.team_id, ended
        ).id
    agree(world, proposal_id)


def agree(world: World, proposal_id: int) -> None:
    round_ = consensus.open_round(world.users["moderator"], proposal_id)
    for n, voter in enumerate(consensus.voting_members(world.team_id)):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"ok-{n}")
    consensus.close_round(world.users["moderator"], round_.id)


def inject(app: Flask, world: World, login: Any, rounds: int = 3) -> Injection:
    lead = signed_in_as(app, login, world.users["lead"])
    moderator = signed_in_as(app, login, world.users["moderator"])
    member = signed_in_as(app, login, world.users["member"])
    prepare(world)
    submitted: dict[str, list[int]] = {}
    for round_number in range(rounds):
        if round_number == 1:
            approve_minutes(world)
        urls = [url for _e, url in get_pages(app, world, every_row=True)] + PERSONAL_PAGES
        filler = Filler(round_number)
        for who, browser in (("lead", lead), ("moderator", moderator), ("member", member)):
            for form in crawl_forms(app, browser, urls):
                endpoint = endpoint_of(app, form.action, form.method)
                if endpoint is None or endpoint in NOT_SUBMITTED:
                    continue
                level = POLICY.get(endpoint, {}).get(form.method.upper(), "lead")
                # Each form once, by the actor it is meant for: the moderator's forms by the
                # moderator, a member's own (agency) forms by a member, the rest by the lead.
                meant_for = {"moderator": "moderator", "voter": "member"}.get(level, "lead")
                if who != meant_for and not (level == "own" and who == "member"):
                    continue
                if any(kind in {"password", "file"} for kind, _n, _v in form.fields):
                    continue  # the password and CSV import forms hold no member text
                response = submit(browser, form, filler)
                submitted.setdefault(endpoint, []).append(response.status_code)
                assert response.status_code < 500, f"{endpoint}: {response.status_code}"
    vote_with_payloads(world)
    return Injection(submitted, where_payloads_are())


# Where payloads must have landed for the check of the pages to mean anything: the text
# members write, capability by capability (table -> columns).
MUST_HOLD_PAYLOADS = {
    "action_items": {"description"},
    "activities": {"deliverable", "description", "title"},
    "activity_notes": {"text"},
    "agenda_items": {"description", "notes", "title"},
    "agreement_signatures": {"full_name", "title"},
    "agreement_versions": {"text"},
    "agreements": {"title"},
    "assessment_periods": {"title"},
    "attendance": {"designee_name"},
    "charter_incentives": {"brings", "hopes_to_gain"},
    "charter_norms_versions": {"cadence_note", "discussion", "meeting_day", "meeting_place"},
    "charter_statement_versions": {"text"},
    "concerns": {"text"},
    "decisions": {"text", "title"},
    "invitations": {"agency"},
    "measure_data_points": {"note"},
    "measures": {"description", "name", "unit"},
    "meetings": {"location", "title", "video_url"},
    "memberships": {"agency"},
    "minutes_amendments": {"reason", "text"},
    "moderation_stand_ins": {"note"},
    "proposal_versions": {"note", "text", "title"},
    "proposals": {"title"},
    "search_entries": {"body", "title"},
    "teams": {"description", "name"},
    "users": {"name"},
    "votes": {"reason"},
}


# Injected once per test process, then restored (tests/snapshots.py): sending the corpus
# through every form takes far longer than the checks that read it.
_INJECTED: dict[str, tuple[Snapshot, Injection]] = {}


@pytest.fixture
def injected(app: Flask, world: World, login: Any) -> Injection:
    if "injected" in _INJECTED:
        snapshot, injection = _INJECTED["injected"]
        restore_snapshot(snapshot, replace=True)  # the world, with the corpus written into it
        return injection
    injection = inject(app, world, login)
    _INJECTED["injected"] = (take_snapshot(), injection)
    return injection


def test_payloads_reach_every_text_members_write(injected: Injection) -> None:
    missing = {
        table: sorted(columns - injected.stored_in.get(table, set()))
        for table, columns in MUST_HOLD_PAYLOADS.items()
        if columns - injected.stored_in.get(table, set())
    }
    assert missing == {}, f"payloads not stored: {missing}; forms sent: {injected.submitted}"


class _Response:
    """Just enough of a response for `active_content`."""

    def __init__(self, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        self.headers = {"Content-Type": content_type}
        self.body = body

    def get_data(self, as_text: bool = False) -> str:
        return self.body


@pytest.mark.parametrize(
    "body",
    [
        "<p><script>alert(1)</script></p>",
        "<img src=x onerror=alert(1)>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<iframe src="data:text/html,x"></iframe>',
        '<script type="application/json">{"a": </script><script>alert(1)</script>',
        '<script src="https://cdn.example.org/x.js"></script>',
        "<p>49j1006</p>",
        "<td>k1031</td>",
    ],
)
def test_the_page_check_sees_active_content(body: str) -> None:
    assert active_content("/", _Response(body)) != []


def test_the_page_check_accepts_the_apps_own_markup() -> None:
    body = (
        '<script type="application/json" id="s">{"title": "\\u003cscript\\u003e"}</script>'
        '<script src="/static/js/consensus.js"></script><a href="https://example.org">x</a>'
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}j1006 {% if 1 %}k1007{% endif %}</p>"
        '<svg role="img" aria-labelledby="t"><title id="t">Chart</title></svg>'
    )
    assert active_content("/", _Response(body)) == []
    assert active_content("/", _Response("<script>x</script>", "text/csv")) == []


# The routes that hand a file over (downloads), by name; forms to import are pages.
EXPORT = re.compile(r"export|markdown|(?<!import)_csv$|_pdf$|feed")


def test_no_page_runs_a_payload(app: Flask, world: World, login: Any, injected: Injection) -> None:
    findings: dict[str, list[str]] = {}
    downloads: dict[str, str] = {}
    for actor in ("lead", "member"):
        browser = signed_in_as(app, login, world.users[actor])
        pages = [*get_pages(app, world, every_row=True), *((p, p) for p in PERSONAL_PAGES)]
        # The team's calendar feed (.ics), whose address the team's calendar page gives.
        calendar = browser.get(team_url(app, world, "calendar.team")).get_data(as_text=True)
        pages += [("calendar.feed", path) for path in re.findall(r'[^"\s>]*\.ics', calendar)]
        for endpoint, url in pages:
            response = browser.get(url)
            assert response.status_code < 500, f"GET {url} as {actor}: {response.status_code}"
            found = active_content(url, response)
            if found:
                findings[f"{endpoint} {url} as {actor}"] = found[:5]
            if EXPORT.search(endpoint) and response.status_code == 200:
                downloads[endpoint] = response.content_type
                assert response.headers.get("X-Content-Type-Options") == "nosniff", endpoint
    assert findings == {}
    served_as_html = {e: t for e, t in downloads.items() if t.startswith(HTML_TYPES)}
    assert served_as_html == {}
    # CSV, Markdown, PDF and the calendar feed were all read (not only the pages).
    kinds = {t.split(";")[0] for t in downloads.values()}
    assert {"text/csv", "text/markdown", "text/calendar", "application/pdf"} <= kinds, downloads


# --- 2. Malformed forms -------------------------------------------------------------------


ON_POSTGRESQL = bool(TEST_DATABASE_URL)
LONG = "x" * 100_000
# Malformed bodies, by name: each maps the route's field names to what is sent. Values that
# are lists send the field several times.
MALFORMED: dict[str, Any] = {
    "empty": lambda names: {},
    "blank": lambda names: dict.fromkeys(names, ""),
    "whitespace": lambda names: dict.fromkeys(names, " \t\n "),
    "absurdly long": lambda names: dict.fromkeys(names, LONG),
    "long line of markdown": lambda names: dict.fromkeys(names, "# " + "[a](b)" * 10_000),
    "negative": lambda names: dict.fromkeys(names, "-1"),
    "huge number": lambda names: dict.fromkeys(names, "99999999999999999999999999"),
    "beyond 32 bits": lambda names: dict.fromkeys(names, "4294967296"),
    "not a number": lambda names: dict.fromkeys(names, "NaN"),
    "infinite": lambda names: dict.fromkeys(names, "1e309"),
    "fraction": lambda names: dict.fromkeys(names, "2.5"),
    "invalid date": lambda names: dict.fromkeys(names, "2026-02-30"),
    "far date": lambda names: dict.fromkeys(names, "99999-12-31"),
    "year one": lambda names: dict.fromkeys(names, "0001-01-01"),
    "invalid time": lambda names: dict.fromkeys(names, "25:61"),
    "wrong types": lambda names: dict.fromkeys(names, "[object Object]"),
    "repeated": lambda names: {n: ["1", "two", ""] for n in names},
    "unknown fields": lambda names: {
        "__proto__": "x",
        "id": "1",
        "team_id": "999999",
        "x" * 300: "y",
    },
    "odd characters": lambda names: dict.fromkeys(names, "\u202e\ufeff\U0001f600\u0301\r\n\u2028"),
    "control characters": lambda names: dict.fromkeys(names, "a\x01\x07\x1b[31mb\x7f"),
    "nul byte": lambda names: dict.fromkeys(names, "before\x00after"),
}
# Bodies that are not even a form: raw bytes that are not UTF-8, and JSON.
RAW_BODIES = {
    "not UTF-8": (
        b"%FF%FE%C0%AF=%FF%FE%C0%AF&title=%C3%28&text=%ED%A0%80",
        "application/x-www-form-urlencoded",
    ),
    "JSON": (b'{"title": ["x"], "text": {"a": 1}, "id": -1}', "application/json"),
    "multipart without boundary": (b"--x\r\n\r\n", "multipart/form-data"),
}


def post_routes() -> list[tuple[str, str]]:
    return sorted((e, levels["POST"]) for e, levels in POLICY.items() if "POST" in levels)


def blueprints() -> list[str]:
    return sorted({e.split(".")[0] for e, _level in post_routes()})


def actor_for(level: str) -> str:
    """The most privileged actor for a route: the lead, but the moderator in office where
    only they may act (leads do not moderate while a moderator holds the term)."""
    return "moderator" if level == "moderator" else "lead"


def field_names(app: Flask, world: World, login: Any, blueprint: str) -> dict[str, list[str]]:
    """The names each route of `blueprint` sends, read from the forms of its pages (as the
    lead and as the moderator)."""
    urls = [url for e, url in get_pages(app, world) if e.split(".")[0] == blueprint]
    names: dict[str, set[str]] = {}
    for actor in ("lead", "moderator"):
        for form in crawl_forms(app, signed_in_as(app, login, world.users[actor]), urls):
            endpoint = endpoint_of(app, form.action, form.method)
            if endpoint is not None:
                found = {name for _k, name, _v in form.fields} | set(form.options)
                names.setdefault(endpoint, set()).update(found - {"csrf_token"})
    return {endpoint: sorted(found) for endpoint, found in names.items()}


@dataclass
class Sender:
    """Posts to one route, checking each answer: never a 500, and a refusal (4xx) leaves the
    database as it was before the request."""

    browser: FlaskClient
    url: str
    failures: list[str]

    def send(self, label: str, **request: Any) -> int:
        with committed_writes() as writes:
            response = self.browser.post(self.url, **request)
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{label}: {status}")
        elif 400 <= status < 500 and writes.tables:
            self.failures.append(f"{label}: {status} but it wrote {sorted(writes.tables)}")
        return status


def send_corpus(
    app: Flask,
    world: World,
    login: Any,
    endpoint: str,
    names: list[str],
) -> list[str]:
    """Sends the corpus to one route. Returns what went wrong, one line per body. (JSON
    bodies, NUL characters and ids beyond 32 bits once answered 500 on some routes: now
    refused before any view runs, or treated as no id of ours.)"""

    browser = signed_in_as(app, login, world.users[actor_for(POLICY[endpoint]["POST"])])
    names = names or ["title", "text", "name"]  # a route no page has a form for
    sender = Sender(browser, team_url(app, world, endpoint), [])
    for body, make in MALFORMED.items():
        sender.send(f"{endpoint} {body}", data=MultiDict(list(_pairs(make(names)))))
    for body, (raw, content_type) in RAW_BODIES.items():
        sender.send(f"{endpoint} {body}", data=raw, content_type=content_type)

    values = st.one_of(
        # NUL and ids beyond 31 bits are sent by the "nul byte", "beyond 32 bits" and "huge
        # number" bodies above.
        st.text(st.characters(exclude_characters="\x00"), max_size=40),
        st.sampled_from(["", "0", "-1", "1e400", "2026-13-01", "on", "y", "up"]),
        st.from_regex(r"\A-?[0-9]{1,9}\Z"),
        st.dates().map(str),
    )

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.dictionaries(st.sampled_from([*names, "extra"]), values, max_size=len(names) + 1))
    def generated(body: dict[str, str]) -> None:
        sender.send(f"{endpoint} {body!r}", data=body)

    generated()
    return sender.failures


def _pairs(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in body.items():
        for one in value if isinstance(value, list) else [value]:
            yield name, one


@pytest.mark.parametrize("blueprint", blueprints())
def test_malformed_posts_answer_without_error_and_refusals_change_nothing(
    app: Flask, world: World, login: Any, blueprint: str
) -> None:
    failures = []
    names = field_names(app, world, login, blueprint)
    for endpoint, _level in post_routes():
        if endpoint.split(".")[0] == blueprint:
            failures += send_corpus(app, world, login, endpoint, names.get(endpoint, []))
    assert not failures, "\n".join(failures)
