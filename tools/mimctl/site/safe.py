"""Making untrusted record text safe for HTML pages.

Single-line fields are HTML-escaped. Free text is rendered by our own Markdown
converter, whatever extensions the site's mkdocs.yml enables, with a small
grammar that keeps evidence as written: paragraphs, lists, quotes, tables,
links, ``code`` and fenced code blocks. There is no emphasis (``*`` and ``_``
stay characters, so ``.*.*=.*`` shows as written) and no raw HTML (a tag shows
as text). The result is sanitised with an allowlist (nh3): no scripts, no event
handlers, no images (they would make requests), links only to http, https and
mailto. Everything from a record reaches a page through this module, inside a
raw HTML block that the MkDocs plugin hands past the site's Markdown, so no
extension (``attr_list``, ``md_in_html``, ``pymdownx.*``) ever sees record text.
"""

from __future__ import annotations

import html
import re
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


def heading(level: int, value: object, anchor: str = "") -> str:
    """A heading from record text, as HTML: Markdown (and its extensions) never see it."""
    ident = f' id="{text(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{text(value)}</h{level}>"


# Inline patterns left out of record text: emphasis would turn regexes and globs in evidence
# (``.*.*=.*``, ``*_total``) into italics, and raw HTML is shown as text rather than dropped.
_NOT_IN_RECORD_TEXT = ("em_strong", "em_strong2", "html", "entity", "not_strong", "linebreak")


@lru_cache(maxsize=1)
def _markdown() -> object:
    import markdown

    converter = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
    for name in _NOT_IN_RECORD_TEXT:
        if name in converter.inlinePatterns:
            converter.inlinePatterns.deregister(name)
    converter.preprocessors.deregister("html_block")
    return converter


# Text without any of these renders as plain paragraphs: no Markdown to run.
_MARKUP = re.compile(r"[\\`*_\[\]<>&|~]|^\s*(?:[#>+-]|[0-9]+[.)](?:\s|$)|={2,}|-{2,})|^(?: {4}|\t)| {2,}$", re.MULTILINE)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n+")


def rich(value: object) -> str:
    """Free text (Markdown) as sanitised HTML."""
    if value is None or value == "":
        return ""
    source = str(value)
    if not _MARKUP.search(source):
        return plain(source)
    return _render(source)


def plain(source: str) -> str:
    """Text with no Markdown in it, as Markdown would render it (escaped paragraphs)."""
    paragraphs = [p.strip(" \t\n") for p in _PARAGRAPHS.split(source) if p.strip()]
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


@lru_cache(maxsize=4096)
def _render(source: str) -> str:
    import nh3

    converter = _markdown()
    converter.reset()  # type: ignore[attr-defined]
    rendered = converter.convert(source)  # type: ignore[attr-defined]
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
    """A raw HTML block for a Markdown page: one root element, blank lines around it, none inside.

    With no blank line inside, a block is exactly one paragraph-sized chunk of
    the page, which lets the MkDocs plugin hand it past the Markdown parser.
    A newline inside <pre> stays a newline as the entity &#10;.
    """
    attr = f' class="{text(cls)}"' if cls else ""
    inner = _BLANK_LINES.sub(lambda m: "\n" + "&#10;\n" * (m.group(0).count("\n") - 1), inner)
    return f"\n\n<div{attr}>{inner}</div>\n\n"


_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
