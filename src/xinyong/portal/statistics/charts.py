"""Small server-side SVG charts: bars (grouped or stacked) and lines.

No charting library (see ``docs/statistics.md``): each function returns one ``<svg>``
element as :class:`markupsafe.Markup`, to be inlined in a page. The output is deterministic
(the same input gives the same bytes), every text is escaped and stripped of characters
XML does not allow, and a value that is negative or not finite is drawn as 0 (one above
10^15 as 10^15), so no width or height is ever negative or NaN. Each chart has
``role="img"``, a ``<title>`` and a ``<desc>`` it is labelled by; the page shows the same
numbers in a table beside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

#: Series colours: each has at least 3:1 contrast against the white background (WCAG
#: 1.4.11, non-text contrast) and they differ in lightness as well as hue.
PALETTE = (
    "#0b5fa5",
    "#c2410c",
    "#047857",
    "#7e3a8c",
    "#8a6a00",
    "#b0124f",
    "#36454f",
    "#1d6f7a",
    "#6b4226",
    "#4338ca",
    "#5f7a00",
    "#9a3412",
)
AXIS = "#555555"
GRID = "#d0d0d0"
TEXT = "#222222"

WIDTH = 720
HEIGHT = 340
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 16, 16, 64
_LEGEND_ROW = 20
_BAD_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Series:
    """One named series: a value per category (same order as the chart's categories)."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Reference:
    """A horizontal dashed line across the plot, e.g. a deadline."""

    name: str
    value: float


#: The largest value drawn (larger ones are drawn as this): far above any count.
MAX_VALUE = 1e15


def clean(value: float) -> float:
    """A drawable value: negative, NaN and infinite values become 0, and values above
    :data:`MAX_VALUE` are drawn as it."""
    if not math.isfinite(value) or value <= 0:
        return 0.0
    return min(float(value), MAX_VALUE)


def _text(value: str) -> str:
    return escape(_BAD_XML.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_BAD_XML.sub("", value))


def _num(x: float) -> str:
    """A coordinate with one decimal, never ``-0.0``."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def nice_max(top: float) -> tuple[float, float]:
    """An axis maximum at or above ``top`` and its tick step (1, 2 or 5 times a power of
    ten, at most five steps)."""
    top = clean(top)
    if top <= 0:
        return 1.0, 1.0
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        step = m * power
        if step >= raw:
            break
    if step < 1 and top >= 1:
        step = 1.0
    return step * math.ceil(top / step - 1e-9), step


def _label(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _nothing(empty: str) -> list[str]:
    """The chart's message when it has nothing to draw."""
    if not empty:
        return []
    y = _TOP + (HEIGHT - _TOP - _BOTTOM) / 2
    return [
        f'<text class="empty" x="{_num(_LEFT + (WIDTH - _LEFT - _RIGHT) / 2)}" y="{_num(y)}" '
        f'text-anchor="middle" font-size="16" fill="{TEXT}">{_text(empty)}</text>'
    ]


def _frame(ident: str, title: str, desc: str, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f"aria-labelledby={_attr(ident + '-title')} aria-describedby={_attr(ident + '-desc')} "
        f'font-family="sans-serif" font-size="12">'
        f"<title id={_attr(ident + '-title')}>{_text(title)}</title>"
        f"<desc id={_attr(ident + '-desc')}>{_text(desc)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(names: Sequence[str], top: float, swatch: str = "rect") -> tuple[list[str], float]:
    """Legend entries in rows under the plot; returns the SVG and the height used."""
    out: list[str] = []
    x, y = float(_LEFT), top
    for n, name in enumerate(names):
        shown = name if len(name) <= 34 else name[:33] + "…"
        w = 26 + 6.8 * len(shown) + sum(5.5 for ch in shown if ord(ch) > 0x2E80)
        if x + w > WIDTH - _RIGHT and x > _LEFT:
            x, y = float(_LEFT), y + _LEGEND_ROW
        colour = PALETTE[n % len(PALETTE)]
        if swatch == "line":
            out.append(
                f'<line x1="{_num(x)}" y1="{_num(y + 6)}" x2="{_num(x + 14)}" y2="{_num(y + 6)}" '
                f'stroke="{colour}" stroke-width="3"/>'
            )
        else:
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="12" height="12" fill="{colour}"/>'
            )
        out.append(
            f'<text x="{_num(x + 18)}" y="{_num(y + 10)}" fill="{TEXT}">{_text(shown)}</text>'
        )
        x += w
    return out, (y - top + _LEGEND_ROW) if names else 0.0


def _axes(
    categories: Sequence[str], top_value: float, plot_h: float, references: Sequence[Reference]
) -> tuple[list[str], float, float]:
    """Grid lines, value ticks and category labels; returns (svg, axis max, slot width)."""
    peak = max([top_value, *(clean(r.value) for r in references)])
    axis_max, step = nice_max(peak)
    plot_w = WIDTH - _LEFT - _RIGHT
    slot = plot_w / max(len(categories), 1)
    out: list[str] = []
    ticks = round(axis_max / step)
    for i in range(ticks + 1):
        v = step * i
        y = _TOP + plot_h - plot_h * v / axis_max
        out.append(
            f'<line x1="{_LEFT}" y1="{_num(y)}" x2="{WIDTH - _RIGHT}" y2="{_num(y)}" '
            f'stroke="{GRID if i else AXIS}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end" fill="{TEXT}">'
            f"{_text(_label(v))}</text>"
        )
    every = max(1, math.ceil(len(categories) / 12))
    for i, cat in enumerate(categories):
        if i % every:
            continue
        x = _LEFT + slot * (i + 0.5)
        shown = cat if len(cat) <= 12 else cat[:11] + "…"
        out.append(
            f'<text x="{_num(x)}" y="{_num(_TOP + plot_h + 16)}" text-anchor="middle" '
            f'fill="{TEXT}">{_text(shown)}</text>'
        )
    for r in references:
        y = _TOP + plot_h - plot_h * clean(r.value) / axis_max
        out.append(
            f'<line class="reference" x1="{_LEFT}" y1="{_num(y)}" x2="{WIDTH - _RIGHT}" '
            f'y2="{_num(y)}" stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="6 4">'
            f"<title>{_text(r.name)}: {_text(_label(clean(r.value)))}</title></line>"
        )
        out.append(f'<text x="{_LEFT + 4}" y="{_num(y - 4)}" fill="{TEXT}">{_text(r.name)}</text>')
    return out, axis_max, slot


def _legend_height(names: Sequence[str]) -> float:
    _, h = _legend(names, 0.0)
    return h


def bar_chart(
    ident: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = False,
    references: Sequence[Reference] = (),
    empty: str = "",
) -> Markup:
    """Bars per category, one per series side by side (grouped) or on top of each other
    (``stacked``). Each bar is a ``<rect class="bar">`` with a ``<title>`` giving its value;
    zero values draw no bar. ``empty`` is written across a chart without any bar."""
    names = [s.name for s in series]
    legend_h = _legend_height(names)
    height = int(HEIGHT + legend_h)
    plot_h = HEIGHT - _TOP - _BOTTOM
    vals = [[clean(v) for v in s.values[: len(categories)]] for s in series]
    vals = [v + [0.0] * (len(categories) - len(v)) for v in vals]
    if stacked:
        top_value = max([sum(col) for col in zip(*vals, strict=True)] or [0.0])
    else:
        top_value = max([max(v, default=0.0) for v in vals] or [0.0])
    body, axis_max, slot = _axes(categories, top_value, plot_h, references)
    bars: list[str] = []
    inner = slot * 0.8
    n_series = max(len(series), 1)
    for ci, cat in enumerate(categories):
        base: float = _TOP + plot_h
        x0 = _LEFT + slot * ci + (slot - inner) / 2
        for si, s in enumerate(series):
            v = vals[si][ci]
            if v <= 0:
                continue
            h = plot_h * v / axis_max
            colour = PALETTE[si % len(PALETTE)]
            if stacked:
                x, w, y = x0, inner, base - h
                base -= h
            else:
                w = inner / n_series
                x, y = x0 + w * si, _TOP + plot_h - h
            bars.append(
                f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" '
                f'height="{_num(h)}" fill="{colour}" stroke="#ffffff" stroke-width="0.5">'
                f"<title>{_text(cat)} · {_text(s.name)}: {_text(_label(v))}</title></rect>"
            )
    legend, _ = _legend(names, float(HEIGHT - _BOTTOM + 30))
    if not bars:
        bars = _nothing(empty)
    return _frame(ident, title, desc, height, body + bars + legend)


def line_chart(
    ident: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    empty: str = "",
) -> Markup:
    """One line per series across the categories, a marker (``<circle class="point">``) at
    each value. ``empty`` is written across a chart whose values are all 0."""
    names = [s.name for s in series]
    legend_h = _legend_height(names)
    height = int(HEIGHT + legend_h)
    plot_h = HEIGHT - _TOP - _BOTTOM
    vals = [[clean(v) for v in s.values[: len(categories)]] for s in series]
    vals = [v + [0.0] * (len(categories) - len(v)) for v in vals]
    top_value = max([max(v, default=0.0) for v in vals] or [0.0])
    body, axis_max, slot = _axes(categories, top_value, plot_h, ())
    lines: list[str] = []
    for si, s in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        points = [
            (_LEFT + slot * (ci + 0.5), _TOP + plot_h - plot_h * v / axis_max)
            for ci, v in enumerate(vals[si])
        ]
        if len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
            lines.append(
                f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5"/>'
            )
        for ci, (x, y) in enumerate(points):
            lines.append(
                f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{colour}">'
                f"<title>{_text(categories[ci])} · {_text(s.name)}: "
                f"{_text(_label(vals[si][ci]))}</title></circle>"
            )
    legend, _ = _legend(names, float(HEIGHT - _BOTTOM + 30), swatch="line")
    if top_value <= 0:
        lines += _nothing(empty)
    return _frame(ident, title, desc, height, body + lines + legend)
