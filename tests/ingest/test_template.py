"""Excel templates: headers resolve to catalogue columns, choices get dropdowns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xinyong.catalogue import Catalogue, load_catalogue
from xinyong.catalogue.loader import parse_catalogue
from xinyong.catalogue.model import ENVELOPE_COLUMNS
from xinyong.errors import NotFound, XinyongError
from xinyong.ingest.columns import header_index, resolve_header
from xinyong.ingest.template import DATA_SHEET, LISTS_SHEET, NOTES_SHEET, write_template
from xinyong.settings import DATA_DIR


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(DATA_DIR / "catalogue.yaml")


def _headers(ws: Any) -> list[str]:
    return [str(c.value) for c in ws[1] if c.value is not None]


def _column_of(ws: Any, code: str) -> str:
    """The letter of a column, found by the code at the end of its bilingual header."""
    for i, header in enumerate(_headers(ws), start=1):
        if header.endswith(f"({code})"):
            letter: str = openpyxl.utils.get_column_letter(i)
            return letter
    raise AssertionError(f"no column {code}")


def _validation_for(ws: Any, letter: str) -> Any:
    for dv in ws.data_validations.dataValidation:
        if any(str(r).startswith(f"{letter}2:") for r in dv.sqref.ranges):
            return dv
    return None


def test_admin_penalty_template(cat: Catalogue, tmp_path: Path) -> None:
    path = write_template(cat, "admin_penalty", tmp_path / "penalty.xlsx")
    assert path.exists()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == [DATA_SHEET, NOTES_SHEET]
    ws = wb[DATA_SHEET]
    index = header_index(cat)
    codes = [resolve_header(h, index) for h in _headers(ws)]
    rt = cat.record_type("admin_penalty")
    assert rt is not None
    assert codes == [*ENVELOPE_COLUMNS, *(f.code for f in rt.fields)]
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 1

    severity = _validation_for(ws, _column_of(ws, "severity"))
    assert severity is not None
    assert severity.type == "list"
    assert severity.formula1 == '"minor,general,serious"'
    kinds = _validation_for(ws, _column_of(ws, "subject_kind"))
    assert kinds.formula1 == '"organisation,individual_business,person"'
    assert _validation_for(ws, _column_of(ws, "penalty_category")) is not None
    assert _validation_for(ws, _column_of(ws, "facts")) is None

    facts = ws.cell(row=1, column=codes.index("facts") + 1)
    remarks = ws.cell(row=1, column=codes.index("remarks") + 1)
    assert facts.font.bold
    assert not remarks.font.bold
    assert facts.comment is not None
    record_type = ws.cell(row=1, column=1)
    assert "admin_penalty" in record_type.comment.text
    assert ws.column_dimensions["A"].width >= 14


def test_notes_sheet(cat: Catalogue, tmp_path: Path) -> None:
    path = write_template(cat, "admin_penalty", tmp_path / "penalty.xlsx")
    notes = openpyxl.load_workbook(path)[NOTES_SHEET]
    text = "\n".join(
        str(v) for row in notes.iter_rows(values_only=True) for v in row if v is not None
    )
    assert "《中华人民共和国行政处罚法》" in text
    assert "minimum 12 months, maximum 36 months" in text
    assert "penalty_category" in text
    assert "warning" in text


def test_type_without_severities_has_no_severity_column(cat: Catalogue, tmp_path: Path) -> None:
    path = write_template(cat, "volunteer_service", tmp_path / "volunteer.xlsx")
    ws = openpyxl.load_workbook(path)[DATA_SHEET]
    codes = [resolve_header(h, header_index(cat)) for h in _headers(ws)]
    assert "severity" not in codes
    assert "hours" in codes
    kinds = _validation_for(ws, _column_of(ws, "subject_kind"))
    assert kinds.formula1 == '"person"'


def test_long_choice_lists_live_on_a_hidden_sheet(tmp_path: Path) -> None:
    choices = [f"a_rather_long_choice_value_{i:02d}" for i in range(20)]
    raw = {
        "version": "t",
        "record_types": [
            {
                "code": "many_choices",
                "name": {"zh": "多选", "en": "Many choices"},
                "category": "test",
                "polarity": "neutral",
                "subject_kinds": ["organisation"],
                "legal_reference": "test",
                "disclosure": "public",
                "publicity": {"default": {}},
                "retention_years": 1,
                "fields": [
                    {
                        "code": "pick",
                        "name": {"zh": "选择", "en": "Pick"},
                        "type": "choice",
                        "choices": choices,
                    }
                ],
            }
        ],
        "providers": [
            {
                "code": "unit",
                "name": {"zh": "单位", "en": "Unit"},
                "uscc": "113502009TRCWT28HH",
                "record_types": ["many_choices"],
            }
        ],
        "prohibited_classes": [
            {
                "code": "religion",
                "name": {"zh": "宗教", "en": "Religion"},
                "reason": "law",
                "terms": ["religion"],
            },
        ],
    }
    cat = parse_catalogue(raw)
    wb = openpyxl.load_workbook(write_template(cat, "many_choices", tmp_path / "m.xlsx"))
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    ws = wb[DATA_SHEET]
    dv = _validation_for(ws, _column_of(ws, "pick"))
    assert dv.formula1.startswith(f"'{LISTS_SHEET}'!")
    cells = wb[LISTS_SHEET][dv.formula1.split("!")[1].replace("$", "")]
    assert [row[0].value for row in cells] == choices


def test_unknown_record_type(cat: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(NotFound) as info:
        write_template(cat, "gossip", tmp_path / "x.xlsx")
    assert isinstance(info.value, XinyongError)
    assert info.value.code == "unknown_record_type"
    assert not (tmp_path / "x.xlsx").exists()
