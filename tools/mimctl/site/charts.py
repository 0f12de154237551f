"""Static SVG charts made at build time: no JavaScript, no fonts or files fetched, no third-party code.

Labels come from records and are untrusted: every text goes through
``escape``/``quoteattr`` (after dropping control characters, which XML cannot
carry). Output is deterministic: the same input gives the same bytes.
Each chart has a ``<title>`` and a ``<desc>`` listing its figures, and each bar
its own ``<title>``, so screen readers and hover tooltips show the numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
ROW, BAR = 26, 18
TOP = 44
VALUE_SPACE = 90
MAX_LABEL = 32
FONT = 'font-family="sans-serif"'
PALETTE = ("#3f51b5", "#e91e63", "#009688", "#ff9800", "#9c27b0", "#795548", "#607d8b", "#cddc39", "#00bcd4")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(text: object) -> str:
    return " ".join(_CONTROL.sub("", str(text)).split())


def _text(text: object) -> str:
    """Element content: control characters dropped, ``& < >`` escaped."""
    return escape(_clean(text))


def _attr(text: object) -> str:
    """A quoted attribute value."""
    return quoteattr(_clean(text))


def _short(label: str) -> str:
    label = _clean(label)
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _n(x: float) -> str:
    return f"{x:.1f}"


def _value(v: float) -> float:
    return v if math.isfinite(v) and v > 0 else 0.0


def _default_label(v: float, unit: str) -> str:
    text = f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def _formatter(unit: str, value_format: Callable[[float], str] | None) -> Callable[[float], str]:
    return value_format or (lambda v: _default_label(v, unit))


def _label_width(labels: Sequence[str]) -> int:
    longest = max((len(_short(label)) for label in labels), default=4)
    return min(16 + 7 * longest, 240)


def _open(title: str, desc: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{_text(title)}</title>',
        f'<desc id="chart-desc">{_text(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="22" {FONT} font-size="15" font-weight="bold" fill="#212121">{_text(title)}</text>',
    ]


def _empty(title: str) -> str:
    lines = _open(title, "No data yet.", TOP + ROW)
    lines.append(f'<text x="8" y="{TOP + 14}" {FONT} font-size="12" fill="#616161">No data yet.</text>')
    return "\n".join([*lines, "</svg>"]) + "\n"


def _row_label(y: float, label_w: int, label: str) -> str:
    return (
        f'<text x="{label_w - 8}" y="{_n(y + BAR / 2 + 4)}" {FONT} font-size="12" text-anchor="end" fill="#212121">'
        f"{_text(_short(label))}</text>"
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str = "",
    value_format: Callable[[float], str] | None = None,
    colour: str = PALETTE[0],
) -> str:
    """A horizontal bar chart, one bar per label; ``value_format`` turns a value into its text."""
    if len(labels) != len(values):
        raise ValueError("labels and values must have the same length")
    if not labels:
        return _empty(title)
    shown = [_value(float(v)) for v in values]
    texts = [_formatter(unit, value_format)(v) for v in shown]
    label_w = _label_width(labels)
    span = WIDTH - label_w - VALUE_SPACE
    top = max(shown) or 1.0
    height = TOP + ROW * len(labels) + 8
    desc = "; ".join(f"{_clean(label)}: {_clean(text)}" for label, text in zip(labels, texts, strict=True))
    lines = _open(title, desc, height)
    for row, (label, value, text) in enumerate(zip(labels, shown, texts, strict=True)):
        y = TOP + row * ROW
        w = span * value / top
        lines += [
            "<g>",
            f"<title>{_text(f'{_clean(label)}: {_clean(text)}')}</title>",
            _row_label(y, label_w, label),
            f'<rect x="{label_w}" y="{y}" width="{_n(w)}" height="{BAR}" fill={_attr(colour)}/>',
            f'<text x="{_n(label_w + w + 6)}" y="{_n(y + BAR / 2 + 4)}" {FONT} font-size="12" fill="#424242">{_text(text)}</text>',
            "</g>",
        ]
    return "\n".join([*lines, "</svg>"]) + "\n"


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    unit: str = "",
    value_format: Callable[[float], str] | None = None,
) -> str:
    """Horizontal stacked bars: one bar per label, one coloured segment per ``(name, values)`` series."""
    fmt = _formatter(unit, value_format)
    if any(len(values) != len(labels) for _, values in series):
        raise ValueError("every series needs one value per label")
    if not labels or not series:
        return _empty(title)
    totals = [sum(_value(float(values[row])) for _, values in series) for row in range(len(labels))]
    label_w = _label_width(labels)
    span = WIDTH - label_w - VALUE_SPACE
    top = max(totals) or 1.0
    per_row = 4
    legend_rows = math.ceil(len(series) / per_row)
    bars_end = TOP + ROW * len(labels)
    height = bars_end + 12 + legend_rows * 20 + 8
    desc_rows = []
    for row, label in enumerate(labels):
        parts = ", ".join(f"{_clean(name)} {fmt(_value(float(values[row])))}" for name, values in series)
        desc_rows.append(f"{_clean(label)}: {parts}")
    lines = _open(title, "; ".join(desc_rows), height)
    for row, label in enumerate(labels):
        y = TOP + row * ROW
        lines += ["<g>", _row_label(y, label_w, label)]
        x = float(label_w)
        for index, (name, values) in enumerate(series):
            value = _value(float(values[row]))
            if value <= 0:
                continue
            w = span * value / top
            tip = f"{_clean(label)}, {_clean(name)}: {fmt(value)}"
            lines.append(
                f'<rect x="{_n(x)}" y="{y}" width="{_n(w)}" height="{BAR}" fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{_text(tip)}</title></rect>"
            )
            x += w
        total = fmt(totals[row])
        lines += [f'<text x="{_n(x + 6)}" y="{_n(y + BAR / 2 + 4)}" {FONT} font-size="12" fill="#424242">{_text(total)}</text>', "</g>"]
    for index, (name, _) in enumerate(series):
        lx = 8 + (index % per_row) * ((WIDTH - 16) // per_row)
        ly = bars_end + 12 + (index // per_row) * 20
        lines += [
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>',
            f'<text x="{lx + 18}" y="{ly + 11}" {FONT} font-size="12" fill="#212121">{_text(_short(name))}</text>',
        ]
    return "\n".join([*lines, "</svg>"]) + "\n"
