"""Markdown written by members (minutes, notes, descriptions), rendered to safe HTML.

Markdown is rendered first, then the HTML is sanitized with nh3 against an allowlist of tags and
attributes, and links may only use http, https or mailto: whatever a member types, the page gets
no script, no event handler, no style and no javascript: link.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown as _markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """HTML for `text`, safe to insert in a page."""
    if not text:
        return Markup("")
    html = _markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704  # nosec B704 - sanitized by nh3 just above


class _Words(HTMLParser):
    """Collects the text of rendered HTML, a space between blocks."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "br", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str | None) -> str:
    """The words of Markdown `text` without its marks (no "#", "**" or list dashes), on one
    line: for summaries such as the decision log's, where the whole is a click away."""
    if not text:
        return ""
    words = _Words()
    words.feed(str(render_markdown(text)))
    words.close()
    return re.sub(r"\s+", " ", "".join(words.parts)).strip()
