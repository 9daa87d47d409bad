"""Pure rules of a person's own account: which time zones they may choose, and how a sign-in
session is described to them (device from the user agent, a shortened address).

Standard library only (a test enforces it).
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

# Offered first, in this order; every other IANA zone follows alphabetically.
COMMON_TIMEZONES: tuple[tuple[str, str], ...] = (
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Arizona (Phoenix, no daylight saving)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("UTC", "UTC"),
)


@cache
def timezone_names() -> frozenset[str]:
    """Every IANA zone this system knows (the tz database, or the `tzdata` package)."""
    return frozenset(available_timezones())


def timezone_choices() -> list[tuple[str, str]]:
    """(value, label) pairs for the time zone select: the common ones, then all the others."""
    known = timezone_names()
    common = [(name, label) for name, label in COMMON_TIMEZONES if name in known or name == "UTC"]
    taken = {name for name, _label in common}
    others = sorted(name for name in known if name not in taken)
    return common + [(name, name.replace("_", " ")) for name in others]


def is_timezone(name: str) -> bool:
    return name == "UTC" or name in timezone_names()


# (pattern, name) tried in order: the first match names the browser / the system.
_BROWSERS = (
    (r"Edg(?:e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "Mac"),
    (r"Linux", "Linux"),
)


def describe_device(user_agent: str | None) -> str:
    """A short name for the device a session was started on ("Firefox on Windows"), parsed
    simply from its user agent; "Unknown device" when nothing is recognised."""
    agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, agent)), None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def address_prefix(address: str | None) -> str:
    """Enough of the address a session came from to recognise a network, not a person: the
    first three parts of an IPv4 address, the first three groups of an IPv6 one."""
    if not address:
        return ""
    if ":" in address:
        groups = address.split(":")
        return ":".join(groups[:3]) + ":…"
    parts = address.split(".")
    return ".".join(parts[:3]) + ".…" if len(parts) == 4 else address
