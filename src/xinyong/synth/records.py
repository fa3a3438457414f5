"""Records per provider: how many of each type, about whom, and the rows themselves.

The plan splits the record budget between organisations and persons, gives every organisation
its registration (when the catalogue has ``business_registration``), shares the rest among the
record types by weight (``vocab.TYPE_HINTS`` or a rule by polarity) and each type's records
among the providers allowed to submit it. Rows are then drawn per provider from a generator
seeded with the seed and the provider's code, so every file is reproducible on its own.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from xinyong.catalogue import (
    Catalogue,
    Polarity,
    Provider,
    PublicityPeriod,
    RecordType,
    SubjectKind,
)
from xinyong.catalogue.model import DEFAULT_PERIOD, ENVELOPE_COLUMNS
from xinyong.dates import add_months
from xinyong.synth import themes, vocab
from xinyong.synth.city import IB, ORG, PERSON, Population, Subject
from xinyong.synth.fields import MAX_DATE_DAYS, Context, Gen, compile_field
from xinyong.synth.names import PersonNames, zh_number
from xinyong.synth.themes import Theme

REGISTRATION = "business_registration"
# Who registers whom, by the first character of the USCC (registration authority).
REGISTRARS = {"9": ("市场监督管理", "工商"), "5": ("民政",), "1": ("机构编制", "编办")}
DEFAULT_PER_ORG = 12  # default budget: 12 records per organisation ...
DEFAULT_PER_PERSON = 2  # ... and 2 per person (50k + 200k subjects: 1,000,000 records)
SEVERITY_WEIGHTS = {"minor": 0.38, "general": 0.58, "serious": 0.04}
RISKY_PICK = 0.65  # share of negative records that fall on the risky subjects
# Draws of a subject to find one in the theme's industries (e.g. transport licences: G) and,
# for annual events, one that has none that year yet.
INDUSTRY_TRIES = 6
SUBJECT_TRIES = 30
PUBLICITY_SET = 0.02  # share of rows that state publicity_until themselves
CHUNK = 5000
ENVELOPE = tuple(ENVELOPE_COLUMNS)


def default_records(orgs: int, persons: int) -> int:
    return DEFAULT_PER_ORG * orgs + DEFAULT_PER_PERSON * persons


def provider_columns(catalogue: Catalogue, provider: Provider) -> list[str]:
    """Envelope columns, then the union of the fields of the provider's types (catalogue order)."""
    allowed = set(provider.record_types)
    cols = list(ENVELOPE)
    seen = set(cols)
    for rt in catalogue.record_types:
        if rt.code in allowed:
            for f in rt.fields:
                if f.code not in seen:
                    seen.add(f.code)
                    cols.append(f.code)
    return cols


@dataclass
class Task:
    rt: RecordType
    count: int
    side: str  # "org" (organisations and individual businesses), "person" or "registration"
    subjects: list[Subject] | None = None  # registration: exactly these organisations


