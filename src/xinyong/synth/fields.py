"""Value generators for the fields of a record type, chosen by field type and field code.

A generator is compiled once per (record type, field) and then called for every record with
``(rng, decided_on ordinal, subject, severity, theme)``; it returns the cell as text in the
import format (ISO dates, plain decimals, ``true``/``false``) or ``""`` for an empty cell.
Fields of one record agree through ``Context.memo`` (grade and score, penalty and fine, ...).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from itertools import accumulate

from xinyong.catalogue import FieldSpec, FieldType, RecordType
from xinyong.synth import names, vocab
from xinyong.synth.city import City, Subject
from xinyong.synth.names import PersonNames, pick
from xinyong.synth.themes import Theme

Gen = Callable[[random.Random, int, Subject, str, Theme], str]

OPTIONAL_FILL = 0.75  # share of records that fill an optional field
MAX_DATE_DAYS = 3 * 365  # date fields lie within [decided_on, decided_on + 3 years]

SAME_DAY = ("from", "start", "establish", "register", "issue", "listed", "decid", "submit",
            "incorporat", "found", "begin", "sign", "award", "due", "notice",
            "立案", "期限")  # fmt: skip
SOON_AFTER = ("filed_on", "paid_on", "实际")  # a late filing or payment: days to weeks later
END_WORDS = ("_to", "until", "expir", "_end", "end_", "ended", "lifted", "至", "解除", "截止")
GRADE_WEIGHTS = {"A": 5.0, "B": 55.0, "M": 15.0, "C": 15.0, "D": 10.0}
GRADE_SCORES = {"A": (90.0, 100.0), "B": (70.0, 89.9), "M": (70.0, 89.9), "C": (40.0, 69.9),
                "D": (0.0, 39.9)}  # fmt: skip
CAPITALS = (1, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000, 50000)
CAPITAL_CUM = tuple(accumulate((2, 3, 6, 12, 6, 7, 12, 18, 10, 6, 7, 5, 2, 2, 1, 0.3)))
SEVERITY_INDEX = {"minor": 0, "general": 1, "serious": 2}


def plain_decimal(x: float) -> str:
    """``12.5``, ``3``, ``0.05``: at most two decimals, no trailing zeros, no exponent."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def has(text: str, *words: str) -> bool:
    return any(w in text for w in words)


def field_words(f: FieldSpec) -> str:
    """What the rules look at: code, English name and Chinese name."""
    return f"{f.code} {f.name.en.lower()} {f.name.zh}"


class Context:
    """What the generators of one provider's records share: city, dates, authority, memo."""

    def __init__(
        self,
        city: City,
        provider_name: str,
        provider_uscc: str,
        first: int,
        last: int,
        people: PersonNames,
    ) -> None:
        self.city = city
        self.provider_name = provider_name
        self.provider_uscc = provider_uscc
        self.first = first
        self.iso = [dt.date.fromordinal(o).isoformat() for o in range(first, last + 1)]
        self.years = [int(s[:4]) for s in self.iso]
        self.people = people
        # Names of representatives and operators: drawn from a pool, which is much faster
        # than composing each (the pool is large enough that names still vary).
        pool_rng = random.Random(f"xinyong-names:{provider_uscc}")
        self.names = [people.draw(pool_rng, female=pool_rng.random() < 0.3) for _ in range(4096)]
        # What earlier fields of the same record drew (grade, penalty, fine, court, case),
        # so that later fields agree with them; cleared before each record.
        self.memo: dict[str, str] = {}

    def date(self, ordinal: int) -> str:
        return self.iso[ordinal - self.first]

    def year(self, ordinal: int) -> int:
        return self.years[ordinal - self.first]

    def zh_date(self, ordinal: int) -> str:
        day = dt.date.fromordinal(ordinal)
        return f"{day.year}年{day.month}月{day.day}日"

    def _court_code(self, rng: random.Random, s: Subject) -> str:
        code = self.memo.get("court")
        if code is None:
            district = self.city.districts[s.district].code[2:6]
            code = self.city.court_code if rng.random() < 0.15 else district
            self.memo["court"] = code
        return code

    def case_number(self, rng: random.Random, d: int, s: Subject, kind: str = "执") -> str:
        """A court case number, e.g. （2024）闽0203执1234号; one court per record."""
        court = self._court_code(rng, s)
        year = self.year(d) - (1 if kind != "执" else 0)
        return f"（{year}）{self.city.province_short}{court}{kind}{1 + int(rng.random() * 9998)}号"

    def court(self, rng: random.Random, s: Subject) -> str:
        code = self._court_code(rng, s)
        for district in self.city.districts:
            if district.code[2:6] == code:
                return f"{self.city.name}市{district.name}人民法院"
        return f"{self.city.name}市中级人民法院"


