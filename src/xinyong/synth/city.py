"""A synthetic city: its districts and its subjects (organisations, individual businesses, people).

Subjects are drawn from one ``random.Random`` so that a seed gives the same city every time.
Codes are valid (``make_uscc`` / ``make_ric``) and carry the subject's administrative division.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from itertools import accumulate

from xinyong.catalogue import SubjectKind
from xinyong.identifiers import make_ric, make_uscc
from xinyong.synth import names
from xinyong.synth.names import pick

ORG = SubjectKind.organisation.value
IB = SubjectKind.individual_business.value
PERSON = SubjectKind.person.value


@dataclass(frozen=True)
class District:
    code: str  # GB/T 2260
    name: str  # 思明区
    short: str  # 思明
    weight: float  # share of the city's subjects
    roads: tuple[str, ...]


@dataclass(frozen=True)
class City:
    name: str  # 厦门
    province_short: str  # 闽 (court case numbers)
    division: str  # city-level division code (USCCs issued by city-level authorities)
    court_code: str  # 闽02: the intermediate court's code in case numbers
    districts: tuple[District, ...]
    # Divisions of people born elsewhere (or under codes since abolished): code -> weight.
    elsewhere: dict[str, float] = field(default_factory=dict)


XIAMEN = City(
    name="厦门",
    province_short="闽",
    division="350200",
    court_code="02",
    districts=(
        District("350203", "思明区", "思明", 26.0,
                 ("湖滨南路", "厦禾路", "莲前西路", "鹭江道", "中山路", "嘉禾路",
                  "软件园二期观日路")),
        District("350206", "湖里区", "湖里", 24.0,
                 ("湖里大道", "金尚路", "仙岳路", "枋湖北二路", "高崎南五路", "五缘湾道")),
        District("350211", "集美区", "集美", 15.0,
                 ("杏林湾路", "集美大道", "软件园三期诚毅大街", "杏前路", "侨英路")),
        District("350205", "海沧区", "海沧", 11.0,
                 ("海沧大道", "新阳路", "翁角路", "钟林路", "马青路")),
        District("350212", "同安区", "同安", 13.0,
                 ("同安工业集中区思明园", "环城南路", "西柯街", "大同路", "银湖中路")),
        District("350213", "翔安区", "翔安", 11.0,
                 ("翔安南路", "新店镇洪前路", "马巷镇巷南路", "翔安西路", "舫山南路")),
    ),
    elsewhere={
        "350204": 3.0,  # 开元区, merged into 思明区 in 2003 (older residents keep the code)
        "350202": 0.5,  # 鼓浪屿区, likewise
        "350582": 6.0,  # 晋江市
        "350583": 5.0,  # 南安市
        "350623": 4.0,  # 漳浦县
        "350681": 3.0,  # 龙海 (county-level city code)
        "350102": 3.0,  # 福州 鼓楼区
        "350821": 2.0,  # 长汀县
        "360102": 1.5,  # 南昌 东湖区
        "430104": 1.2,  # 长沙 岳麓区
        "420106": 1.2,  # 武汉 武昌区
        "510104": 1.2,  # 成都 锦江区
        "440106": 1.0,  # 广州 天河区
        "330106": 1.0,  # 杭州 西湖区
        "110105": 1.0,  # 北京 朝阳区
        "310115": 1.0,  # 上海 浦东新区
        "340524": 0.8,  # 安徽 霍邱县
        "411302": 0.8,  # 南阳 宛城区
    },
)  # fmt: skip

IB_SHARE = 0.20  # share of --orgs that are individual businesses (个体工商户)
RISKY_ORG_SHARE = 0.12  # organisations that attract most negative records
RISKY_PERSON_SHARE = 0.05
RENAMED_SHARE = 0.03  # organisations renamed during their life
DUPLICATE_NAME_SHARE = 0.003  # exact duplicate names under different codes
PERSONS_FROM_CITY = 0.72  # people whose identity number carries a district of the city
CITY_LEVEL_USCC = 0.15  # enterprises registered by the city-level authority (350200...)
# USCC prefix (authority + category) of organisations that are not individual businesses.
ORG_PREFIXES = (("91", 95.0), ("93", 1.5), ("12", 2.0), ("52", 1.5))


class Subject:
    """A subject of the city. ``since`` is the ordinal day from which it can have records."""

    __slots__ = (
        "code", "district", "female", "industry", "kind", "name", "new_name", "renamed_on",
        "risky", "since",
    )  # fmt: skip

    def __init__(
        self, kind: str, code: str, name: str, district: int, industry: str, since: int
    ) -> None:
        self.kind = kind
        self.code = code
        self.name = name
        self.district = district
        self.industry = industry
        self.since = since
        self.risky = False
        self.female = False
        self.new_name = ""
        self.renamed_on = 0

    def name_on(self, ordinal: int) -> str:
        """The name the subject bore on a given day (renamed subjects change once)."""
        if self.renamed_on and ordinal >= self.renamed_on:
            return self.new_name
        return self.name


@dataclass
class Population:
    city: City
    organisations: list[Subject]  # organisations and individual businesses
    persons: list[Subject]
    as_of: dt.date


def _cum(weights: list[float]) -> list[float]:
    return list(accumulate(weights))


def build_city(
    orgs: int, persons: int, seed: int, as_of: dt.date, city: City = XIAMEN
) -> Population:
    """Draw the city's subjects; the same arguments give the same population."""
    rng = random.Random(f"xinyong-city:{seed}")
    return Population(
        city=city,
        organisations=_organisations(rng, orgs, as_of, city),
        persons=_persons(rng, persons, as_of, city),
        as_of=as_of,
    )


