"""``charts.py``: well-formed, escaped, deterministic SVG whatever the values."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.portal.statistics import charts
from xinyong.portal.statistics.charts import Reference, Series

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def rects(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def numbers(root: ET.Element) -> list[float]:
    """Every numeric geometry attribute in the chart."""
    out: list[float] = []
    for el in root.iter():
        for name in ("x", "y", "width", "height", "x1", "x2", "y1", "y2", "cx", "cy", "r"):
            if name in el.attrib:
                out.append(float(el.attrib[name]))
        if "points" in el.attrib:
            for pair in el.attrib["points"].split():
                out.extend(float(v) for v in pair.split(","))
    return out


def test_stacked_bars_one_rect_per_positive_value() -> None:
    svg = charts.bar_chart(
        "c1",
        "Records <per> authority & month",
        "desc",
        ["2026-01", "2026-02", "2026-03"],
        [Series("court", (1, 0, 3)), Series("tax", (2, 2, 0))],
        stacked=True,
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == "Records <per> authority & month"
    assert len(rects(root)) == 4
    # the stack of column 1 (1 + 2) is as tall as the grouped bar of 3 in column 3
    heights = sorted(float(r.get("height", "0")) for r in rects(root))
    assert math.isclose(heights[0] + heights[2], heights[-1], abs_tol=0.2)


def test_grouped_bars_sit_side_by_side() -> None:
    root = parse(charts.bar_chart("c2", "t", "d", ["a"], [Series("x", (5,)), Series("y", (5,))]))
    xs = [float(r.get("x", "0")) for r in rects(root)]
    assert len(xs) == 2
    assert xs[0] < xs[1]


def test_line_chart_points_and_reference_lines() -> None:
    root = parse(charts.line_chart("c3", "t", "d", ["a", "b", "c"], [Series("s", (1, 2, 3))]))
    assert len([c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]) == 3
    assert len(list(root.iter(f"{SVG}polyline"))) == 1
    ref = parse(
        charts.bar_chart(
            "c4", "t", "d", ["a"], [Series("s", (2,))], references=[Reference("due", 5)]
        )
    )
    lines = [x for x in ref.iter(f"{SVG}line") if x.get("class") == "reference"]
    assert len(lines) == 1


def test_empty_chart_says_so() -> None:
    root = parse(charts.bar_chart("c5", "t", "d", [], [], empty="No data"))
    assert not rects(root)
    assert any(t.text == "No data" for t in root.iter(f"{SVG}text"))
    line = parse(charts.line_chart("c6", "t", "d", ["a"], [Series("s", (0,))], empty="Nothing"))
    assert any(t.text == "Nothing" for t in line.iter(f"{SVG}text"))


def test_output_is_deterministic() -> None:
    args = ("c7", "t", "d", ["a", "b"], [Series("s", (1.5, 2.25))])
    assert charts.bar_chart(*args) == charts.bar_chart(*args)
    assert charts.line_chart(*args) == charts.line_chart(*args)


def test_nice_max() -> None:
    assert charts.nice_max(0) == (1.0, 1.0)
    assert charts.nice_max(7) == (8.0, 2.0)
    assert charts.nice_max(1_000_000) == (1_000_000.0, 200_000.0)
    assert charts.nice_max(float("nan")) == (1.0, 1.0)


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_palette_contrasts_with_white() -> None:
    for colour in (*charts.PALETTE, charts.TEXT, charts.AXIS):
        ratio = 1.05 / (_luminance(colour) + 0.05)
        assert ratio >= 3.0, colour
    assert 1.05 / (_luminance(charts.TEXT) + 0.05) >= 4.5


values = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**12), 10**12)
texts = st.text(max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    title=texts,
    categories=st.lists(texts, max_size=15),
    series=st.lists(st.tuples(texts, st.lists(values, max_size=16)), max_size=6),
    stacked=st.booleans(),
    ref=st.none() | values,
)
def test_any_values_give_well_formed_svg(
    title: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    stacked: bool,
    ref: float | None,
) -> None:
    data = [Series(name, tuple(float(v) for v in vs)) for name, vs in series]
    refs = [] if ref is None else [Reference(title, float(ref))]
    for svg in (
        charts.bar_chart("h", title, title, categories, data, stacked=stacked, references=refs),
        charts.line_chart("h", title, title, categories, data),
    ):
        root = parse(svg)  # well-formed XML whatever the text
        found = numbers(root)
        assert all(math.isfinite(v) for v in found)
        for el in root.iter():
            for name in ("width", "height", "r"):
                if name in el.attrib:
                    assert float(el.attrib[name]) >= 0
        # no number drawn as text is NaN or infinite (the texts themselves may say anything)
        for el in root.iter():
            if el.tag.endswith("text") and el.text and el.text.replace(",", "").isascii():
                assert el.text.strip().lower() not in ("nan", "inf", "-inf") or el.text in (
                    title,
                    *categories,
                    *(name for name, _ in series),
                )
