"""Excel templates for providers, derived from the catalogue.

A template has a sheet ``数据 Data`` with one bilingual header per column (the envelope,
then the record type's fields), dropdowns for choices, and a sheet ``说明 Notes`` that
explains each column, the legal reference and the publicity periods. Long choice lists are
kept on a hidden sheet ``选项 Lists`` that the dropdowns point to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xinyong.catalogue.model import ENVELOPE_COLUMNS, Catalogue, FieldType, RecordType
from xinyong.errors import NotFound
from xinyong.ingest.columns import header_label

DATA_SHEET = "数据 Data"
NOTES_SHEET = "说明 Notes"
LISTS_SHEET = "选项 Lists"
LAST_ROW = 1_048_576
_REQUIRED_FILL = PatternFill(fill_type="solid", start_color="FFF2CC", end_color="FFF2CC")
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
_AUTHOR = "xinyong"
_INLINE_LIST_LIMIT = 255  # Excel's limit on a list validation written inline

_ENVELOPE_NOTES: dict[str, str] = {
    "record_type": "Always the record type of this template.",
    "provider_record_id": "Your own ID of the record; resubmitting it corrects the record.",
    "subject_kind": "organisation, individual_business or person.",
    "subject_code": "Unified Social Credit Code (18 characters) or resident identity number.",
    "subject_name": "The subject's registered or legal name.",
    "decided_on": "Date of the decision, YYYY-MM-DD.",
    "severity": "The tier of the record; it sets the publicity period.",
    "legal_basis": "The law and article the decision rests on.",
    "document_number": "Number of the decision document.",
    "publicity_until": "Leave empty to use the catalogue's period (YYYY-MM-DD otherwise).",
}


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template, envelope or field alike."""

    code: str
    zh: str
    en: str
    type: str
    required: bool
    choices: tuple[str, ...]
    description: str

    @property
    def label(self) -> str:
        return header_label(self.code, self.zh, self.en)


def template_columns(rt: RecordType) -> list[TemplateColumn]:
    """The columns of a record type's template, in order: envelope, then fields."""
    kinds = tuple(k.value for k in rt.subject_kinds)
    envelope: dict[str, tuple[FieldType, bool, tuple[str, ...]]] = {
        "record_type": (FieldType.choice, True, (rt.code,)),
        "provider_record_id": (FieldType.string, True, ()),
        "subject_kind": (FieldType.choice, True, kinds),
        "subject_code": (FieldType.string, True, ()),
        "subject_name": (FieldType.string, True, ()),
        "decided_on": (FieldType.date, True, ()),
        "severity": (FieldType.choice, True, tuple(s.value for s in rt.severities)),
        "legal_basis": (FieldType.string, rt.legal_basis_required, ()),
        "document_number": (FieldType.string, rt.document_number_required, ()),
        "publicity_until": (FieldType.date, False, ()),
    }
    cols: list[TemplateColumn] = []
    for code, (zh, en) in ENVELOPE_COLUMNS.items():
        if code == "severity" and not rt.severities:
            continue
        ftype, required, choices = envelope.get(code, (FieldType.string, False, ()))
        note = _ENVELOPE_NOTES.get(code, "")
        cols.append(TemplateColumn(code, zh, en, ftype.value, required, choices, note))
    for f in rt.fields:
        desc = f.description or ""
        if f.type is FieldType.date:
            desc = f"{desc} Date, YYYY-MM-DD.".strip()
        cols.append(
            TemplateColumn(f.code, f.name.zh, f.name.en, f.type.value, f.required, f.choices, desc)
        )
    return cols


def write_template(catalogue: Catalogue, record_type_code: str, path: Path | str) -> Path:
    """Write the Excel template of one record type to ``path``; return the path."""
    rt = catalogue.record_type(record_type_code)
    if rt is None:
        raise NotFound(
            f"no record type {record_type_code!r} in the catalogue", code="unknown_record_type"
        )
    cols = template_columns(rt)
    wb = Workbook()
    data = wb.active
    data.title = DATA_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    _write_data_sheet(data, lists, rt, cols)
    _write_notes_sheet(wb.create_sheet(NOTES_SHEET, 1), rt, cols)
    if lists.max_row == 1 and lists["A1"].value is None:
        wb.remove(lists)
    wb.active = 0
    out = Path(path)
    wb.save(out)
    return out


