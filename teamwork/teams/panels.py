"""The panels of a team's page and of the dashboard that other capabilities contribute (the
next meeting, the evaluation summary, the rounds waiting for my vote, ...).

The team page belongs to teams, which sits below meetings and evaluation: it cannot ask their
services itself. Each of them registers a panel here when its pages are set up
(`register_panel`, at import of its views module); the page includes every panel's template,
in `order`, with what its `context` function returns. The dashboard's "What needs you now" panels
work the same way (`register_dashboard_panel`), with the signed-in user in place of a team
access. Imports nothing of Teamwork.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    # context(access) -> the variables the template reads (access is a teams.services.TeamAccess)
    context: Callable[[Any], dict[str, Any]]
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register_panel(
    name: str, template: str, context: Callable[[Any], dict[str, Any]], *, order: int = 100
) -> None:
    """Show `template` on the team page, rendered with `context(access)` (idempotent: a name
    registered again replaces the earlier panel)."""
    _PANELS[name] = Panel(name, template, context, order)


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.name))


_DASHBOARD_PANELS: dict[str, Panel] = {}


def register_dashboard_panel(
    name: str, template: str, context: Callable[[Any], dict[str, Any]], *, order: int = 100
) -> None:
    """Show `template` in the dashboard's "What needs you now", rendered with `context(user)` (the
    signed-in auth.models.User; idempotent like register_panel)."""
    _DASHBOARD_PANELS[name] = Panel(name, template, context, order)


def dashboard_panels() -> list[Panel]:
    return sorted(_DASHBOARD_PANELS.values(), key=lambda panel: (panel.order, panel.name))
