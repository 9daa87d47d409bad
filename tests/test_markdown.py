"""Markdown written by members renders to safe HTML: formatting kept, anything active removed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teamwork.markdown import plain_text, render_markdown

# Payloads from the usual XSS cheat sheets, in Markdown and raw HTML forms.
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<details open ontoggle=alert(1)>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<base href=//evil.example>",
    "<meta http-equiv=refresh content='0;url=//evil.example'>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<style>body{display:none}</style>",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "[x](&#106;avascript:alert(1))",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
]
SAFE_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {"href", "title", "rel", "align"}


class Elements(HTMLParser):
    """Every element and attribute of an HTML fragment (text is only text)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def active_parts(html: str) -> list[str]:
    """Elements or attributes that could run or load anything."""
    bad = []
    for tag, attrs in Elements(html).found:
        if tag not in SAFE_TAGS:
            bad.append(f"<{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES:
                bad.append(f"{tag}[{name}]")
            if name == "href" and not re.match(r"(https?:|mailto:|[^:]*$)", value or "", re.I):
                bad.append(f"href={value}")
    return bad


@pytest.mark.parametrize("payload", XSS)
def test_active_content_never_survives(payload: str) -> None:
    html = str(render_markdown(payload))
    assert active_parts(html) == [], html


@given(st.text(max_size=300))
def test_any_text_renders_without_active_content(text: str) -> None:
    html = str(render_markdown(text + "\n\n<script>x</script> [a](javascript:b)"))
    assert active_parts(html) == [], html


def test_formatting_and_safe_links_are_kept() -> None:
    html = str(
        render_markdown(
            "# Agenda\n\n**Bold** and *em*\n\n- one\n- two\n\n[Site](https://example.org) "
            "[Mail](mailto:a@example.org)"
        )
    )
    assert "<h1>Agenda</h1>" in html
    assert "<strong>Bold</strong>" in html and "<em>em</em>" in html
    assert "<li>one</li>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert 'href="mailto:a@example.org"' in html


def test_empty_text_renders_nothing() -> None:
    assert str(render_markdown("")) == ""
    assert str(render_markdown(None)) == ""


def test_plain_text_keeps_the_words_without_the_marks_on_one_line() -> None:
    source = "# Minutes\n\n- **Where:** room 204\n- Video: [the call](https://example.org)\n\nDone."
    assert plain_text(source) == "Minutes Where: room 204 Video: the call Done."
    assert plain_text("<script>alert(1)</script>Hi") == "Hi"
    assert plain_text("") == ""