def _write_data_sheet(ws: Any, lists: Any, rt: RecordType, cols: list[TemplateColumn]) -> None:
    for i, col in enumerate(cols, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.label)
        cell.font = Font(bold=col.required)
        cell.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.comment = Comment(_comment(col, rt), _AUTHOR, width=300, height=160)
        ws.column_dimensions[letter].width = min(max(_display_width(col.label) + 2, 14), 60)
        if col.choices:
            dv = DataValidation(
                type="list",
                formula1=_list_formula(lists, col.choices),
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle=col.label[:32],
                error=f"Choose one of: {', '.join(col.choices)}"[:255],
                promptTitle=col.label[:32],
                prompt=f"{col.zh} / {col.en}"[:255],
                showInputMessage=True,
            )
            dv.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 36
    ws.freeze_panes = "A2"


def _list_formula(lists: Any, choices: tuple[str, ...]) -> str:
    """A dropdown's source: inline if Excel allows it, else a column of the hidden sheet."""
    inline = '"' + ",".join(choices) + '"'
    if len(inline) <= _INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in choices):
        return inline
    list_col = 1 if lists["A1"].value is None else lists.max_column + 1
    letter = get_column_letter(list_col)
    for row, choice in enumerate(choices, start=1):
        lists.cell(row=row, column=list_col, value=choice)
    return f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}"


def _comment(col: TemplateColumn, rt: RecordType) -> str:
    lines = [f"{col.zh} / {col.en}", f"必填 Required: {'是 yes' if col.required else '否 no'}"]
    lines.append(f"类型 Type: {col.type}")
    if col.code == "record_type":
        lines.append(f"填写 Fill in: {rt.code}")
    if col.choices:
        lines.append("选项 Choices: " + ", ".join(col.choices))
    if col.description:
        lines.append(col.description)
    return "\n".join(lines)


def _write_notes_sheet(ws: Any, rt: RecordType, cols: list[TemplateColumn]) -> None:
    bold = Font(bold=True)
    about: list[tuple[str, str]] = [
        ("信息类别 Record type", f"{rt.code}: {rt.name.zh} / {rt.name.en}"),
        ("法律依据 Legal reference", rt.legal_reference),
        ("性质 Polarity", rt.polarity.value),
        ("主体类型 Subject kinds", ", ".join(k.value for k in rt.subject_kinds)),
        ("公开范围 Disclosure", _disclosure(rt)),
    ]
    for key, period in rt.publicity.items():
        top = "no end 无期限" if period.maximum_months is None else f"{period.maximum_months}"
        about.append(
            (
                f"公示期限 Publicity ({key})",
                f"minimum {period.minimum_months} months, maximum {top} months",
            )
        )
    about.append(("保存年限 Retention", f"{rt.retention_years} years"))
    for row, (key, value) in enumerate(about, start=1):
        ws.cell(row=row, column=1, value=key).font = bold
        ws.cell(row=row, column=2, value=value).alignment = Alignment(wrap_text=True)
    start = len(about) + 2
    heads = ("代码 Code", "中文 Chinese", "English", "类型 Type", "必填 Required", "选项 Choices")
    for i, head in enumerate((*heads, "说明 Description"), start=1):
        cell = ws.cell(row=start, column=i, value=head)
        cell.font = bold
        cell.fill = _HEADER_FILL
    for row, col in enumerate(cols, start=start + 1):
        values = (
            col.code,
            col.zh,
            col.en,
            col.type,
            "是 yes" if col.required else "否 no",
            ", ".join(col.choices),
            col.description,
        )
        for i, value in enumerate(values, start=1):
            ws.cell(row=row, column=i, value=value).alignment = Alignment(
                wrap_text=True, vertical="top"
            )
    for letter, width in zip("ABCDEFG", (28, 30, 30, 10, 12, 40, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=start + 1, column=1).coordinate


def _disclosure(rt: RecordType) -> str:
    text = rt.disclosure.value
    if rt.disclosure_for_persons is not None:
        text += f" (persons: {rt.disclosure_for_persons.value})"
    return text


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)
