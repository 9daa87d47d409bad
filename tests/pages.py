"""Reading rendered pages in tests: the text a reader sees, and the error beside a field."""

from __future__ import annotations

import html
import re
from typing import Any


def page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def text(response: Any) -> str:
    """The page's text: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split())


def field_error(response: Any, field_id: str) -> str:
    """The error shown beside a field (templates/_forms.html gives it the id `<field>-error`)."""
    match = re.search(
        rf'<div class="field-error" id="{re.escape(field_id)}-error">(.*?)</div>',
        page(response),
        re.S,
    )
    assert match, f"no error beside {field_id}"
    return match.group(1)
