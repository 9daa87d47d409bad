"""Search rules with no I/O: turning what a person typed into a safe full-text query, turning
Markdown into the plain text we index, and turning marked snippets into safe HTML pieces.

Whatever someone types in the search box must never reach the database as query syntax:
SQLite's FTS5 has operators (`NEAR(`, `AND`, `*`, `^`, column filters...) that raise errors
when misused, and PostgreSQL's parsers have their own. So a query is reduced to words (and
"quoted phrases"), each quoted on its way into FTS5; anything else is dropped.

Stdlib only (see tests/test_architecture.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Highlight markers: the database wraps matches in these; they are stripped from every
# indexed text first, so a marker in the output can only come from the database.
MARK_START = "\x02"
MARK_END = "\x03"

MAX_TERMS = 12  # more words than this add nothing but cost
MAX_QUERY_LENGTH = 500

_WORD = re.compile(r"[^\W_]+")  # letters and digits in any script
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"?|([^"\s]+)')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words that must appear together in order."""

    words: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


def parse_query(text: str) -> list[Term]:
    """The words and "quoted phrases" of a query, punctuation and operators dropped.

    Each term must match (AND); repeated terms count once; at most MAX_TERMS are kept.
    """
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    for match in _PHRASE_OR_WORD.finditer(text[:MAX_QUERY_LENGTH]):
        phrase, bare = match.group(1), match.group(2)
        chunk = phrase if phrase is not None else bare
        words = tuple(word.lower() for word in _WORD.findall(chunk))
        if not words:
            continue
        # Outside quotes, "polygraph-results" is two words, each required, not a phrase.
        groups = [words] if phrase is not None else [(word,) for word in words]
        for group in groups:
            if group not in seen:
                seen.add(group)
                terms.append(Term(group))
    return terms[:MAX_TERMS]


def fts5_expression(terms: list[Term]) -> str:
    """An FTS5 MATCH expression requiring every term: each a double-quoted string (FTS5
    treats what is inside as plain text, so no operator can be formed), joined by spaces
    (an implicit AND). Empty when there is nothing to search for."""
    return " ".join('"' + " ".join(term.words).replace('"', '""') + '"' for term in terms)


def websearch_text(terms: list[Term]) -> str:
    """The same terms for PostgreSQL's `websearch_to_tsquery` (which accepts any text, but
    should see the same words as SQLite does)."""
    return " ".join(
        '"' + " ".join(term.words) + '"' if term.is_phrase else term.words[0] for term in terms
    )


_FENCE = re.compile(r"^\s*(```|~~~).*$", re.M)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.M)
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.M)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|`)(?=\S)(.+?)(?<=\S)\1")
_SPACES = re.compile(r"[ \t]+")
# Raw HTML in Markdown: the sanitized page never shows the tags (and drops script and style
# contents), so neither do snippets; "a < b" is not a tag and stays.
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)
# A tag that breaks a line separates words; an inline one (<b>, <em>) does not.
_BREAK_TAG = re.compile(
    r"</?(br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|hr|pre)\b[^<>]*>", re.I
)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def plain_text(markdown: str) -> str:
    """Markdown reduced to the words a reader sees, for the index and its snippets: links
    keep their text, markup characters and HTML tags go, and no control character (a
    highlight marker included) survives."""
    text = _CONTROL.sub(" ", markdown.replace("\r\n", "\n"))
    text = _SCRIPT_OR_STYLE.sub(" ", text)
    text = _BREAK_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    text = _FENCE.sub("", text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    for _ in range(3):  # nested emphasis (**_word_**) unwraps one layer per pass
        text = _EMPHASIS.sub(r"\2", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def clean_text(text: str) -> str:
    """Plain text for the index: control characters (markers included) become spaces."""
    return _CONTROL.sub(" ", text).strip()


@dataclass(frozen=True)
class Fragment:
    """A piece of a snippet: `marked` pieces are the words that matched."""

    text: str
    marked: bool


def split_marked(snippet: str) -> list[Fragment]:
    """A snippet with MARK_START/MARK_END around matches, as plain and marked pieces.

    Unbalanced or stray markers are tolerated (a marker never opens twice); the caller escapes
    every piece, so the result is safe whatever the snippet holds.
    """
    fragments: list[Fragment] = []
    marked = False
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            fragments.append(Fragment("".join(buffer), marked))
            buffer.clear()

    for char in snippet:
        if char == MARK_START and not marked:
            flush()
            marked = True
        elif char == MARK_END and marked:
            flush()
            marked = False
        elif char not in (MARK_START, MARK_END):
            buffer.append(char)
    flush()
    return fragments
