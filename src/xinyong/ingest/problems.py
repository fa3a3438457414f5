"""Row-level problems found while reading or validating submitted records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row (``row`` 0 means the file as a whole).

    ``row`` is the row as a person counts it in the file: in CSV and XLSX the header is row
    1 and the first record row 2; in JSONL the first line is row 1. For API batches it is
    the record's index in the batch, from 0.
    """

    file: str
    row: int
    field: str | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ERROR_REPORT_COLUMNS = ("file", "row", "field", "code", "message")


def error_report_csv(errors: Iterable[RowError]) -> str:
    """The downloadable error report: one CSV line per problem, with a header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ERROR_REPORT_COLUMNS)
    for e in errors:
        writer.writerow((e.file, e.row, e.field or "", e.code, e.message))
    return out.getvalue()
