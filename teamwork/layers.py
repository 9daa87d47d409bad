"""The layer order of Teamwork's modules and capabilities, lowest first, declared once.

Why: a capability built on another may use it, never the other way round, so each can be read,
tested and changed knowing only what lies below it. A lower capability that needs something
from a higher one *asks*: a blinker signal or a registry the higher one fills at start-up
(`consensus/signals.py`, `teams/signals.py`, `teams/panels.py`, `audit.recorder.watch`, ...).
`tests/test_architecture.py` walks every import in `teamwork/` (lazy ones inside functions
included) and fails on any that points upwards or sideways, and on any module or package of
`teamwork` missing from this list. `docs/architecture.md` shows the same order.

Each entry is a tier; names in one tier may not import each other. A module may import its own
package and anything in a lower tier. Exceptions: the modules of the foundation may import each
other (the architecture test checks that they form no cycle), and the composition root may
import anything. A declared name with no package yet (a capability being created) is allowed.

Standard library only: the architecture test imports this without the app.
"""

from __future__ import annotations

import textwrap

FOUNDATION = "foundation"
COMPOSITION_ROOT = "composition root"

# (tier name, the top-level modules or packages of `teamwork` in it), lowest first.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        FOUNDATION,
        (
            "cleaning",
            "config",
            "encryption",
            "extensions",
            "database",
            "database_events",
            "errors",
            "forms",
            "mail",
            "markdown",
            "security",
            "retention",
            "templating",
            "serve",
            "layers",
        ),
    ),
    ("infrastructure", ("audit", "realtime", "jobs", "outbox")),
    ("auth", ("auth",)),
    ("teams", ("teams",)),
    ("consensus", ("consensus",)),
    ("norms", ("norms",)),
    ("agreements", ("agreements",)),
    ("charter", ("charter",)),
    ("meetings", ("meetings",)),
    ("moderation, workplans", ("moderation", "workplans")),
    ("discussion", ("discussion",)),
    ("evaluation, search", ("evaluation", "search")),
    ("notifications", ("notifications",)),
    # "" is the package `teamwork/__init__.py` itself (create_app).
    (COMPOSITION_ROOT, ("", "models", "cli", "demo")),
)


def tier_of(name: str) -> int | None:
    """The index in LAYERS of a top-level module or package of `teamwork` ("" for the package
    itself), or None when it is not declared."""
    for index, (_tier, names) in enumerate(LAYERS):
        if name in names:
            return index
    return None


def describe() -> str:
    """The order as docs/architecture.md shows it, lowest first (a test checks that the page
    has exactly this text)."""
    lines = []
    for index, (tier, names) in enumerate(LAYERS, start=1):
        shown = ", ".join("teamwork/__init__.py" if name == "" else name for name in names)
        label = shown if shown == tier else f"{tier}: {shown}"
        lines += textwrap.wrap(
            label, width=96, initial_indent=f"{index:>2}  ", subsequent_indent=" " * 4
        )
    return "\n".join(lines)
