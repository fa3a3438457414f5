"""The statistics dashboard over real HTTP on both databases: the numbers of a small known
city in the tables, well-formed SVG with the expected bars, suppression of small counts,
both languages, an empty database and bad parameters."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.portal.statistics.seed import seed
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings

SVG = "{http://www.w3.org/2000/svg}"


def charts(page: str) -> dict[str, ET.Element]:
    """Every inline chart, parsed as XML, by its id prefix."""
    found: dict[str, ET.Element] = {}
    for text in re.findall(r"<svg\b.*?</svg>", page, re.S):
        svg = ET.fromstring(text)
        title = svg.find(f"{SVG}title")
        assert title is not None
        assert title.text
        assert svg.get("role") == "img"
        ident = (title.get("id") or "").removesuffix("-title")
        assert svg.get("aria-labelledby") == f"{ident}-title"
        assert svg.find(f"{SVG}desc") is not None
        found[ident] = svg
    return found


def bars(svg: ET.Element) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]


def row(page: str, caption: str, head: str) -> list[str]:
    """The cells of the row headed ``head`` in the table captioned ``caption``."""
    table = page.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        th = re.search(r'<th scope="row">(.*?)</th>', tr, re.S)
        if th and html.unescape(th.group(1)).strip() == head:
            return [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
    raise AssertionError(f"no row {head!r} in {caption!r}")


def columns(page: str, caption: str) -> list[str]:
    table = page.split(f"<caption>{caption}</caption>", 1)[1].split("</thead>", 1)[0]
    return [html.unescape(c) for c in re.findall(r'<th scope="col">(.*?)</th>', table)][1:]


def test_dashboard_shows_the_seeded_numbers(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    months = seed(engine, today_in(settings))
    page = client.get("/statistics", params={"lang": "en"})
    assert page.status_code == 200, page.text
    text = page.text
    assert '<html lang="en">' in text

    # 1. records per authority per month: exact counts (records are not persons)
    caption = "Record versions received per authority and month"
    cols = columns(text, caption)
    assert len(cols) == 12
    assert cols[-1] == months.this_month
    court = row(text, caption, "Xiamen Intermediate People's Court")
    market = next(
        row(text, caption, name)
        for name in re.findall(r'<th scope="row">(Xiamen[^<]*Market[^<]*)</th>', text)
    )
    assert court[cols.index(months.last_month)] == "2"
    assert market[cols.index(months.this_month)] == "3"
    assert sum(int(c) for c in court + market) == 5

    svgs = charts(text)
    assert set(svgs) == {
        "chart-records",
        "chart-lists",
        "chart-districts",
        "chart-industries",
        "chart-measures",
        "chart-turnaround",
    }
    assert len(bars(svgs["chart-records"])) == 2

    # 2. list sizes: one member, shown as "<3", drawn as 0
    lists = row(text, "Subjects on each list at month end", "Judgment defaulters")
    assert lists[-1] == "<3"
    points = [c for c in svgs["chart-lists"].iter(f"{SVG}circle") if c.get("class") == "point"]
    assert len(points) == 12
    said = [t.text or "" for t in svgs["chart-lists"].iter(f"{SVG}text")]
    assert "Only small counts in this period: not drawn, see the table." in said

    # 3. grades: three A in 350203 (published), one D in 350206 (suppressed)
    grades = "Subjects per grade (rows) and district (columns)"
    assert columns(text, grades) == ["Siming District", "Huli District"]  # divisions.yaml
    assert row(text, grades, "A (good)") == ["3", "0"]
    assert row(text, grades, "D (bad)") == ["0", "<3"]
    assert len(bars(svgs["chart-districts"])) == 1
    industries = "Subjects per grade (rows) and industry (columns)"
    assert columns(text, industries) == ["C", "-"]
    assert row(text, industries, "A (good)") == ["3", "0"]
    assert row(text, industries, "D (bad)") == ["0", "<3"]
    assert "Manufacturing" in text

    # 4. measures: three subjects sanctioned (shown), one rewarded (suppressed)
    measures = "Subjects each measure was applied to, per month"
    flights = row(text, measures, "Restrict flights, high-speed rail and seat classes")
    assert flights[0] == "Sanctions"
    assert flights[-1] == "3"
    green = [c for c in row(text, measures, "Green channel") if c]
    assert green[0] == "Incentives (rewards)"
    assert green[-1] == "<3"
    assert len(bars(svgs["chart-measures"])) == 1

    # 5. turnaround: 2 and 8 working days against 5 (one on time, one late), a
    # restoration in 3; one objection still open past its deadline
    cases = "Cases decided per month, within and after their deadline"
    table = text.split(f"<caption>{cases}</caption>", 1)[1].split("</table>", 1)[0]
    cells = [
        [html.unescape(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr)]
        for tr in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    ]
    assert [months.decided_month, "Objections decided", "2", "1", "50%", "1", "5", "5"] in cells
    assert [months.decided_month, "Restorations decided", "1", "1", "100%", "0", "3"] == cells[1][
        :7
    ]
    assert "Undecided after their deadline today: 1 objections, 0 restorations." in text
    assert len(bars(svgs["chart-turnaround"])) == 2
    refs = [x for x in svgs["chart-turnaround"].iter(f"{SVG}line") if x.get("class") == "reference"]
    assert refs

    # nothing names a subject
    assert "统计测试公司" not in text
    assert "pub0" not in text


def test_dashboard_in_chinese(client: TestClient, engine: Engine, settings: Settings) -> None:
    seed(engine, today_in(settings))
    page = client.get("/statistics", params={"lang": "zh"})
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    svgs = charts(page.text)
    title = svgs["chart-records"].find(f"{SVG}title")
    assert title is not None
    assert title.text == "各部门每月归集的记录"
    legend = [t.text or "" for t in svgs["chart-records"].iter(f"{SVG}text")]
    assert any("厦门市中级人民法院" in t for t in legend)
    assert "A级（诚信较好）" in page.text
    assert "制造业" in page.text


def test_empty_database_renders(client: TestClient) -> None:
    for lang in ("zh", "en"):
        page = client.get("/statistics", params={"lang": lang, "months": "3"})
        assert page.status_code == 200, page.text
        svgs = charts(page.text)
        assert len(svgs) == 6
        assert all(not bars(s) for s in svgs.values())
    assert "No data in this period." in page.text


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"months": "0"}, "invalid_months"),
        ({"months": "37"}, "invalid_months"),
        ({"months": "twelve"}, "invalid_months"),
        ({"months": "１２"}, "invalid_months"),
        ({"months": "-3"}, "invalid_months"),
        ({"scheme": "no_such_scheme"}, "invalid_scheme"),
        ({"scheme": "tax_credit"}, "invalid_scheme"),  # not public
    ],
)
def test_bad_parameters_give_the_400_page(
    client: TestClient, params: dict[str, str], code: str
) -> None:
    page = client.get("/statistics", params={**params, "lang": "en"})
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert 'role="alert"' in page.text
    assert f"<code>{code}</code>" in page.text


def test_scheme_and_months_are_chosen(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    seed(engine, today_in(settings))
    page = client.get(
        "/statistics", params={"lang": "en", "scheme": "environment_credit", "months": "3"}
    )
    assert page.status_code == 200
    assert 'value="environment_credit" selected' in page.text
    assert len(columns(page.text, "Record versions received per authority and month")) == 3
    # nobody is graded under this scheme in the seed
    assert not bars(charts(page.text)["chart-districts"])
