"""Validation of submitted records against the catalogue, vectorised with Polars.

One function, :func:`validate_table`, serves every way records come in (API, batch, CSV,
XLSX, JSONL): it takes the common table of strings made by :mod:`xinyong.ingest.readers`
and returns the valid rows, normalised, and one :class:`RowError` per problem. A row with
any problem is not valid; the other rows are not affected by it.

Each check is one Polars expression over the whole table; identifiers are checked with
python-stdnum once per distinct code.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import polars as pl

from xinyong.catalogue.model import (
    ENVELOPE_COLUMNS,
    Catalogue,
    FieldSpec,
    FieldType,
    RecordType,
    SubjectKind,
)
from xinyong.identifiers import IdentifierError, division_of, validate_subject_code
from xinyong.ingest.problems import RowError
from xinyong.ingest.readers import ROW
from xinyong.store.ids import record_id

if TYPE_CHECKING:
    from xinyong.store.scratch import Scratch

MAX_LENGTHS = {
    "provider_record_id": 128,
    "subject_name": 512,
    "legal_basis": 2000,
    "document_number": 256,
}
TRUE_WORDS = ("true", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "0", "no", "n", "否")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")

#: Columns of a validated, normalised table (what the store writes).
VALID_COLUMNS = (
    ROW,
    "record_type",
    "provider_record_id",
    "subject_kind",
    "subject_code",
    "subject_name",
    "division",
    "decided_on",
    "severity",
    "legal_basis",
    "document_number",
    "publicity_until",
    "fields",
    "content_hash",
    "record_id",
)


@dataclass(frozen=True)
class Validated:
    """The valid rows and the errors. ``scratch``: the valid rows were staged by the
    process that validated them (:mod:`xinyong.store.scratch`), and ``rows`` is empty."""

    rows: pl.DataFrame
    errors: list[RowError]
    scratch: Scratch | None = None


def parse_date(expr: pl.Expr) -> pl.Expr:
    """Parse the date formats people use; ``null`` for anything else or impossible dates."""
    return pl.coalesce([expr.str.to_date(fmt, strict=False, exact=True) for fmt in DATE_FORMATS])


def validate_table(
    table: pl.DataFrame,
    catalogue: Catalogue,
    provider_code: str,
    *,
    file: str,
    today: dt.date,
    duplicates: bool = True,
) -> Validated:
    """Check every row of ``table`` for ``provider_code``; see the module's docs.

    ``duplicates=False`` leaves out the check for a provider record id repeated within the
    table, for callers that check a whole file once and then validate it in chunks
    (:func:`duplicate_rows`).
    """
    provider = catalogue.provider(provider_code)
    allowed = set(provider.record_types) if provider else set()
    frame = _with_parsed(_without_empty_columns(table), catalogue, today)
    pending: list[tuple[pl.Expr, str | None, str | pl.Expr, pl.Expr | str]] = []

    def fail(mask: pl.Expr, field: str | None, code: str | pl.Expr, message: pl.Expr | str) -> None:
        pending.append((mask, field, code, message))

    col = pl.col
    types = {rt.code: rt for rt in catalogue.record_types}
    present = set(frame["record_type"].drop_nulls().unique().to_list())
    known = col("record_type").is_in(list(types))
    _required(
        fail,
        (
            "record_type",
            "provider_record_id",
            "subject_kind",
            "subject_code",
            "subject_name",
            "decided_on",
        ),
    )
    fail(
        col("record_type").is_not_null() & ~known,
        "record_type",
        "unknown_record_type",
        pl.format("'{}' is not a record type in the catalogue", col("record_type")),
    )
    fail(
        known & ~col("record_type").is_in(sorted(allowed)),
        "record_type",
        "record_type_not_allowed",
        pl.format(f"provider '{provider_code}' may not submit '{{}}'", col("record_type")),
    )
    for name, limit in MAX_LENGTHS.items():
        fail(
            col(name).str.len_chars() > limit,
            name,
            "too_long",
            f"{name} is longer than {limit} characters",
        )
    kinds = [k.value for k in SubjectKind]
    fail(
        col("subject_kind").is_not_null() & ~col("subject_kind").is_in(kinds),
        "subject_kind",
        "invalid_choice",
        pl.format(f"'{{}}' is not a subject kind ({', '.join(kinds)})", col("subject_kind")),
    )
    fail(col("_code_error").is_not_null(), "subject_code", col("_code_error"), col("_code_message"))
    fail(
        col("decided_on").is_not_null() & col("_decided").is_null(),
        "decided_on",
        "invalid_date",
        pl.format("'{}' is not a date (YYYY-MM-DD)", col("decided_on")),
    )
    fail(
        col("_decided") > today,
        "decided_on",
        "date_in_future",
        pl.format("the decision date {} is after today", col("_decided")),
    )
    fail(
        col("publicity_until").is_not_null() & col("_until_given").is_null(),
        "publicity_until",
        "invalid_date",
        pl.format("'{}' is not a date (YYYY-MM-DD)", col("publicity_until")),
    )
    if duplicates:
        dup = col("provider_record_id").is_not_null() & col("provider_record_id").is_duplicated()
        first = col("_first_row")
        fail(
            dup & (col(ROW) != first),
            "provider_record_id",
            "duplicate_row",
            pl.format("record id '{}' is already on row {}", col("provider_record_id"), first),
        )
    for rt in types.values():
        if rt.code in present:
            _check_type(fail, rt, frame.columns)
    errors = _collect(frame, pending, file)
    bad = {e.row for e in errors}
    valid = frame.filter(~col(ROW).is_in(list(bad))) if bad else frame
    return Validated(_normalised(valid, types, provider_code), errors)


def duplicate_rows(table: pl.DataFrame, file: str) -> list[RowError]:
    """A row whose provider record id already appeared on an earlier row of the table."""
    col = pl.col
    found = (
        table.select(ROW, "provider_record_id")
        .filter(col("provider_record_id").is_not_null())
        .with_columns(col(ROW).min().over("provider_record_id").alias("_first"))
        .filter(col(ROW) != col("_first"))
    )
    return [
        RowError(
            file,
            row,
            "provider_record_id",
            "duplicate_row",
            f"record id '{prid}' is already on row {first}",
        )
        for row, prid, first in found.iter_rows()
    ]


def _required(fail: _Fail, names: tuple[str, ...]) -> None:
    for name in names:
        fail(pl.col(name).is_null(), name, "missing_required", f"{name} is required")


class _Fail(Protocol):  # the signature of validate_table's ``fail`` helper
    def __call__(
        self, mask: pl.Expr, field: str | None, code: str | pl.Expr, message: pl.Expr | str
    ) -> None: ...


def _check_type(fail: _Fail, rt: RecordType, columns: list[str]) -> None:
    col = pl.col
    this = col("record_type") == rt.code
    kinds = [k.value for k in rt.subject_kinds]
    fail(
        this
        & col("subject_kind").is_in([k.value for k in SubjectKind])
        & ~col("subject_kind").is_in(kinds),
        "subject_kind",
        "subject_kind_not_allowed",
        pl.format(
            f"'{rt.code}' is not kept about a {{}} (only {', '.join(kinds)})", col("subject_kind")
        ),
    )
    if rt.severities:
        sev = [s.value for s in rt.severities]
        fail(
            this & col("severity").is_null(),
            "severity",
            "missing_required",
            f"'{rt.code}' needs a severity ({', '.join(sev)})",
        )
        fail(
            this & col("severity").is_not_null() & ~col("severity").is_in(sev),
            "severity",
            "invalid_severity",
            pl.format(
                f"'{{}}' is not a severity of '{rt.code}' ({', '.join(sev)})", col("severity")
            ),
        )
    else:
        fail(
            this & col("severity").is_not_null(),
            "severity",
            "severity_not_applicable",
            f"'{rt.code}' has no severities; leave severity empty",
        )
    if rt.legal_basis_required:
        fail(
            this & col("legal_basis").is_null(),
            "legal_basis",
            "missing_required",
            f"'{rt.code}' needs its legal basis",
        )
    if rt.document_number_required:
        fail(
            this & col("document_number").is_null(),
            "document_number",
            "missing_required",
            f"'{rt.code}' needs the decision's document number",
        )
    given = col("_until_given")
    fail(
        this & given.is_not_null() & (given < col("_until_min")),
        "publicity_until",
        "publicity_too_short",
        pl.format("publicity may not end before {} (the minimum period)", col("_until_min")),
    )
    fail(
        this & given.is_not_null() & (given > col("_until_max")),
        "publicity_until",
        "publicity_too_long",
        pl.format("publicity may not last beyond {} (the maximum period)", col("_until_max")),
    )
    declared = {f.code for f in rt.fields}
    for spec in rt.fields:
        if spec.code in columns:
            _check_field(fail, this, spec)
        elif spec.required:
            fail(this, spec.code, "missing_required", f"'{rt.code}' needs {spec.code}")
    for name in columns:
        if name in declared or name in ENVELOPE_COLUMNS or name.startswith("_"):
            continue
        fail(
            this & col(name).is_not_null(),
            name,
            "field_not_in_record_type",
            f"'{rt.code}' has no field '{name}'; leave it empty",
        )


def _check_field(fail: _Fail, this: pl.Expr, spec: FieldSpec) -> None:
    c = pl.col(spec.code)
    present = this & c.is_not_null()
    if spec.required:
        fail(this & c.is_null(), spec.code, "missing_required", f"{spec.code} is required")
    if spec.type in (FieldType.decimal, FieldType.integer):
        dtype = pl.Float64 if spec.type is FieldType.decimal else pl.Int64
        number = c.cast(dtype, strict=False)
        kind = "a number" if spec.type is FieldType.decimal else "a whole number"
        fail(
            present & number.is_null(),
            spec.code,
            "invalid_number",
            pl.format(f"'{{}}' is not {kind}", c),
        )
        if spec.minimum is not None:
            fail(
                present & (number < spec.minimum),
                spec.code,
                "below_minimum",
                pl.format(f"{{}} is below the minimum {spec.minimum:g}", c),
            )
    elif spec.type is FieldType.date:
        fail(
            present & parse_date(c).is_null(),
            spec.code,
            "invalid_date",
            pl.format("'{}' is not a date (YYYY-MM-DD)", c),
        )
    elif spec.type is FieldType.boolean:
        fail(
            present & ~c.str.to_lowercase().is_in(TRUE_WORDS + FALSE_WORDS),
            spec.code,
            "invalid_boolean",
            pl.format("'{}' is not true or false", c),
        )
    elif spec.type is FieldType.choice:
        fail(
            present & ~c.is_in(list(spec.choices)),
            spec.code,
            "invalid_choice",
            pl.format(f"'{{}}' is not one of {', '.join(spec.choices)}", c),
        )
    fail(
        present & (c.str.len_chars() > spec.max_length),
        spec.code,
        "too_long",
        f"{spec.code} is longer than {spec.max_length} characters",
    )


def _with_parsed(table: pl.DataFrame, catalogue: Catalogue, today: dt.date) -> pl.DataFrame:
    """Add helper columns: parsed dates, publicity bounds, normalised codes and their errors."""
    col = pl.col
    min_months: pl.Expr = pl.lit(None, dtype=pl.Int64)
    max_months: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for rt in catalogue.record_types:
        for key, period in rt.publicity.items():
            cond = col("record_type") == rt.code
            if rt.severities:
                cond = cond & (col("severity") == key)
            min_months = pl.when(cond).then(period.minimum_months).otherwise(min_months)
            max_months = pl.when(cond).then(period.maximum_months).otherwise(max_months)
    frame = table.with_columns(
        parse_date(col("decided_on")).alias("_decided"),
        parse_date(col("publicity_until")).alias("_until_given"),
        min_months.alias("_min_months"),
        col(ROW).min().over("provider_record_id").alias("_first_row"),
        max_months.alias("_max_months"),
    ).with_columns(
        col("_decided").dt.offset_by(pl.format("{}mo", col("_min_months"))).alias("_until_min"),
        col("_decided").dt.offset_by(pl.format("{}mo", col("_max_months"))).alias("_until_max"),
    )
    return frame.join(_codes(frame), on=["subject_kind", "subject_code"], how="left")


#: Most (kind, code) outcomes remembered between chunks and files (about 300 bytes each).
CODE_CACHE_SIZE = 1 << 18

#: A code's outcome: (normalised code, division, error code, error message).
CodeOutcome = tuple[str | None, str | None, str | None, str | None]


@functools.lru_cache(maxsize=CODE_CACHE_SIZE)
def _checked_code(kind: str, code: str, today: dt.date) -> CodeOutcome:
    """One code checked with python-stdnum. Remembered: a subject comes back in chunk after
    chunk and file after file (each provider reports on the same subjects), and its check
    costs about 11 µs. ``today`` is part of the key because a birth date may not lie in the
    future."""
    del today  # only the cache's key: the check reads the clock itself
    try:
        valid = validate_subject_code(kind, code)
    except IdentifierError as exc:
        return None, None, exc.code, exc.message
    return valid, division_of(valid, kind), None, None


def _codes(frame: pl.DataFrame) -> pl.DataFrame:
    """Check each distinct (kind, code) once with python-stdnum (:func:`_checked_code`)."""
    pairs = (
        frame.select("subject_kind", "subject_code")
        .filter(
            pl.col("subject_code").is_not_null()
            & pl.col("subject_kind").is_in([k.value for k in SubjectKind])
        )
        .unique()
    )
    kinds, codes = pairs["subject_kind"].to_list(), pairs["subject_code"].to_list()
    today = dt.date.today()
    outcomes = pl.DataFrame(
        [_checked_code(k, c, today) for k, c in zip(kinds, codes, strict=True)],
        schema=dict.fromkeys(("_code", "_division", "_code_error", "_code_message"), pl.String),
        orient="row",
    )
    return pairs.hstack(outcomes)


def _collect(
    frame: pl.DataFrame,
    pending: list[tuple[pl.Expr, str | None, str | pl.Expr, pl.Expr | str]],
    file: str,
) -> list[RowError]:
    """Evaluate every check's mask in one pass; build messages only for checks that hit."""
    if not pending or frame.height == 0:
        return []
    masks = frame.select(
        [m.fill_null(False).alias(f"m{i}") for i, (m, *_rest) in enumerate(pending)]
    )
    hit = masks.select(pl.all().any()).row(0)
    found: list[pl.DataFrame] = []
    for i, any_hit in enumerate(hit):
        if not any_hit:
            continue
        _mask, field, code, message = pending[i]
        msg = pl.lit(message) if isinstance(message, str) else message
        code_expr = pl.lit(code) if isinstance(code, str) else code
        found.append(
            frame.filter(masks[f"m{i}"]).select(
                pl.col(ROW),
                pl.lit(field, dtype=pl.String).alias("field"),
                code_expr.cast(pl.String).alias("code"),
                msg.cast(pl.String).alias("message"),
            )
        )
    if not found:
        return []
    rows = pl.concat(found).sort(ROW, maintain_order=True)
    return [RowError(file, row, fld, code, message) for row, fld, code, message in rows.iter_rows()]