def compile_field(rt: RecordType, f: FieldSpec, ctx: Context) -> tuple[Gen, float]:
    """The generator of one field and the share of records that fill it."""
    from xinyong.synth.texts import text_generator

    words = field_words(f)
    fill = 1.0 if f.required else OPTIONAL_FILL
    if f.type is FieldType.choice:
        gen = _choice(f, words, ctx.memo)
    elif f.type is FieldType.decimal:
        gen = _decimal(f, words, ctx.memo)
    elif f.type is FieldType.integer:
        gen = _integer(f, words, ctx)
    elif f.type is FieldType.date:
        gen = _date(words, ctx)
    elif f.type is FieldType.boolean:
        p_true = 0.65 if has(words, "correct", "perform", "paid", "fulfil", "restor") else 0.5
        p_true = 0.1 if has(words, "late", "逾期") else p_true
        if has(words, "consecutive", "连续"):
            p_true = 0.6

        def boolean(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
            return "true" if rng.random() < p_true else "false"

        gen = boolean
    else:
        gen, fill = text_generator(rt, f, words, ctx, fill)
    return gen, fill


def _choice(f: FieldSpec, words: str, memo: dict[str, str]) -> Gen:
    choices = list(f.choices)
    code = f.code
    allowed = set(choices)
    if has(words, "industry", "行业"):
        by_section: dict[str, str] = {}
        for section in names.SECTIONS:
            for c in choices:
                if c == section or (c.startswith(section) and not c[1:2].isascii()):
                    by_section[section] = c
                    break
        if by_section:
            fallback = choices[0]
            return lambda rng, d, s, sev, th: by_section.get(s.industry, fallback)
    if has(words, "grade", "等级", "级别") and set(GRADE_WEIGHTS) & allowed:
        cum = list(accumulate(GRADE_WEIGHTS.get(c, 3.0) for c in choices))

        def grade(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
            value = pick(rng, choices, cum)
            memo["grade"] = value
            return value

        return grade
    kinds = [_penalty_weights(c) for c in choices]
    penalty_words = has(words, "penalt", "punish", "处罚")
    if penalty_words and sum(k is not None for k in kinds) >= 2:
        return _penalty_choice(choices, kinds, memo)
    cum = list(accumulate(vocab.CHOICE_WEIGHTS.get(c, 1.0) for c in choices))
    key = "measure" if has(words, "measure", "措施") else code

    def choice(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        value = th.get(code)
        if value is None or value not in allowed:
            value = pick(rng, choices, cum)
        memo[key] = value
        return value

    return choice


def _penalty_weights(choice: str) -> tuple[float, float, float] | None:
    low = choice.lower()
    for keywords, weights in vocab.PENALTY_KINDS:
        if has(low, *keywords):
            return weights
    return None


def _penalty_choice(
    choices: list[str], kinds: list[tuple[float, float, float] | None], memo: dict[str, str]
) -> Gen:
    """Penalty kinds weighted by severity; detention only for natural persons."""
    tables: dict[tuple[int, bool], list[float]] = {}
    for sev in range(3):
        for person in (False, True):
            weights = [
                0.0
                if (not person and has(c.lower(), *vocab.PERSONS_ONLY))
                else (k[sev] if k is not None else 0.5)
                for c, k in zip(choices, kinds, strict=True)
            ]
            if not any(weights):
                weights = [1.0] * len(choices)
            tables[sev, person] = list(accumulate(weights))

    def penalty(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        cum = tables[SEVERITY_INDEX.get(sev, 1), s.kind == "person"]
        value = pick(rng, choices, cum)
        memo["penalty"] = value
        return value

    return penalty


def _decimal(f: FieldSpec, words: str, memo: dict[str, str]) -> Gen:
    floor = f.minimum if f.minimum is not None else 0.0
    # Amounts in yuan (元) rather than ten thousands (万元).
    scale = 10_000.0 if ("元" in f.name.zh and "万元" not in f.name.zh) else 1.0

    def clip(x: float) -> str:  # a positive minimum is a base to add to, not a floor
        return plain_decimal(floor + x if floor > 0 else max(x, floor))

    if has(words, "capital", "资本"):
        return lambda rng, d, s, sev, th: clip(
            pick(rng, CAPITALS, CAPITAL_CUM) / (1 if s.kind == "organisation" else 20)
        )
    if has(words, "hour", "时长"):
        return lambda rng, d, s, sev, th: clip(round(min(rng.lognormvariate(2.2, 0.9), 400), 1))
    if has(words, "score", "得分", "分数"):

        def score(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
            low, high = GRADE_SCORES.get(memo.get("grade", ""), (40.0, 100.0))
            return clip(round(rng.uniform(low, high), 1))

        return score
    evasion = has(words, "evad", "偷税")
    if has(words, "percent", "ratio", "proportion", "百分比", "比例"):

        def share(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
            low = 10.0 if evasion and sev == "serious" else 1.0
            return clip(round(rng.uniform(low, 60.0 if evasion else 100.0), 1))

        return share
    if has(words, "confiscat", "没收"):
        return _when_penalty(f, memo, ("confiscat", "没收"), clip, -0.5, 1.4)
    if has(words, "fine", "罚款"):
        return _when_penalty(f, memo, ("fine", "罚款"), clip, -0.7, 1.3)

    # Amounts owed, arrears, taxes, contract values: a long tail (CNY 10k unless in yuan).
    mu = 4.0 if has(words, "contract", "secured", "合同", "担保") else 1.0

    def amount(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        x = min(rng.lognormvariate(mu, 1.4), 20_000.0) * scale
        if evasion:  # serious evasion: at least CNY 100,000 (see the catalogue's note)
            x = x + 100_000.0 if sev == "serious" else min(x, 99_999.0)
        return clip(round(x, 2))

    return amount


def _when_penalty(
    f: FieldSpec,
    memo: dict[str, str],
    kinds: tuple[str, ...],
    clip: Callable[[float], str],
    mu: float,
    sigma: float,
) -> Gen:
    """An amount that exists only when the record's penalty is of that kind (or unknown)."""
    key = kinds[0]

    def amount(rng: random.Random, d: int, s: Subject, sev: str, th: Theme) -> str:
        drawn = memo.get("penalty")
        if drawn is not None and not has(drawn.lower(), *kinds):
            return clip(0.0) if f.required else ""
        value = memo.get(key)
        if value is None:
            x = rng.lognormvariate(mu, sigma)
            if sev == "minor":
                x = min(x, 0.3)
            elif sev == "serious":
                x *= 5
            value = clip(round(min(max(x, 0.05), 200.0), 2))
            memo[key] = value
        elif f.minimum is not None and float(value) < f.minimum:  # drawn by the content
            value = plain_decimal(f.minimum)
        return value

    return amount


def fine_of(rng: random.Random, sev: str, memo: dict[str, str]) -> str:
    """The record's fine in CNY 10k, drawn once per record (shared with the fine field)."""
    value = memo.get("fine")
    if value is None:
        x = rng.lognormvariate(-0.7, 1.3)
        x = min(x, 0.3) if sev == "minor" else x * (5 if sev == "serious" else 1)
        value = plain_decimal(min(max(x, 0.05), 200.0))
        memo["fine"] = value
    return value


def _integer(f: FieldSpec, words: str, ctx: Context) -> Gen:
    floor = int(f.minimum) if f.minimum is not None else 0
    if has(words, "year", "年度"):
        # A rating, report or tax year is the year before the decision; a service year not.
        back = 0 if has(words, "service", "服务") else 1
        return lambda rng, d, s, sev, th: str(max(ctx.year(d) - back, floor))
    if has(words, "month", "月"):
        return lambda rng, d, s, sev, th: str(max(3 + int(rng.random() * 10), floor))
    if has(words, "day", "日"):
        return lambda rng, d, s, sev, th: str(max(1 + int(rng.random() * 90), floor))
    if has(words, "hour", "时长"):
        return lambda rng, d, s, sev, th: str(max(1 + int(rng.lognormvariate(2.2, 0.9)), floor))
    base = max(floor, 1)
    return lambda rng, d, s, sev, th: str(base + int(rng.expovariate(0.4)))


def _date(words: str, ctx: Context) -> Gen:
    if has(words, *SOON_AFTER):
        return lambda rng, d, s, sev, th: ctx.date(d + 1 + int(rng.random() * 60))
    if has(words, *END_WORDS):
        return lambda rng, d, s, sev, th: ctx.date(
            d + 180 + int(rng.random() * (MAX_DATE_DAYS - 179))
        )
    if has(words, "establish", "成立", "incorporat", "founded"):
        # The subject's own founding day (a registration may be decided on later).
        return lambda rng, d, s, sev, th: ctx.date(max(min(s.since, d), ctx.first))
    if has(words, *SAME_DAY):
        return lambda rng, d, s, sev, th: ctx.date(d)
    return lambda rng, d, s, sev, th: ctx.date(d + int(rng.random() * (MAX_DATE_DAYS + 1)))
