"""The rating input: the relations every engine reads, as Arrow tables.

``rating_input`` holds one row per record version (envelope plus one typed column per
field the schemes test, see :func:`xinyong.rating.compile.input_fields`); ``rating_subjects``
one row per subject with its kind. The store fills them (:mod:`.repository`); tests and
benchmarks build them from :class:`~xinyong.rating.evaluate.RatingRecord` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pyarrow as pa

from xinyong.catalogue.model import FieldType
from xinyong.rating.compile import InputField
from xinyong.rating.evaluate import FieldValue, RatingRecord

ARROW_TYPES = {
    FieldType.decimal: pa.decimal128(18, 4),
    FieldType.integer: pa.int64(),
    FieldType.boolean: pa.bool_(),
    FieldType.choice: pa.string(),
    FieldType.string: pa.string(),
    FieldType.date: pa.date32(),
}
SQL_TYPES = {
    FieldType.decimal: "DECIMAL(18, 4)",
    FieldType.integer: "BIGINT",
    FieldType.boolean: "BOOLEAN",
    FieldType.choice: "VARCHAR",
    FieldType.string: "VARCHAR",
    FieldType.date: "DATE",
}
ENVELOPE: list[tuple[str, pa.DataType, str]] = [
    ("subject_id", pa.int64(), "BIGINT"),
    ("record_id", pa.string(), "VARCHAR"),
    ("version", pa.int32(), "INTEGER"),
    ("record_type", pa.string(), "VARCHAR"),
    ("severity", pa.string(), "VARCHAR"),
    ("provider", pa.string(), "VARCHAR"),
    ("decided_on", pa.date32(), "DATE"),
    ("publicity_until", pa.date32(), "DATE"),
]
FOUR_PLACES = Decimal("0.0001")


def record_schema(fields: Sequence[InputField]) -> pa.Schema:
    return pa.schema(
        [(name, typ) for name, typ, _ in ENVELOPE]
        + [(f.column, ARROW_TYPES[f.type]) for f in fields]
    )


SUBJECT_SCHEMA = pa.schema([("subject_id", pa.int64()), ("kind", pa.string())])


def record_columns_sql(fields: Sequence[InputField]) -> list[tuple[str, str]]:
    """``(column, SQL type)`` of ``rating_input``, for engines that create it themselves."""
    return [(n, sql) for n, _, sql in ENVELOPE] + [(f.column, SQL_TYPES[f.type]) for f in fields]


@dataclass(frozen=True)
class RatingInputs:
    records: pa.Table
    subjects: pa.Table


def typed_value(kind: FieldType, value: object) -> FieldValue:
    """A stored JSON field value in the type the engines compare it as."""
    if value is None:
        return None
    if kind is FieldType.decimal:
        if isinstance(value, bool):
            return None
        return Decimal(str(value)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    if kind is FieldType.integer:
        return int(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if kind is FieldType.boolean:
        return value if isinstance(value, bool) else None
    return str(value)


def build_inputs(
    subjects: Mapping[int, str],
    records: Iterable[tuple[int, RatingRecord]],
    fields: Sequence[InputField],
) -> RatingInputs:
    """Arrow inputs from ``{subject_id: kind}`` and ``(subject_id, record)`` pairs."""
    cols: dict[str, list[object]] = {n: [] for n, _, _ in ENVELOPE}
    for f in fields:
        cols[f.column] = []
    for sid, r in records:
        cols["subject_id"].append(sid)
        cols["record_id"].append(r.record_id)
        cols["version"].append(r.version)
        cols["record_type"].append(r.record_type)
        cols["severity"].append(r.severity)
        cols["provider"].append(r.provider)
        cols["decided_on"].append(r.decided_on)
        cols["publicity_until"].append(r.publicity_until)
        for f in fields:
            cols[f.column].append(r.fields.get(f.field) if r.record_type == f.record_type else None)
    table = pa.Table.from_pydict(cols, schema=record_schema(fields))
    subj = pa.Table.from_pydict(
        {"subject_id": list(subjects), "kind": list(subjects.values())}, schema=SUBJECT_SCHEMA
    )
    return RatingInputs(table, subj)


def typed_inputs(
    batches: Iterable[list[tuple[Any, ...]]],
    fields: Sequence[InputField],
    subjects: Mapping[int, str],
) -> RatingInputs:
    """Typed inputs from text rows (:func:`xinyong.rating.repository.input_text_batches`):
    the rows become Arrow columns of text in bulk, and DuckDB takes the fields out of the
    JSON and casts them (decimals rounded half away from zero to four places, as
    :func:`typed_value` does)."""
    names = [n for n, _, _ in ENVELOPE] + ["fields"]
    text_schema = pa.schema(
        [(n, pa.int64() if n in ("subject_id", "version") else pa.string()) for n in names]
    )
    parts = [
        pa.RecordBatch.from_arrays(
            [
                pa.array(col, type=text_schema.field(i).type)
                for i, col in enumerate(zip(*rows, strict=True))
            ],
            schema=text_schema,
        )
        for rows in batches
        if rows
    ]
    raw = pa.Table.from_batches(parts, schema=text_schema)
    typed = [
        "subject_id",
        "record_id",
        "CAST(version AS INTEGER) AS version",
        "record_type",
        "severity",
        "provider",
        "CAST(decided_on AS DATE) AS decided_on",
        "CAST(publicity_until AS DATE) AS publicity_until",
    ] + [_cast(f) for f in fields]
    with duckdb.connect() as con:
        con.register("raw", raw)
        records = con.sql(f"SELECT {', '.join(typed)} FROM raw").to_arrow_table()
    subj = pa.Table.from_pydict(
        {"subject_id": list(subjects), "kind": list(subjects.values())}, schema=SUBJECT_SCHEMA
    )
    return RatingInputs(records.cast(record_schema(fields)), subj)


def _cast(f: InputField) -> str:
    """The typed column of one field, taken from the record's JSON text."""
    path = f"'$.\"{f.field}\"'"  # codes are [a-z0-9_]: nothing to escape
    c = f"CASE WHEN record_type = '{f.record_type}' THEN json_extract_string(fields, {path}) END"
    if f.type is FieldType.boolean:
        return (
            f"CASE WHEN {c} IN ('1', 'true') THEN TRUE "
            f"WHEN {c} IN ('0', 'false') THEN FALSE END AS {f.column}"
        )
    if f.type is FieldType.integer:
        return f"TRY_CAST({c} AS BIGINT) AS {f.column}"
    if f.type is FieldType.decimal:
        return f"TRY_CAST({c} AS DECIMAL(18, 4)) AS {f.column}"
    if f.type is FieldType.date:
        return f"TRY_CAST({c} AS DATE) AS {f.column}"
    return f"{c} AS {f.column}"
