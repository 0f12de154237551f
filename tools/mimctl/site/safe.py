"""Making untrusted record text safe for HTML pages.

Single-line fields are HTML-escaped. Free text is rendered as Markdown and then
sanitised with an allowlist (nh3): no scripts, no event handlers, no images
(they would make requests), links only to http, https and mailto. Everything
from a record reaches a page through this module, inside a raw HTML block, so
MkDocs never treats record text as Markdown (no attribute lists, no links of
its own making).
"""

from __future__ import annotations

import html
from functools import lru_cache

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
        "del",
        "kbd",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def text(value: object) -> str:
    """A single-line value as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


@lru_cache(maxsize=4096)
def _markdown() -> object:
    import markdown

    return markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"], output_format="html")


def rich(value: object) -> str:
    """Free text (Markdown) as sanitised HTML."""
    import nh3

    if value is None or value == "":
        return ""
    converter = _markdown()
    converter.reset()  # type: ignore[attr-defined]
    rendered = converter.convert(str(value))  # type: ignore[attr-defined]
    return str(
        nh3.clean(
            rendered,
            tags=set(ALLOWED_TAGS),
            attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )


def url(value: object) -> str:
    """An http(s) URL for an href, or '' when it is anything else (javascript:, data:, ...)."""
    candidate = str(value or "").strip()
    if not candidate.lower().startswith(("https://", "http://")) or any(c in candidate for c in "\"'<> \t\n`"):
        return ""
    return html.escape(candidate, quote=True)


def block(inner: str, cls: str = "") -> str:
    """A raw HTML block for a Markdown page: blank lines around it, one root element."""
    attr = f' class="{text(cls)}"' if cls else ""
    return f"\n\n<div{attr}>{inner}</div>\n\n"
