"""The pure search rules: any text becomes a safe query, Markdown becomes plain text, and
marked snippets split into pieces. No app needed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teamwork.search.rules import (
    MARK_END,
    MARK_START,
    MAX_TERMS,
    Fragment,
    Term,
    fts5_expression,
    parse_query,
    plain_text,
    split_marked,
    websearch_text,
)


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    connection.execute("INSERT INTO t VALUES ('Polygraph results', 'Shared with treatment.')")
    yield connection
    connection.close()


def matches(connection: sqlite3.Connection, expression: str) -> int:
    return connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expression,)).fetchone()[0]


@given(st.text(max_size=300))
def test_any_text_becomes_a_valid_fts5_expression_or_nothing(fts, query: str) -> None:
    expression = fts5_expression(parse_query(query))
    if expression:
        matches(fts, expression)  # raises sqlite3.OperationalError on a syntax error
    else:
        assert parse_query(query) == []


@given(
    st.lists(
        st.sampled_from(['"', "(", ")", "*", "-", "+", "^", ":", "NEAR", "AND", "OR", "NOT", "{"])
        | st.text(alphabet="abcXYZ ", max_size=5),
        max_size=20,
    ).map("".join)
)
def test_fts5_operators_in_any_arrangement_never_form_syntax(fts, query: str) -> None:
    expression = fts5_expression(parse_query(query))
    if expression:
        matches(fts, expression)


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("polygraph", [("polygraph",)]),
        ("Polygraph RESULTS", [("polygraph",), ("results",)]),
        ('"five days" curfew', [("five", "days"), ("curfew",)]),
        ("NEAR(polygraph, 5)", [("near",), ("polygraph",), ("5",)]),
        ("polygraph-results", [("polygraph",), ("results",)]),
        ("polygraph polygraph", [("polygraph",)]),
        ('"unbalanced quote', [("unbalanced", "quote")]),
        ("* - ( ) ^", []),
        ("café 東京", [("café",), ("東京",)]),
        ("under_score", [("under",), ("score",)]),
    ],
)
def test_queries_are_reduced_to_words_and_phrases(query: str, terms: list[tuple[str, ...]]) -> None:
    assert [term.words for term in parse_query(query)] == terms


def test_at_most_so_many_terms_are_kept() -> None:
    query = " ".join(f"word{n}" for n in range(MAX_TERMS + 5))
    assert len(parse_query(query)) == MAX_TERMS


def test_operators_become_quoted_words(fts) -> None:
    assert fts5_expression(parse_query("NEAR(polygraph")) == '"near" "polygraph"'
    assert matches(fts, fts5_expression(parse_query("polygraph*"))) == 1
    assert matches(fts, fts5_expression(parse_query("-polygraph results"))) == 1
    assert matches(fts, fts5_expression(parse_query("polygraph absent"))) == 0


def test_websearch_text_keeps_phrases_quoted() -> None:
    terms = [Term(("five", "days")), Term(("curfew",))]
    assert websearch_text(terms) == '"five days" curfew'


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("# Heading\n\n**Bold** and _it_", "Heading\nBold and it"),
        ("- one\n- [two](https://example.org)", "one\ntwo"),
        ("> quoted\n\n1. first", "quoted\nfirst"),
        ("risk < 3 & falling", "risk < 3 & falling"),
        ('ok <script>alert("x")</script> done', "ok done"),
        ("a <b>bold</b> word.", "a bold word."),
        ("one<br>two</p><p>three", "one two three"),
        ("marker \x02forged\x03 text", "marker forged text"),
        ("```\ncode\n```", "code"),
    ],
)
def test_plain_text_keeps_what_a_reader_sees(markdown: str, plain: str) -> None:
    assert plain_text(markdown) == plain


@given(st.text())
def test_plain_text_never_keeps_a_highlight_marker(markdown: str) -> None:
    out = plain_text(markdown)
    assert MARK_START not in out and MARK_END not in out


def test_marked_snippets_split_into_pieces() -> None:
    snippet = f"the {MARK_START}polygraph{MARK_END} result"
    assert split_marked(snippet) == [
        Fragment("the ", False),
        Fragment("polygraph", True),
        Fragment(" result", False),
    ]


@given(st.text(alphabet=st.sampled_from(["a", " ", "<", MARK_START, MARK_END])))
def test_split_marked_keeps_every_other_character_and_drops_markers(snippet: str) -> None:
    pieces = split_marked(snippet)
    joined = "".join(piece.text for piece in pieces)
    assert joined == snippet.replace(MARK_START, "").replace(MARK_END, "")
    assert all(piece.text for piece in pieces)
