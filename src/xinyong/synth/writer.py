"""Writing rows to import files: CSV, JSON Lines (the API's shape) and XLSX.

Rows arrive as lists of text cells in the provider's column order (envelope first, see
``records.provider_columns``); each writer turns them into its format.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import orjson

from xinyong.catalogue import Catalogue, FieldType
from xinyong.errors import BadRequest

FORMATS = ("csv", "jsonl", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # one sheet: 1,048,576 rows including the header


class RowWriter(Protocol):
    def write(self, rows: list[list[str]]) -> None: ...

    def close(self) -> None: ...


class _Base:
    def __enter__(self) -> _Base:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class CsvWriter(_Base):
    """UTF-8 without BOM, comma-separated, header of column codes, ``\\n`` line ends.

    Most chunks need no quoting at all; those are joined directly (the same bytes as the csv
    module writes, several times faster). A chunk with a comma, quote or line break inside a
    cell goes through the csv module.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(columns)
        self._width = len(columns)

    def write(self, rows: list[list[str]]) -> None:
        if not rows:
            return
        text = "\n".join(map(",".join, rows))
        plain = (
            text.count(",") == len(rows) * (self._width - 1)
            and text.count("\n") == len(rows) - 1
            and '"' not in text
            and "\r" not in text
        )
        if plain:
            self._file.write(text + "\n")
        else:
            self._csv.writerows(rows)

    def close(self) -> None:
        self._file.close()


class JsonlWriter(_Base):
    """One record per line: envelope, ``subject`` object and the type's non-empty fields."""

    def __init__(self, path: Path, columns: list[str], catalogue: Catalogue) -> None:
        self._file = path.open("wb")
        index = {c: i for i, c in enumerate(columns)}
        # record type -> (has severities, [(column, code, converter)])
        self._types: dict[str, tuple[bool, list[tuple[int, str, Any]]]] = {}
        for rt in catalogue.record_types:
            fields = [
                (index[f.code], f.code, _CONVERTERS.get(f.type, str))
                for f in rt.fields
                if f.code in index
            ]
            self._types[rt.code] = (bool(rt.severities), fields)

    def write(self, rows: list[list[str]]) -> None:
        out: list[bytes] = []
        for row in rows:
            has_severity, fields = self._types[row[0]]
            record: dict[str, Any] = {
                "record_type": row[0],
                "provider_record_id": row[1],
                "subject": {"kind": row[2], "code": row[3], "name": row[4]},
                "decided_on": row[5],
                "severity": row[6] if has_severity and row[6] else None,
                "legal_basis": row[7] or None,
                "document_number": row[8] or None,
                "fields": {code: conv(row[col]) for col, code, conv in fields if row[col]},
            }
            if row[9]:  # the API's optional early end of publicity
                record["publicity_until"] = row[9]
            out.append(orjson.dumps(record))
        out.append(b"")
        self._file.write(b"\n".join(out))

    def close(self) -> None:
        self._file.close()


def _decimal(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


_CONVERTERS: dict[FieldType, Any] = {
    FieldType.decimal: _decimal,
    FieldType.integer: int,
    FieldType.boolean: lambda text: text == "true",
}


class XlsxWriter(_Base):
    """The CSV's columns in the first sheet (openpyxl write-only mode); cells are text."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        from openpyxl import Workbook

        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("records")
        self._sheet.append(columns)
        self._rows = 0

    def write(self, rows: list[list[str]]) -> None:
        self._rows += len(rows)
        if self._rows > XLSX_MAX_ROWS:
            raise BadRequest(
                f"{self._path.name}: an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows; "
                "use --format csv or jsonl, or fewer --records",
                code="too_many_rows",
            )
        append = self._sheet.append
        for row in rows:
            append([cell or None for cell in row])

    def close(self) -> None:
        self._book.save(self._path)


def open_writer(fmt: str, path: Path, columns: list[str], catalogue: Catalogue) -> RowWriter:
    if fmt == "csv":
        return CsvWriter(path, columns)
    if fmt == "jsonl":
        return JsonlWriter(path, columns, catalogue)
    if fmt == "xlsx":
        return XlsxWriter(path, columns)
    raise BadRequest(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