def _organisations(rng: random.Random, n: int, as_of: dt.date, city: City) -> list[Subject]:
    today = as_of.toordinal()
    district_cum = _cum([d.weight for d in city.districts])
    district_idx = list(range(len(city.districts)))
    prefixes = [p for p, _ in ORG_PREFIXES]
    prefix_cum = _cum([w for _, w in ORG_PREFIXES])
    ib_sections = list(names.IB_SECTIONS)
    ib_cum = _cum(list(names.IB_SECTIONS.values()))
    seen_codes: set[str] = set()
    seen_names: set[str] = set()
    taken_by_prefix: dict[str, list[str]] = {}  # exact duplicates only among the same kind
    out: list[Subject] = []
    for _ in range(n):
        d = pick(rng, district_idx, district_cum)
        district = city.districts[d]
        age_days = int(min(rng.expovariate(1 / 9.0), 35.0) * 365.25) + 30
        since = today - age_days
        if rng.random() < IB_SHARE:
            section = pick(rng, ib_sections, ib_cum)
            prefix, division, kind = "92", district.code, IB
        else:
            prefix = pick(rng, prefixes, prefix_cum)
            section = pick(rng, names.SECTIONS, names.SECTION_CUM_WEIGHTS)
            kind = ORG
            division = city.division if rng.random() < CITY_LEVEL_USCC else district.code
        code = make_uscc(rng, division, prefix)
        while code in seen_codes:  # practically never: 31^9 organisation codes
            code = make_uscc(rng, division, prefix)
        seen_codes.add(code)
        taken = taken_by_prefix.setdefault(prefix, [])
        if taken and rng.random() < DUPLICATE_NAME_SHARE:
            name = taken[int(rng.random() * len(taken))]
        else:
            for _attempt in range(30):
                name, section = _org_name(rng, city, district, prefix, section)
                if name not in seen_names:
                    break
        seen_names.add(name)
        taken.append(name)
        s = Subject(kind, code, name, d, section, since)
        s.risky = rng.random() < (RISKY_ORG_SHARE * (1.5 if kind == IB else 1.0))
        if rng.random() < RENAMED_SHARE and age_days > 400:
            s.renamed_on = since + 180 + int(rng.random() * (age_days - 180))
            for _attempt in range(30):
                new_name, _ = _org_name(rng, city, district, prefix, section)
                if new_name not in seen_names and new_name != name:
                    break
            seen_names.add(new_name)
            s.new_name = new_name
        out.append(s)
    return out


def _org_name(
    rng: random.Random, city: City, district: District, prefix: str, section: str
) -> tuple[str, str]:
    zihao = names.trade_name(rng)
    if prefix == "92":
        return names.individual_business_name(rng, district.short, section, zihao), section
    if prefix == "12":
        section, word = names.PUBLIC_INSTITUTIONS[int(rng.random() * 10)]
        nth = names.zh_number(1 + int(rng.random() * 12))
        place = zihao if section in "PQ" and rng.random() < 0.5 else f"第{nth}"
        return f"{city.name}市{district.name}{place}{word}", section
    if prefix == "52":
        section, word = names.SOCIAL_ORGANISATIONS[int(rng.random() * 6)]
        return f"{city.name}市{district.name}{zihao}{word}", section
    if prefix == "93":
        words = names.COOPERATIVE_WORDS
        word = words[int(rng.random() * len(words))]
        return f"{city.name}市{district.name}{zihao}{word}专业合作社", "A"
    return names.enterprise_name(rng, city.name, section, zihao), section


def _persons(rng: random.Random, n: int, as_of: dt.date, city: City) -> list[Subject]:
    today = as_of.toordinal()
    local = [d.code for d in city.districts]
    local_cum = _cum([d.weight for d in city.districts])
    far = list(city.elsewhere)
    far_cum = _cum(list(city.elsewhere.values()))
    district_idx = list(range(len(city.districts)))
    first = dt.date(1950, 1, 1).toordinal()
    last = min(dt.date(2005, 12, 31).toordinal(), today - 366 * 18)
    mode = dt.date(1982, 6, 1).toordinal()
    drawer = names.PersonNames()
    seen: set[str] = set()
    out: list[Subject] = []
    for _ in range(n):
        born_ord = int(rng.triangular(first, last, min(max(mode, first), last)))
        born = dt.date.fromordinal(born_ord)
        female = rng.random() < 0.49
        if rng.random() < PERSONS_FROM_CITY:
            division = pick(rng, local, local_cum)
        else:
            division = pick(rng, far, far_cum)
        code = make_ric(rng, division, born, female=female)
        while code in seen:
            code = make_ric(rng, division, born, female=female)
        seen.add(code)
        home = pick(rng, district_idx, local_cum)
        adult = dt.date(born.year + 18, born.month, 28 if born.month == 2 else born.day)
        s = Subject(PERSON, code, drawer.draw(rng, female=female), home, "", adult.toordinal())
        s.female = female
        s.risky = rng.random() < RISKY_PERSON_SHARE
        out.append(s)
    return out