def split(total: int, weights: list[float]) -> list[int]:
    """Share ``total`` by ``weights`` (largest remainder; deterministic)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _weight(rt: RecordType, side: str) -> float:
    hint = vocab.TYPE_HINTS.get(rt.code)
    if hint is not None:
        return hint.org_weight if side == "org" else hint.person_weight
    org_w, person_w = vocab.GENERIC_WEIGHTS[rt.polarity.value]
    return org_w if side == "org" else person_w


def _kinds(rt: RecordType) -> set[str]:
    return {k.value for k in rt.subject_kinds}


def plan(
    catalogue: Catalogue, population: Population, total: int, seed: int
) -> dict[str, list[Task]]:
    """provider code -> tasks; the counts add up to ``total`` when any type can take them."""
    rng = random.Random(f"xinyong-plan:{seed}")
    submitters = {
        rt.code: [p for p in catalogue.providers if rt.code in p.record_types]
        for rt in catalogue.record_types
    }
    orgs, persons = population.organisations, population.persons
    have = {ORG: any(s.kind == ORG for s in orgs), IB: any(s.kind == IB for s in orgs)}
    have[PERSON] = bool(persons)

    def usable(rt: RecordType, side: str) -> bool:
        kinds = _kinds(rt) & ({PERSON} if side == "person" else {ORG, IB})
        return bool(submitters[rt.code]) and any(have[k] for k in kinds)

    sides = {
        side: [rt for rt in catalogue.record_types
               if rt.code != REGISTRATION and usable(rt, side) and _weight(rt, side) > 0]
        for side in ("org", "person")
    }  # fmt: skip
    reg = catalogue.record_type(REGISTRATION)
    reg_subjects: list[Subject] = []
    if reg is not None and usable(reg, "org"):
        reg_subjects = [s for s in orgs if s.kind in _kinds(reg)]
    org_cap = DEFAULT_PER_ORG * len(orgs) if (sides["org"] or reg_subjects) else 0
    person_cap = DEFAULT_PER_PERSON * len(persons) if sides["person"] else 0
    org_budget, person_budget = split(total, [org_cap, person_cap])
    tasks: dict[str, list[Task]] = {p.code: [] for p in catalogue.providers}
    if reg is not None and reg_subjects:
        reg_subjects = reg_subjects[:org_budget]
        org_budget -= len(reg_subjects)
        providers = submitters[REGISTRATION]
        preferred = {
            digit: [p for p in providers if any(w in p.name.zh for w in words)]
            for digit, words in REGISTRARS.items()
        }
        assigned: dict[str, list[Subject]] = {p.code: [] for p in providers}
        for s in reg_subjects:
            candidates = preferred.get(s.code[0]) or providers
            assigned[candidates[int(rng.random() * len(candidates))].code].append(s)
        for p in providers:
            if assigned[p.code]:
                tasks[p.code].append(
                    Task(reg, len(assigned[p.code]), "registration", assigned[p.code])
                )
    for side, budget in (("org", org_budget), ("person", person_budget)):
        types = sides[side]
        for rt, n in zip(types, split(budget, [_weight(rt, side) for rt in types]), strict=True):
            providers = submitters[rt.code]
            shares = split(n, [rng.uniform(0.5, 1.5) for _ in providers])
            for p, k in zip(providers, shares, strict=True):
                if k:
                    tasks[p.code].append(Task(rt, k, side))
    return tasks


def _citations(rt: RecordType) -> list[str]:
    """Legal bases for a type without themes, from the law that the type cites.

    A reference that names articles is used as it is; a law, regulation or rule without
    articles gets a few plausible ones; any other document is cited by its title.
    """
    first = re.split(r"[；;]", rt.legal_reference)[0].strip()
    m = re.match(r"(《[^》]+》)", first)
    if m is None or "第" in first:
        return [first]
    title = m.group(1)
    if not title.rstrip("》").endswith(("法", "条例", "办法", "规定", "细则")):
        return [first]
    r = random.Random(rt.code)
    return [f"{title}第{zh_number(r.randrange(2, 40))}条" for _ in range(3)]


def _abbreviation(provider: Provider, city_name: str) -> str:
    name = provider.name.zh
    for word, short in vocab.AUTHORITY_ABBREVIATIONS:
        if word in name:
            return city_name[0] + short
    rest = name.replace(f"{city_name}市", "").replace(city_name, "")
    return city_name[0] + (rest[:2] or "政")


def _doc_word(rt: RecordType) -> str:
    hint = vocab.TYPE_HINTS.get(rt.code)
    if hint is not None:
        return hint.doc_word
    if "judg" in rt.code or "court" in rt.category or "judicial" in rt.category:
        return ""
    return {"negative": "罚", "positive": "表"}.get(rt.polarity.value, "字")


def _publicity_until(rng: random.Random, d: int, period: PublicityPeriod | None) -> str:
    """A publicity end the provider states itself: within the type's minimum and maximum."""
    if period is None or not period.maximum_months:
        return ""
    day = dt.date.fromordinal(d)
    low = add_months(day, period.minimum_months).toordinal()
    high = add_months(day, period.maximum_months).toordinal()
    return dt.date.fromordinal(low + int(rng.random() * (high - low + 1))).isoformat()


