"""Column headers of import files and templates, in codes, Chinese and English.

A header cell may hold the column's code (``decided_on``), its Chinese or English name, or
the template's bilingual label ``决定日期 / Decision date (decided_on)``. Every form resolves
to the code; anything else is a column outside the catalogue.
"""

from __future__ import annotations

import re

from xinyong.catalogue.model import ENVELOPE_COLUMNS, Catalogue

_TRAILING_CODE = re.compile(r"\(([a-z][a-z0-9_]*)\)\s*$")


def header_label(code: str, zh: str, en: str) -> str:
    """The bilingual header a template writes for a column."""
    return f"{zh} / {en} ({code})"


def known_columns(catalogue: Catalogue) -> dict[str, tuple[str, str]]:
    """Every column an import file may have: code -> (zh, en)."""
    cols = dict(ENVELOPE_COLUMNS)
    for rt in catalogue.record_types:
        for f in rt.fields:
            cols.setdefault(f.code, (f.name.zh, f.name.en))
    return cols


def header_index(catalogue: Catalogue) -> dict[str, str]:
    """Every accepted spelling of a header (case-folded) -> column code."""
    index: dict[str, str] = {}
    for code, (zh, en) in known_columns(catalogue).items():
        for spelling in (code, zh, en, header_label(code, zh, en)):
            index.setdefault(spelling.strip().casefold(), code)
    return index


def resolve_header(cell: str, index: dict[str, str]) -> str | None:
    """The column code a header cell names, or ``None`` if it is not in the catalogue."""
    text = cell.strip()
    found = index.get(text.casefold())
    if found:
        return found
    m = _TRAILING_CODE.search(text)
    if m and m.group(1) in index:
        return index[m.group(1)]
    return None