def _without_empty_columns(table: pl.DataFrame) -> pl.DataFrame:
    """Drop field columns that no row fills: they cannot hold a problem or a value."""
    empty = [
        c
        for c, n in zip(table.columns, table.null_count().row(0), strict=True)
        if n == table.height and c not in ENVELOPE_COLUMNS and c != ROW
    ]
    return table.drop(empty) if empty and table.height else table


def _typed(spec: FieldSpec) -> pl.Expr:
    """A field's value in its JSON type: numbers, booleans, ISO dates, strings."""
    c = pl.col(spec.code)
    if spec.type is FieldType.decimal:
        return c.cast(pl.Float64)
    if spec.type is FieldType.integer:
        return c.cast(pl.Int64)
    if spec.type is FieldType.boolean:
        return pl.when(c.is_null()).then(None).otherwise(c.str.to_lowercase().is_in(TRUE_WORDS))
    if spec.type is FieldType.date:
        return parse_date(c).cast(pl.String)
    return c


def _fields_json(valid: pl.DataFrame, types: dict[str, RecordType]) -> pl.Expr:
    """Each row's type-specific fields as canonical JSON: sorted keys, no empty fields.

    Built by Polars for the whole table; ``"key":null`` members are then cut out (inside a
    JSON string every quote is escaped, so the pattern can only meet real members).
    """
    out: pl.Expr = pl.lit("{}")
    for code in valid["record_type"].unique().to_list():
        specs = sorted(
            (f for f in types[code].fields if f.code in valid.columns), key=lambda f: f.code
        )
        if not specs:
            continue
        encoded = (
            pl.struct([_typed(f).alias(f.code) for f in specs])
            .struct.json_encode()
            .str.replace_all(r'"[a-z0-9_]+":null,?', "")
            .str.replace(r",\}$", "}")
        )
        out = pl.when(pl.col("record_type") == code).then(encoded).otherwise(out)
    return out.alias("fields")