class _TypeRows:
    """Everything needed to draw rows of one record type for one provider."""

    def __init__(
        self, rt: RecordType, columns: list[str], ctx: Context, abbr: str, years: int
    ) -> None:
        provider_name = ctx.provider_name
        self.rt = rt
        index = {c: i for i, c in enumerate(columns)}
        self.fields: list[tuple[int, Gen, float]] = [
            (index[f.code], *compile_field(rt, f, ctx)) for f in rt.fields
        ]
        self.severities = [s.value for s in rt.severities]
        self.sev_cum: list[float] = []
        acc = 0.0
        for s in self.severities:
            acc += SEVERITY_WEIGHTS[s]
            self.sev_cum.append(acc)
        known = themes.THEMES.get(rt.code, ())
        own = [t for t in known if t.get("authority", "") in provider_name] or list(known)
        citations = _citations(rt)
        if not own:
            own = [{"law": c} for c in citations]
        default_law = next((t["law"] for t in own if "law" in t), citations[0])
        own = [{"law": default_law, **t} for t in own]
        # Themes for organisations, and for natural persons (their own, else the same).
        self.themes: list[Theme] = [t for t in own if t.get("subject") != "person"] or own
        self.person_themes: list[Theme] = [t for t in own if t.get("subject") == "person"]
        if not self.person_themes:
            self.person_themes = self.themes
        word = _doc_word(rt)
        self.doc_word = word[1:] if word[:1] and abbr.endswith(word[:1]) else word
        self.abbr = abbr
        self.negative = rt.polarity is Polarity.negative
        self.span = min(years, rt.retention_years) * 365 - 1
        hint = vocab.TYPE_HINTS.get(rt.code)
        self.months = hint.months if hint else (0, 0)
        self.basis_fill = 1.0 if rt.legal_basis_required else 0.85
        self.doc_fill = 1.0 if rt.document_number_required else 0.7
        self.case_kind = "刑初" if "crime" in rt.code else "执"
        self.periods = dict(rt.publicity)


