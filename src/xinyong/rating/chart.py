"""Server-side SVG of a rule change's impact: the grade migration matrix as a heatmap (old
grades in rows, new grades in columns, subjects in each cell, colour by direction and
intensity by count, the "same grade" cells outlined) and a bar chart of up, same and down.

Plain strings, no plotting library: every text is escaped, the image has ``width``,
``height`` and a ``viewBox``, and a ``<title>`` and ``<desc>`` for screen readers.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from xinyong.rating.impact import Impact, move_of

COLOURS = {"up": "#1a7f37", "same": "#0969da", "down": "#cf222e"}
INK, FAINT, EMPTY, GRID = "#1f2328", "#8c959f", "#f6f8fa", "#d0d7de"
PAD, TITLE_H, SUB_H, HEAD_H, LABEL_W = 16, 24, 22, 26, 96
CELL_W, CELL_H = 64, 34
BAR_H, BAR_GAP, BAR_MIN_W, COUNT_W = 22, 8, 240, 90


def _text(x: float, y: float, content: str, **attrs: str | float) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<text x="{x:g}" y="{y:g}"{extra}>{escape(content)}</text>'


def _rect(
    x: float, y: float, w: float, h: float, tip: str | None = None, **attrs: str | float
) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    head = f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}"{extra}'
    return f"{head}><title>{escape(tip)}</title></rect>" if tip else f"{head}/>"


def _text_width(text: str, size: float) -> float:
    """A generous estimate of a text's width in a sans-serif font."""
    return sum(size if ord(c) > 0x2E7F else size * 0.62 for c in text)


def migration_svg(impact: Impact) -> str:
    """The impact's migration matrix and moves as an SVG document (a string)."""
    old, new, m = impact.old, impact.new, impact.moves
    rows, cols = list(old.grades), list(new.grades)
    heading = f"Grade migration as of {impact.as_of.isoformat()}"
    schemes = f"old: {old.code} {old.version}  →  new: {new.code} {new.version}"
    summary = (
        f"{impact.subjects:,} subjects rated by both schemes; {impact.changed:,} change grade. "
        f"Up {m['up']:,}, same {m['same']:,}, down {m['down']:,}."
    )
    grid_w, grid_h = len(cols) * CELL_W, len(rows) * CELL_H
    bar_w = max(grid_w, BAR_MIN_W)
    width = round(
        max(
            PAD * 2 + LABEL_W + bar_w + COUNT_W,
            PAD * 2 + _text_width(heading, 15),
            PAD * 2 + _text_width(schemes, 12),
            PAD * 2 + _text_width(summary, 12),
        )
    )
    x0, y0 = PAD + LABEL_W, PAD + TITLE_H + 2 * SUB_H + HEAD_H
    bars_y = y0 + grid_h + 36
    height = bars_y + 3 * (BAR_H + BAR_GAP) + PAD
    desc = (
        f"{schemes}. {summary} Rows: old grades ({', '.join(rows)}); columns: new grades "
        f"({', '.join(cols)}); cells: subjects; outlined: the same grade."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="impact-title impact-desc" '
        f'font-family="sans-serif" font-size="12">',
        f'<title id="impact-title">{escape(f"{heading}: {schemes}")}</title>',
        f'<desc id="impact-desc">{escape(desc)}</desc>',
        _rect(0, 0, width, height, fill="#ffffff"),
        _text(PAD, PAD + 16, heading, font_size=15, font_weight="bold", fill=INK),
        _text(PAD, PAD + TITLE_H + 14, schemes, fill=INK),
        _text(PAD, PAD + TITLE_H + SUB_H + 14, summary, fill=FAINT),
        _text(x0 - 10, y0 - 8, "old \\ new", text_anchor="end", fill=FAINT),
    ]
    for j, g in enumerate(cols):
        x = x0 + j * CELL_W + CELL_W / 2
        out.append(_text(x, y0 - 8, g, text_anchor="middle", font_weight="bold", fill=INK))
    peak = max((n for row in impact.matrix.values() for n in row.values()), default=0)
    outlines = []
    for i, o in enumerate(rows):
        y = y0 + i * CELL_H
        out.append(
            _text(x0 - 10, y + CELL_H / 2 + 4, o, text_anchor="end", font_weight="bold", fill=INK)
        )
        for j, n in enumerate(cols):
            x = x0 + j * CELL_W
            count = impact.matrix.get(o, {}).get(n, 0)
            move = move_of(rows, cols, o, n)
            strength = 0.12 + 0.88 * count / peak if count else 0.0
            tip = f"{o} → {n}: {count:,} ({move})"
            if count:
                cell = _rect(
                    x,
                    y,
                    CELL_W,
                    CELL_H,
                    tip,
                    fill=COLOURS[move],
                    fill_opacity=f"{strength:.3f}",
                    stroke=GRID,
                )
            else:
                cell = _rect(x, y, CELL_W, CELL_H, tip, fill=EMPTY, stroke=GRID)
            out.append(cell)
            ink = "#ffffff" if strength > 0.55 else (INK if count else FAINT)
            out.append(
                _text(
                    x + CELL_W / 2, y + CELL_H / 2 + 4, f"{count:,}", text_anchor="middle", fill=ink
                )
            )
            if move == "same":  # drawn last, over the neighbours' borders
                outlines.append(
                    _rect(
                        x + 1,
                        y + 1,
                        CELL_W - 2,
                        CELL_H - 2,
                        fill="none",
                        stroke=INK,
                        stroke_width=2,
                    )
                )
    out += outlines
    out.append(
        _text(PAD, bars_y - 12, "subjects by direction of move", font_weight="bold", fill=INK)
    )
    most = max(m.values(), default=0) or 1
    for k, move in enumerate(("up", "same", "down")):
        y = bars_y + k * (BAR_H + BAR_GAP)
        length = bar_w * m[move] / most
        out.append(_text(x0 - 10, y + BAR_H / 2 + 4, move, text_anchor="end", fill=INK))
        out.append(_rect(x0, y, max(length, 1), BAR_H, f"{move}: {m[move]:,}", fill=COLOURS[move]))
        out.append(_text(x0 + length + 6, y + BAR_H / 2 + 4, f"{m[move]:,}", fill=INK))
    out.append("</svg>")
    return "\n".join(out) + "\n"
