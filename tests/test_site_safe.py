"""Record text made safe for pages: the plain-text fast path renders as Markdown would."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimctl.site import safe

PLAIN = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\\`*_[]<>&|~#+-=>\t"), max_size=200)


def _normal(html: str) -> str:
    return (
        " ".join(html.replace("&nbsp;", "\xa0").replace("&quot;", '"').replace("&#x27;", "'").split())
        .replace(" </p>", "</p>")
        .replace("<p> ", "<p>")
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(PLAIN, min_size=1, max_size=3))
def test_plain_text_renders_as_markdown_would(paragraphs: list[str]) -> None:
    source = "\n\n".join(paragraphs)
    if safe._MARKUP.search(source):
        return  # not plain: the full renderer handles it
    assert _normal(safe.plain(source)) == _normal(safe._render(source))


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '{: onclick="alert(1)" }',
        "</title><script>alert(1)</script>",
        '"><svg onload=alert(1)>',
    ],
)
def test_hostile_text_comes_out_inert(payload: str) -> None:
    out = safe.rich(f"Before {payload} after").lower()
    assert "<script" not in out and "onerror" not in out.replace("onerror=alert(1)&gt;", "") and "javascript:" not in out
    assert "<img" not in out and "<svg" not in out


def test_single_line_text_is_escaped_for_attributes_too() -> None:
    assert safe.text('" onmouseover="alert(1)') == "&quot; onmouseover=&quot;alert(1)"


def test_only_http_urls_become_links() -> None:
    assert safe.url("javascript:alert(1)") == ""
    assert safe.url(" JaVaScRiPt:alert(1)") == ""
    assert safe.url("https://example.com/x?a=1&b=2") == "https://example.com/x?a=1&amp;b=2"