def rows_for_provider(
    provider: Provider,
    tasks: list[Task],
    columns: list[str],
    catalogue: Catalogue,
    population: Population,
    seed: int,
    years: int,
) -> Iterator[list[list[str]]]:
    """Yield the provider's rows in chunks of at most ``CHUNK``."""
    rng = random.Random(f"xinyong-records:{seed}:{provider.code}")
    city = population.city
    as_of = population.as_of.toordinal()
    oldest = min((s.since for s in population.organisations), default=as_of)
    first = min(oldest, as_of - 366 * max(years, 1)) - 400
    last = as_of + MAX_DATE_DAYS + 400
    ctx = Context(city, provider.name.zh, provider.uscc, first, last, PersonNames())
    abbr = _abbreviation(provider, city.name)
    seqs: dict[int, int] = {}
    pools = _Pools(population)
    chunk: list[list[str]] = []
    width = len(columns)
    random_ = rng.random
    memo = ctx.memo
    iso, years_of = ctx.iso, ctx.years
    prefix = f"{provider.code}-"
    date = dt.date
    for task in tasks:
        tr = _TypeRows(task.rt, columns, ctx, abbr, years)
        pool, risky = pools.get(_kinds(task.rt), task.side)
        n_pool, n_risky = len(pool), len(risky)
        fields, severities, sev_cum = tr.fields, tr.severities, tr.sev_cum
        sev_total = sev_cum[-1] if sev_cum else 0.0
        themes = tr.person_themes if task.side == "person" else tr.themes
        n_themes = len(themes)
        code, span, negative, low, high = tr.rt.code, tr.span, tr.negative, *tr.months
        basis_fill, doc_fill, doc_word = tr.basis_fill, tr.doc_fill, tr.doc_word
        doc_prefix = f"{tr.abbr}{doc_word}〔"
        registration = task.subjects
        annual: set[tuple[str, int]] = set()
        oldest_allowed = as_of - tr.rt.retention_years * 365 + 1
        for i in range(task.count):
            th = themes[int(random_() * n_themes)]
            if registration is not None:
                s = registration[i]
                # founded before the oldest record kept: a later (change) registration
                d = s.since
                if d < oldest_allowed:
                    d = oldest_allowed + int(random_() * (as_of - oldest_allowed))
            elif not low and "industries" not in th:  # the common case, kept fast
                if negative and n_risky and random_() < RISKY_PICK:
                    s = risky[int(random_() * n_risky)]
                else:
                    s = pool[int(random_() * n_pool)]
                d = as_of - int(random_() * span)
                if d < s.since:
                    d = min(s.since + int(random_() * (as_of - s.since + 1)), as_of)
            else:
                industries = th.get("industries")
                for attempt in range(SUBJECT_TRIES):
                    if negative and n_risky and random_() < RISKY_PICK:
                        s = risky[int(random_() * n_risky)]
                    else:
                        s = pool[int(random_() * n_pool)]
                    last_try = attempt == SUBJECT_TRIES - 1
                    if industries and s.industry not in industries and attempt < INDUSTRY_TRIES:
                        continue
                    d = as_of - int(random_() * span)
                    if low:  # an annual event: in its months, once a year per subject
                        month = low + int(random_() * (high - low + 1))
                        day = date(years_of[d - first], month, 1 + int(random_() * 28)).toordinal()
                        d = day if day <= as_of else day - 365
                        if d < as_of - span:  # back into the window
                            d = min(d + 365, as_of)
                    if d < s.since:
                        d = min(s.since + int(random_() * (as_of - s.since + 1)), as_of)
                    if not low:
                        break
                    key = (s.code, years_of[d - first])
                    if key not in annual or last_try:
                        annual.add(key)
                        break
            memo.clear()
            row = [""] * width
            year = years_of[d - first]
            seq = seqs[year] = seqs.get(year, 0) + 1
            sev = severities[bisect_right(sev_cum, random_() * sev_total)] if severities else ""
            row[0] = code
            row[1] = f"{prefix}{year}-{seq:06d}"
            row[2] = s.kind
            row[3] = s.code
            row[4] = s.new_name if s.renamed_on and d >= s.renamed_on else s.name
            row[5] = iso[d - first]
            row[6] = sev
            if random_() < basis_fill:
                row[7] = th["law"]
            if random_() < doc_fill:
                if doc_word:
                    row[8] = f"{doc_prefix}{year}〕{1 + int(random_() * 3000)}号"
                else:  # a court's decision: the case number
                    row[8] = memo["case"] = ctx.case_number(rng, d, s, tr.case_kind)
            if random_() < PUBLICITY_SET:  # most rows leave it to the platform
                row[9] = _publicity_until(rng, d, tr.periods.get(sev or DEFAULT_PERIOD))
            for col, gen, fill in fields:
                if fill >= 1.0 or random_() < fill:
                    row[col] = gen(rng, d, s, sev, th)
            chunk.append(row)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


class _Pools:
    """Subjects eligible for a type, and the risky ones among them, cached by kinds."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self.cache: dict[tuple[str, ...], tuple[list[Subject], list[Subject]]] = {}

    def get(self, kinds: set[str], side: str) -> tuple[list[Subject], list[Subject]]:
        want = kinds & ({SubjectKind.person.value} if side == "person" else {ORG, IB})
        key = tuple(sorted(want))
        if key not in self.cache:
            source = self.population.persons if side == "person" else self.population.organisations
            pool = [s for s in source if s.kind in want]
            self.cache[key] = (pool, [s for s in pool if s.risky])
        return self.cache[key]
