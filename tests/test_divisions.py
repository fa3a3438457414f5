"""Division names: declared once in data/divisions.yaml, shown by the pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import penalty, uscc
from tests.me.records import submit
from xinyong.divisions import load_divisions
from xinyong.errors import CatalogueError
from xinyong.settings import DATA_DIR


def test_the_shipped_divisions() -> None:
    divisions = load_divisions(DATA_DIR / "divisions.yaml")
    assert divisions.name("350203", "zh") == "思明区"
    assert divisions.name("350203", "en") == "Siming District"
    assert divisions.name("999999", "zh") == "999999"  # undeclared: its code
    assert divisions.name(None, "en") == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("divisions:\n  - {code: '3502', zh: 厦门, en: Xiamen}\n", "pattern"),
        (
            "divisions:\n  - {code: '350200', zh: 厦门, en: X}\n"
            "  - {code: '350200', zh: 厦门市, en: X}\n",
            "declared twice",
        ),
        ("divisions:\n  - {code: '350200', zh: 厦门, en: X, colour: red}\n", "extra"),
        ("divisions: [", "while parsing"),
    ],
)
def test_a_bad_divisions_file_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "divisions.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_divisions(path)
    assert caught.value.code == "invalid_divisions"
    assert problem in caught.value.message


def test_pages_name_the_district(client: TestClient, make_key: Callable[..., str]) -> None:
    org = uscc(9401, division="350206")
    submit(client, make_key("market_regulation"), penalty("DV1", org, "厦门湖里区名测试有限公司"))
    zh = client.get(f"/entities/{org}", params={"lang": "zh"})
    assert "<dd>湖里区</dd>" in zh.text
    en = client.get(f"/entities/{org}", params={"lang": "en"})
    assert "<dd>Huli District</dd>" in en.text
    found = client.get("/search", params={"q": "湖里区名测试", "lang": "zh"})
    assert "<td>湖里区</td>" in found.text
