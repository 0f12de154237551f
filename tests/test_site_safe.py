"""Record text made safe for pages: the plain-text fast path renders as Markdown would."""

from __future__ import annotations

import html
import re

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
    # Markup in record text is shown as text: no element, attribute or script URL comes out of it.
    assert "<script" not in out and "<img" not in out and "<svg" not in out, out
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", out), out
    assert not re.search(r'<a [^>]*href="(?!https?:|mailto:)', out), out


def test_single_line_text_is_escaped_for_attributes_too() -> None:
    assert safe.text('" onmouseover="alert(1)') == "&quot; onmouseover=&quot;alert(1)"


def test_only_http_urls_become_links() -> None:
    assert safe.url("javascript:alert(1)") == ""
    assert safe.url(" JaVaScRiPt:alert(1)") == ""
    assert safe.url("https://example.com/x?a=1&b=2") == "https://example.com/x?a=1&amp;b=2"


@pytest.mark.parametrize(
    "evidence",
    [".*.*=.*", 'rate(http_requests_total{code=~"5.."}[5m]) * 100', "__init__ and *_total", "a_b_c * d_e_f *", "{: .x } {#y}"],
)
def test_code_and_regexes_in_free_text_are_shown_as_written(evidence: str) -> None:
    """No emphasis in record text: globs, regexes and PromQL keep every character."""
    out = safe.rich(f"Matched {evidence} in the logs")
    assert "<em>" not in out and "<strong>" not in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)).strip() == f"Matched {evidence} in the logs"


def test_markdown_that_helps_readers_still_renders() -> None:
    out = safe.rich(
        "Steps:\n\n- run `ratesync --force`\n- check [the dashboard](https://grafana.example.com/d/x)\n\n```\nERROR *pool* exhausted\n```"
    )
    assert "<li>run <code>ratesync --force</code></li>" in out
    assert '<a href="https://grafana.example.com/d/x"' in out
    assert "<pre><code>ERROR *pool* exhausted" in out
