"""The catalogue's declaration, validated with Pydantic when it is loaded.

A catalogue is YAML (see ``xinyong/data/catalogue.yaml``) with three parts: ``record_types``
(what may be collected), ``providers`` (which authority may submit which record types) and
``prohibited_classes`` (what must never be collected). Everything else in xinyong, from file
templates to validation and publication, is derived from it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")]


class SubjectKind(StrEnum):
    organisation = "organisation"
    individual_business = "individual_business"
    person = "person"


class Polarity(StrEnum):
    negative = "negative"
    positive = "positive"
    neutral = "neutral"


class Severity(StrEnum):
    minor = "minor"
    general = "general"
    serious = "serious"


class Disclosure(StrEnum):
    """Who may see a record: everyone, the subject and authorities, or authorities only."""

    public = "public"
    subject_and_agencies = "subject_and_agencies"
    agencies = "agencies"


class FieldType(StrEnum):
    string = "string"
    decimal = "decimal"
    integer = "integer"
    date = "date"
    boolean = "boolean"
    choice = "choice"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalName(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class FieldSpec(_Strict):
    """One type-specific field of a record type."""

    code: Code
    name: LocalName
    type: FieldType = FieldType.string
    required: bool = False
    max_length: int = Field(default=500, ge=1, le=20_000)
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _choices_for_choice(self) -> Self:
        if self.type is FieldType.choice and not self.choices:
            raise ValueError(f"field {self.code!r} is a choice but lists no choices")
        if self.type is not FieldType.choice and self.choices:
            raise ValueError(f"field {self.code!r} lists choices but is not a choice")
        return self


class PublicityPeriod(_Strict):
    """How long a record is shown, in months from its decision date.

    ``minimum`` is the shortest period before restoration may end it early; ``maximum`` the
    period after which it stops being shown without anyone acting. ``maximum: null`` means
    no end (only for positive and neutral record types).
    """

    minimum_months: int = Field(default=0, ge=0)
    maximum_months: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.maximum_months is not None and self.maximum_months < self.minimum_months:
            raise ValueError("maximum_months is shorter than minimum_months")
        return self


DEFAULT_PERIOD = "default"


class RecordType(_Strict):
    """A kind of credit record that the catalogue allows to be collected."""

    code: Code
    name: LocalName
    category: Code
    polarity: Polarity
    subject_kinds: tuple[SubjectKind, ...] = Field(min_length=1)
    severities: tuple[Severity, ...] = ()
    legal_reference: str = Field(
        min_length=1, description="The law or document that puts this type in the catalogue."
    )
    legal_basis_required: bool = True
    document_number_required: bool = True
    disclosure: Disclosure
    disclosure_for_persons: Disclosure | None = Field(
        default=None, description="Who sees a natural person's record, when it differs."
    )
    publicity: dict[str, PublicityPeriod] = Field(
        description="Per severity, or under 'default' for types without severities."
    )
    retention_years: int = Field(ge=1, le=100)
    subject_may_hide: bool = Field(
        default=False, description="The subject may hide this (positive) record from others."
    )
    data_classes: tuple[Code, ...] = Field(
        default=(), description="Classes of data the type collects; checked against prohibited."
    )
    fields: tuple[FieldSpec, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [f.code for f in self.fields]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"record type {self.code!r} repeats fields {dup}")
        clash = sorted(set(codes) & set(ENVELOPE_COLUMNS))
        if clash:
            raise ValueError(f"record type {self.code!r} redeclares envelope columns {clash}")
        if len(set(self.severities)) != len(self.severities):
            raise ValueError(f"record type {self.code!r} repeats a severity")
        expected = {s.value for s in self.severities} or {DEFAULT_PERIOD}
        if set(self.publicity) != expected:
            raise ValueError(
                f"record type {self.code!r} must declare publicity for exactly "
                f"{sorted(expected)}, not {sorted(self.publicity)}"
            )
        if self.polarity is Polarity.negative:
            open_ended = sorted(k for k, p in self.publicity.items() if p.maximum_months is None)
            if open_ended:
                raise ValueError(
                    f"negative record type {self.code!r} needs an end of publicity "
                    f"(maximum_months) for {open_ended}"
                )
        if self.subject_may_hide and self.polarity is not Polarity.positive:
            raise ValueError(f"only positive records may be hidden ({self.code!r})")
        if self.disclosure_for_persons and SubjectKind.person not in self.subject_kinds:
            raise ValueError(f"{self.code!r} sets disclosure_for_persons but has no persons")
        return self

    def field(self, code: str) -> FieldSpec | None:
        for f in self.fields:
            if f.code == code:
                return f
        return None

    def period(self, severity: str | None) -> PublicityPeriod:
        return self.publicity[severity or DEFAULT_PERIOD]

    def disclosure_for(self, kind: SubjectKind | str) -> Disclosure:
        if kind == SubjectKind.person and self.disclosure_for_persons is not None:
            return self.disclosure_for_persons
        return self.disclosure


class Provider(_Strict):
    """An authority that submits records, with the record types it may submit."""

    code: Code
    name: LocalName
    uscc: str = Field(description="The authority's Unified Social Credit Code.")
    record_types: tuple[Code, ...] = Field(min_length=1)


class ProhibitedClass(_Strict):
    """A class of data that xinyong never collects, by law or by design."""

    code: Code
    name: LocalName
    reason: str
    terms: tuple[str, ...] = Field(
        min_length=1,
        description="Words that betray the class in a field's code (whole words) or name.",
    )


class Catalogue(_Strict):
    version: str = Field(min_length=1)
    record_types: tuple[RecordType, ...] = Field(min_length=1)
    providers: tuple[Provider, ...] = Field(min_length=1)
    prohibited_classes: tuple[ProhibitedClass, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _closed(self) -> Self:
        _unique("record type", [r.code for r in self.record_types])
        _unique("provider", [p.code for p in self.providers])
        _unique("prohibited class", [c.code for c in self.prohibited_classes])
        known = {r.code for r in self.record_types}
        for p in self.providers:
            unknown = sorted(set(p.record_types) - known)
            if unknown:
                raise ValueError(f"provider {p.code!r} names unknown record types {unknown}")
        for rt in self.record_types:
            hit = prohibited_use(rt, self.prohibited_classes)
            if hit:
                raise ValueError(
                    f"record type {rt.code!r} would collect prohibited data ({hit}); "
                    "xinyong refuses it"
                )
        return self

    def record_type(self, code: str) -> RecordType | None:
        return self._types().get(code)

    def provider(self, code: str) -> Provider | None:
        # an index cached like _types: the entity page asks once per record
        cached: dict[str, Provider] | None = self.__dict__.get("_provider_index")
        if cached is None:
            cached = {p.code: p for p in self.providers}
            object.__setattr__(self, "_provider_index", cached)
        return cached.get(code)

    def _types(self) -> dict[str, RecordType]:
        # frozen model: cache the index on the instance without going through pydantic
        cached: dict[str, RecordType] | None = self.__dict__.get("_type_index")
        if cached is None:
            cached = {r.code: r for r in self.record_types}
            object.__setattr__(self, "_type_index", cached)
        return cached


def _unique(what: str, codes: list[str]) -> None:
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValueError(f"{what} codes are repeated: {dup}")


def prohibited_use(rt: RecordType, classes: tuple[ProhibitedClass, ...]) -> str | None:
    """Say which prohibited class a record type would collect, or ``None``."""
    for cls in classes:
        if cls.code in rt.data_classes:
            return f"declares data class {cls.code!r}"
        for f in rt.fields:
            words = set(f.code.split("_"))
            texts = (f.name.zh, f.name.en.lower(), (f.description or "").lower())
            for term in cls.terms:
                t = term.lower()
                if (t.isascii() and t in words) or any(_term_in_text(t, text) for text in texts):
                    return f"field {f.code!r} matches {cls.code!r} ({term!r})"
    return None


def _term_in_text(term: str, text: str) -> bool:
    if term.isascii():
        return re.search(rf"\b{re.escape(term)}\b", text) is not None
    return term in text


# The envelope every record carries, whatever its type: (code, zh, en).
ENVELOPE_COLUMNS: dict[str, tuple[str, str]] = {
    "record_type": ("信息类别", "Record type"),
    "provider_record_id": ("报送方记录编号", "Provider record ID"),
    "subject_kind": ("主体类型", "Subject kind"),
    "subject_code": ("主体代码", "Subject code"),
    "subject_name": ("主体名称", "Subject name"),
    "decided_on": ("决定日期", "Decision date"),
    "severity": ("严重程度", "Severity"),
    "legal_basis": ("法律依据", "Legal basis"),
    "document_number": ("决定文书号", "Document number"),
    "publicity_until": ("公示截止日期", "Publicity end date"),
}