def _normalised(
    valid: pl.DataFrame, types: dict[str, RecordType], provider_code: str
) -> pl.DataFrame:
    col = pl.col
    if valid.height == 0:
        return pl.DataFrame(
            schema={
                c: (pl.Date if c in ("decided_on", "publicity_until") else pl.String)
                for c in VALID_COLUMNS
            }
        ).with_columns(col(ROW).cast(pl.Int64))
    rows = valid.with_columns(
        _fields_json(valid, types),
        col("_code").alias("subject_code"),
        col("_decided").alias("decided_on"),
        pl.coalesce(col("_until_given"), col("_until_max")).alias("publicity_until"),
        col("_division").alias("division"),
    )
    hashed = [
        "record_type",
        "subject_kind",
        "subject_code",
        "subject_name",
        "decided_on",
        "severity",
        "legal_basis",
        "document_number",
        "_until_given",
        "fields",
    ]
    material = rows.select(
        pl.concat_str([col(c).cast(pl.String).fill_null("") for c in hashed], separator="\x1f")
    ).to_series()
    blake2b = hashlib.blake2b
    digest = [blake2b(m.encode(), digest_size=16).hexdigest() for m in material]
    # the store's record ids, made here: a worker validates while the store writes
    ids = [record_id(provider_code, p) for p in rows["provider_record_id"]]
    rows = rows.with_columns(
        pl.Series("content_hash", digest, dtype=pl.String),
        pl.Series("record_id", ids, dtype=pl.String),
    )
    return rows.select(VALID_COLUMNS)
