"""Loading rating schemes from YAML and checking them against the catalogue.

A scheme may look only at what the catalogue allows to be collected: its record types,
their severities, the providers that submit them and their fields, with tests that suit
each field's type. Nothing in it may touch a prohibited class of data.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from xinyong.catalogue.loader import default_catalogue, parse_checked, read_declaration
from xinyong.catalogue.model import Catalogue, FieldType, RecordType, SubjectKind
from xinyong.errors import CatalogueError
from xinyong.rating.model import Condition, Matcher, Scheme

NUMERIC = (FieldType.decimal, FieldType.integer)


def load_scheme(path: Path | str, catalogue: Catalogue) -> Scheme:
    """Read, validate and check a scheme file. Raises :class:`CatalogueError`."""
    return parse_scheme(read_declaration(path, "scheme"), catalogue, source=str(path))


def parse_scheme(raw: object, catalogue: Catalogue, *, source: str = "<scheme>") -> Scheme:
    return parse_checked(
        Scheme,
        raw,
        lambda scheme: check_against_catalogue(scheme, catalogue),
        source=source,
        what="scheme",
        code="invalid_scheme",
    )


def check_against_catalogue(scheme: Scheme, catalogue: Catalogue) -> list[dict[str, str]]:
    """Every way the scheme strays outside the catalogue, as ``{location, message}``."""
    problems: list[dict[str, str]] = []

    def bad(location: str, message: str) -> None:
        problems.append({"location": location, "message": message})

    if catalogue.provider(scheme.authority) is None:
        bad("authority", f"{scheme.authority!r} is not a provider in the catalogue")
    matchers: list[tuple[str, Matcher]] = [(f"rules.{r.code}", r) for r in scheme.rules]
    for o in scheme.overrides:
        m = o.matcher()
        if m is not None:
            matchers.append((f"overrides.{o.code}", m))
    for where, m in matchers:
        problems.extend(matcher_problems(where, m, catalogue, scheme.subject_kinds))
    for r in scheme.rules:
        rt = catalogue.record_type(r.record_type)
        if rt is not None and r.field is not None:
            spec = rt.field(r.field)
            if spec is None:
                bad(f"rules.{r.code}.field", f"{rt.code!r} has no field {r.field!r}")
            elif spec.type not in NUMERIC:
                bad(
                    f"rules.{r.code}.field",
                    f"bands need a number field; {r.field!r} is {spec.type}",
                )
    problems.extend(_prohibited(scheme, catalogue))
    return problems


def matcher_problems(
    where: str, m: Matcher, catalogue: Catalogue, subject_kinds: tuple[SubjectKind, ...]
) -> list[dict[str, str]]:
    """How a matcher (record type, severities, providers, field tests) strays outside the
    catalogue, or concerns none of ``subject_kinds``."""
    problems: list[dict[str, str]] = []

    def bad(location: str, message: str) -> None:
        problems.append({"location": location, "message": message})

    rt = catalogue.record_type(m.record_type)
    if rt is None:
        bad(where, f"record type {m.record_type!r} is not in the catalogue")
        return problems
    if not set(rt.subject_kinds) & set(subject_kinds):
        bad(
            where,
            f"record type {rt.code!r} concerns none of the subject kinds {list(subject_kinds)}",
        )
    extra = sorted(set(m.severities) - set(rt.severities))
    if extra:
        bad(where, f"record type {rt.code!r} has no severities {extra}")
    for code in m.providers:
        p = catalogue.provider(code)
        if p is None or rt.code not in p.record_types:
            bad(where, f"provider {code!r} does not submit {rt.code!r} records")
    for i, cond in enumerate(m.when):
        msg = _condition_problem(rt, cond)
        if msg:
            bad(f"{where}.when.{i}", msg)
    return problems


def _condition_problem(rt: RecordType, cond: Condition) -> str | None:
    spec = rt.field(cond.field)
    if spec is None:
        return f"{rt.code!r} has no field {cond.field!r}"
    if cond.is_ is not None and spec.type is not FieldType.boolean:
        return f"'is' tests a boolean field; {cond.field!r} is {spec.type}"
    if (cond.at_least is not None or cond.below is not None) and spec.type not in NUMERIC:
        return f"'at_least'/'below' test a number field; {cond.field!r} is {spec.type}"
    if cond.in_ is not None:
        if spec.type in (FieldType.boolean, FieldType.date, FieldType.decimal):
            return f"'in' tests a choice, text or whole-number field; {cond.field!r} is {spec.type}"
        if spec.type is FieldType.integer and not all(isinstance(v, int) for v in cond.in_):
            return f"{cond.field!r} is a whole number: 'in' lists whole numbers"
        if spec.type is not FieldType.integer and not all(isinstance(v, str) for v in cond.in_):
            return f"{cond.field!r} is text: 'in' lists text"
        if spec.type is FieldType.choice:
            unknown = sorted(str(v) for v in cond.in_ if v not in spec.choices)
            if unknown:
                return f"{unknown} are not choices of {cond.field!r} ({list(spec.choices)})"
    return None


def _prohibited(scheme: Scheme, catalogue: Catalogue) -> list[dict[str, str]]:
    """Words of a prohibited class anywhere in the scheme's rules, overrides or values."""
    texts: list[tuple[str, str]] = [("name", scheme.name.zh), ("name", scheme.name.en)]
    if scheme.description:
        texts.append(("description", scheme.description))
    for kind, items in (("rules", scheme.rules), ("overrides", scheme.overrides)):
        for it in items:
            where = f"{kind}.{it.code}"
            texts += [(where, it.code.replace("_", " ")), (where, it.name.zh), (where, it.name.en)]
            for cond in it.when:
                texts += [(where, str(v)) for v in cond.in_ or ()]
    return prohibited_problems(texts, catalogue)


def prohibited_problems(texts: list[tuple[str, str]], catalogue: Catalogue) -> list[dict[str, str]]:
    """Each ``(location, text)`` that names a prohibited class of data, as a problem."""
    problems = []
    for where, text in texts:
        low = text.lower()
        for cls in catalogue.prohibited_classes:
            hit = next((t for t in cls.terms if _mentions(low, t.lower())), None)
            if hit is not None:
                problems.append(
                    {
                        "location": where,
                        "message": f"touches the prohibited class {cls.code!r} ({hit!r}); "
                        "xinyong refuses such criteria",
                    }
                )
                break
    return problems


def _mentions(text: str, term: str) -> bool:
    if term.isascii():
        return re.search(rf"\b{re.escape(term)}\b", text) is not None
    return term in text


# ---- the shipped schemes ----------------------------------------------------------------


def schemes_dir() -> Path:
    from xinyong.settings import get_settings

    return get_settings().schemes_dir


def load_schemes(directory: Path | str, catalogue: Catalogue) -> dict[str, Scheme]:
    """Every ``*.yaml`` scheme in ``directory``, by code."""
    found: dict[str, Scheme] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        scheme = load_scheme(path, catalogue)
        if scheme.code in found:
            raise CatalogueError(
                f"{path}: scheme {scheme.code!r} is declared twice", code="invalid_scheme"
            )
        found[scheme.code] = scheme
    return found


@lru_cache(maxsize=4)
def _cached(directory: str, catalogue_path: str) -> dict[str, Scheme]:
    return load_schemes(directory, default_catalogue(catalogue_path))


def default_schemes() -> dict[str, Scheme]:
    """The schemes in the settings' ``schemes_dir``, checked against the default catalogue."""
    from xinyong.settings import get_settings

    s = get_settings()
    return _cached(str(Path(s.schemes_dir).resolve()), str(Path(s.catalogue_path).resolve()))
