"""Reading import files (CSV, XLSX, JSONL) into one shape: a table of strings.

Every reader returns a :class:`polars.DataFrame` whose columns are catalogue column codes,
all of type string with ``None`` for empty cells, plus ``_row``: the row number a person
sees in the file. Problems that concern the file as a whole (not a CSV, not an XLSX, a
column outside the catalogue) are raised as :class:`FileRejected`; problems with a single
JSONL line are returned as row errors.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from xinyong.catalogue.model import ENVELOPE_COLUMNS, Catalogue
from xinyong.errors import ValidationFailed
from xinyong.ingest.columns import header_index, resolve_header
from xinyong.ingest.problems import RowError

ROW = "_row"
FORMATS = ("csv", "xlsx", "jsonl")


class FileRejected(ValidationFailed):
    """A file that cannot be read as a whole; ``errors`` says why, row 0."""


def detect_format(name: str) -> str:
    ext = Path(name).suffix.lower().lstrip(".")
    if ext == "json":
        ext = "jsonl"
    if ext not in FORMATS:
        raise _reject(
            name, "unsupported_format", f"unsupported file type {ext!r}; use .csv, .xlsx or .jsonl"
        )
    return ext


def read_table(data: bytes, name: str, catalogue: Catalogue) -> tuple[pl.DataFrame, list[RowError]]:
    """Read a file's bytes into the common table of strings (see the module's docs)."""
    fmt = detect_format(name)
    if fmt == "csv":
        return _read_csv(data, name, catalogue), []
    if fmt == "xlsx":
        return _read_xlsx(data, name, catalogue), []
    return _read_jsonl(data, name, catalogue)


def _reject(name: str, code: str, message: str, field: str | None = None) -> FileRejected:
    err = RowError(name, 0, field, code, message)
    return FileRejected(f"{name}: {message}", code=code, errors=[err.to_dict()])


def _columns(headers: list[str], name: str, catalogue: Catalogue) -> list[str]:
    index = header_index(catalogue)
    codes: list[str] = []
    for i, cell in enumerate(headers, start=1):
        if not cell or not cell.strip():
            raise _reject(name, "empty_header", f"column {i} has no header")
        code = resolve_header(cell, index)
        if code is None:
            raise _reject(
                name,
                "unknown_column",
                f"column {i} {cell!r} is not in the catalogue (the catalogue is a closed "
                "list: nothing outside it is accepted)",
                field=cell,
            )
        if code in codes:
            raise _reject(name, "duplicate_column", f"column {cell!r} appears twice", field=code)
        codes.append(code)
    for required in ("record_type", "provider_record_id", "subject_code"):
        if required not in codes:
            raise _reject(name, "missing_column", f"the file has no {required!r} column", required)
    return codes


def _finish(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    frame = frame.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None) for c in frame.columns]
    )
    for code in ENVELOPE_COLUMNS:
        if code not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(code))
    return frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))


def _read_csv(data: bytes, name: str, catalogue: Catalogue) -> pl.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _reject(
            name, "not_utf8", f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise _reject(name, "empty_file", "the file is empty")
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            infer_schema=False,
            has_header=True,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise _reject(name, "not_csv", f"the file cannot be read as CSV: {exc}") from None
    codes = _columns(frame.columns, name, catalogue)
    return _finish(frame.rename(dict(zip(frame.columns, codes, strict=True))), 2)


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, name: str, catalogue: Catalogue) -> pl.DataFrame:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _reject(name, "not_xlsx", "the file is not an Excel workbook (.xlsx)")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise _reject(
            name, "not_xlsx", f"the file is not a readable Excel workbook: {exc}"
        ) from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise _reject(name, "empty_file", "the first sheet is empty")
        while header and header[-1] is None:
            header = header[:-1]
        codes = _columns([_cell(h) or "" for h in header], name, catalogue)
        width = len(codes)
        columns: list[list[str | None]] = [[] for _ in codes]
        for values in rows:
            cells = [_cell(v) for v in values[:width]]
            if all(c is None or not c.strip() for c in cells):
                cells = [None] * width  # keep the row so that row numbers stay true
            cells += [None] * (width - len(cells))
            for col, c in zip(columns, cells, strict=True):
                col.append(c)
    finally:
        wb.close()
    frame = pl.DataFrame(
        {c: pl.Series(c, v, dtype=pl.String) for c, v in zip(codes, columns, strict=True)}
    )
    frame = _finish(frame, 2)
    # trailing blank rows are not records
    return frame.filter(~pl.all_horizontal(pl.col(codes).is_null()))


def _read_jsonl(
    data: bytes, name: str, catalogue: Catalogue
) -> tuple[pl.DataFrame, list[RowError]]:
    errors: list[RowError] = []
    objects: list[tuple[int, Any]] = []
    lines = data.split(b"\n")
    if not any(line.strip() for line in lines):
        raise _reject(name, "empty_file", "the file is empty")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            objects.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            errors.append(RowError(name, number, None, "invalid_json", f"not JSON: {exc}"))
    frame, shape_errors = table_from_records(objects, catalogue, file=name)
    return frame, errors + shape_errors


def table_from_records(
    objects: list[tuple[int, Any]], catalogue: Catalogue, *, file: str
) -> tuple[pl.DataFrame, list[RowError]]:
    """The common table from records in the API's JSON shape, each with its row number.

    Objects that do not fit the shape become row errors and are left out of the table.
    """
    known = set(header_index(catalogue).values())
    errors: list[RowError] = []
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    for number, obj in objects:
        if not isinstance(obj, dict):
            errors.append(RowError(file, number, None, "invalid_json", "a record is an object"))
            continue
        flat, problem = flatten_record(obj, known)
        if problem:
            errors.append(RowError(file, number, problem[0], problem[1], problem[2]))
            continue
        rows.append(flat)
        numbers.append(number)
    columns = sorted(known)
    frame = pl.DataFrame(
        {c: pl.Series(c, [r.get(c) for r in rows], dtype=pl.String) for c in columns}
    )
    frame = _finish(frame, 0).with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
    return frame, errors


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def flatten_record(
    obj: dict[str, Any], known: set[str]
) -> tuple[dict[str, str | None], tuple[str, str, str] | None]:
    """Turn a record in the API's JSON shape into one flat row of strings.

    Returns the row and, if the object does not fit the shape, ``(field, code, message)``.
    """
    flat: dict[str, str | None] = {}
    subject = obj.get("subject")
    if subject is not None and not isinstance(subject, dict):
        return flat, ("subject", "invalid_type", "subject is an object {kind, code, name}")
    fields = obj.get("fields") or {}
    if not isinstance(fields, dict):
        return flat, ("fields", "invalid_type", "fields is an object of field: value")
    for key, value in obj.items():
        if key in ("subject", "fields"):
            continue
        if key not in ENVELOPE_COLUMNS:
            return flat, (key, "unknown_field", f"{key!r} is not part of a record")
        flat[key] = _text(value)
    for key in ("kind", "code", "name"):
        flat[f"subject_{key}"] = _text((subject or {}).get(key))
    extra = sorted(set(subject or {}) - {"kind", "code", "name"})
    if extra:
        return flat, (f"subject.{extra[0]}", "unknown_field", f"subject has no {extra[0]!r}")
    for key, value in fields.items():
        if key not in known or key in ENVELOPE_COLUMNS:
            return flat, (
                f"fields.{key}",
                "unknown_field",
                f"{key!r} is not a field in the catalogue",
            )
        flat[key] = _text(value)
    return flat, None
