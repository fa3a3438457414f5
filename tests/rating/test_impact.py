"""The impact of a rule change, on a small city imported into a real store (SQLite and
PostgreSQL): a harsher copy of the shipped ``city_grade`` scheme against the shipped one."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select

from tests.factories import csv_bytes, judgment, penalty, ric, uscc
from xinyong.catalogue.model import Catalogue
from xinyong.db.tables import entities
from xinyong.db.types import utcnow
from xinyong.errors import BadRequest, CatalogueError, NotFound
from xinyong.ingest.importer import import_bytes, today_in
from xinyong.rating.chart import migration_svg
from xinyong.rating.impact import Impact, impact, impact_for_api, move_of, to_json
from xinyong.rating.loader import default_schemes, parse_scheme, schemes_dir
from xinyong.rating.model import Scheme
from xinyong.settings import Settings

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class City:
    """Codes of the subjects, by role in the story."""

    fined: str  # organisation, general penalty fined CNY 15k: A -> B (960 -> 900)
    clean: str  # organisation, registration only: AA, unchanged
    defaulter: str  # organisation, judgment default: D -> D (800 -> 680)
    minor: str  # organisation without registration, minor penalty: A, unchanged
    honoured: str  # organisation with a district honour: AA -> AAA (1010 -> 1040)
    person_fined: str  # identity number; general penalty, small fine: A -> B (970 -> 930)
    person_minor: str  # identity number; minor penalty: A, unchanged


def registration(code: str, name: str, industry: str) -> dict[str, Any]:
    return {
        "record_type": "business_registration",
        "provider_record_id": f"R-{code}",
        "subject": {"kind": "organisation", "code": code, "name": name},
        "decided_on": "2020-03-02",
        "fields": {
            "industry": industry,
            "established_on": "2020-03-02",
            "legal_representative": "陈明",
            "address": "厦门市思明区湖滨南路1号",
            "registration_status": "subsisting",
        },
    }


def honour(prid: str, code: str, name: str, level: str) -> dict[str, Any]:
    return {
        "record_type": "honour",
        "provider_record_id": prid,
        "subject": {"kind": "organisation", "code": code, "name": name},
        "decided_on": (dt.date.today() - dt.timedelta(days=40)).isoformat(),
        "document_number": f"厦发改〔2026〕{prid}号",
        "fields": {
            "honour_name": "守合同重信用企业",
            "conferred_by": "厦门市发展和改革委员会",
            "level": level,
        },
    }


def build_city(engine: Engine, catalogue: Catalogue, settings: Settings) -> City:
    city = City(
        fined=uscc(101, "350203"),
        clean=uscc(102, "350206"),
        defaulter=uscc(103, "350203"),
        minor=uscc(104, "350205"),
        honoured=uscc(105, "350211"),
        person_fined=ric(201, "350203"),
        person_minor=ric(202, "350206"),
    )
    files = {
        "market_regulation": [
            registration(city.fined, "厦门鑫达贸易有限公司", "F"),
            registration(city.clean, "厦门海沧精密制造有限公司", "C"),
            registration(city.defaulter, "厦门同安机械有限公司", "C"),
            registration(city.honoured, "厦门软件园信息技术有限公司", "I"),
            penalty("P1", city.fined, "厦门鑫达贸易有限公司"),
            penalty("P2", city.minor, "厦门湖里餐饮有限公司", severity="minor", fine_amount=0.5),
            penalty("P3", city.person_fined, "张三", kind="person", fine_amount=0.5),
            penalty(
                "P5", city.person_minor, "李四", kind="person", severity="minor", fine_amount=0
            ),
        ],
        "court": [judgment("J1", city.defaulter, "厦门同安机械有限公司")],
        "development_reform": [
            honour("H1", city.honoured, "厦门软件园信息技术有限公司", "district")
        ],
    }
    for provider, recs in files.items():
        summary = import_bytes(
            engine,
            catalogue,
            settings,
            data=csv_bytes(recs),
            name=f"{provider}.csv",
            provider_code=provider,
        )
        assert (summary.rejected, summary.errors) == (0, []), summary.errors
    return city


def harsher(shipped: Scheme, catalogue: Catalogue, version: str = "2026.2") -> Scheme:
    """``city_grade`` with dearer general penalties, fines of CNY 10k to 100k and judgment
    defaults, and more for local honours."""
    raw = yaml.safe_load((schemes_dir() / "city_grade.yaml").read_text(encoding="utf-8"))
    assert raw["code"] == shipped.code
    points = {"penalty_general": -70, "judgment_default": -320, "honour_local": 40}
    for rule in raw["rules"]:
        if rule["code"] in points:
            rule["points"] = points[rule["code"]]
        if rule["code"] == "penalty_fine":
            rule["bands"][1]["points"] = -30
    raw["version"] = version
    return parse_scheme(raw, catalogue)


def public_id_of(engine: Engine, code: str) -> str:
    with engine.connect() as conn:
        found = conn.execute(select(entities.c.public_id).where(entities.c.code == code)).scalar()
    assert isinstance(found, str)
    return found


@pytest.fixture
def city(engine: Engine, catalogue: Catalogue, settings: Settings) -> City:
    return build_city(engine, catalogue, settings)


def run(
    db: Engine,
    catalogue: Catalogue,
    settings: Settings,
    new: Scheme,
    old: Scheme,
    **kw: Any,
) -> Impact:
    today = today_in(settings)
    with db.connect() as conn:
        return impact(
            conn,
            catalogue,
            new,
            old,
            as_of=kw.pop("as_of", today),
            today=today,
            now=utcnow(),
            timezone=settings.timezone,
            **kw,
        )


def test_harsher_scheme_moves_known_subjects_down(
    engine: Engine, catalogue: Catalogue, settings: Settings, city: City
) -> None:
    old = default_schemes()["city_grade"]
    r = run(engine, catalogue, settings, harsher(old, catalogue), old)
    assert (r.old.code, r.old.version, r.new.version) == ("city_grade", old.version, "2026.2")
    assert r.subjects == 7
    assert (r.only_old, r.only_new) == (0, 0)
    assert list(r.matrix) == ["AAA", "AA", "A", "B", "C", "D"]
    assert all(list(row) == ["AAA", "AA", "A", "B", "C", "D"] for row in r.matrix.values())
    assert sum(n for row in r.matrix.values() for n in row.values()) == r.subjects
    moved = {(o, n): c for o, row in r.matrix.items() for n, c in row.items() if c}
    assert moved == {
        ("AA", "AA"): 1,
        ("AA", "AAA"): 1,
        ("A", "A"): 2,
        ("A", "B"): 2,
        ("D", "D"): 1,
    }
    assert r.changed == 3
    assert dict(r.moves) == {"up": 1, "same": 4, "down": 2}

    assert r.by_district == {
        "350203": {"subjects": 2, "up": 0, "down": 1, "same": 1},
        "350205": {"subjects": 1, "up": 0, "down": 0, "same": 1},
        "350206": {"subjects": 1, "up": 0, "down": 0, "same": 1},
        "350211": {"subjects": 1, "up": 1, "down": 0, "same": 0},
        "-": {"subjects": 2, "up": 0, "down": 1, "same": 1},  # persons: division withheld
    }
    assert r.by_industry == {
        "C": {"subjects": 2, "up": 0, "down": 0, "same": 2},
        "F": {"subjects": 1, "up": 0, "down": 1, "same": 0},
        "I": {"subjects": 1, "up": 1, "down": 0, "same": 0},
        "-": {"subjects": 3, "up": 0, "down": 1, "same": 2},
    }

    person = public_id_of(engine, city.person_fined)
    got = [(m.code, m.kind, m.old_grade, m.new_grade, m.delta, m.move) for m in r.movers]
    assert got == [
        (city.defaulter, "organisation", "D", "D", Decimal(-120), "same"),
        (city.fined, "organisation", "A", "B", Decimal(-60), "down"),
        (person, "person", "A", "B", Decimal(-40), "down"),
        (city.honoured, "organisation", "AA", "AAA", Decimal(30), "up"),
    ]
    deltas = [abs(m.delta) for m in r.movers]
    assert deltas == sorted(deltas, reverse=True)
    fined = r.movers[1]
    assert (fined.name, fined.old_score, fined.new_score) == (
        "厦门鑫达贸易有限公司",
        Decimal(960),
        Decimal(900),
    )
    assert (r.movers[2].name, r.movers[2].old_score, r.movers[2].new_score) == (
        "张三",
        Decimal(970),
        Decimal(930),
    )
    text = json.dumps(to_json(r), ensure_ascii=False)
    assert city.person_fined not in text
    assert city.person_minor not in text
    assert person in text
    top2 = run(engine, catalogue, settings, harsher(old, catalogue), old, top=2)
    assert [m.code for m in top2.movers] == [city.defaulter, city.fined]


def test_json_is_plain_and_scores_are_strings(
    engine: Engine, catalogue: Catalogue, settings: Settings, city: City
) -> None:
    old = default_schemes()["city_grade"]
    data = to_json(run(engine, catalogue, settings, harsher(old, catalogue), old))
    again = json.loads(json.dumps(data))  # no Decimal, no date left
    assert again == data
    assert data["old"]["grades"] == ["AAA", "AA", "A", "B", "C", "D"]
    assert data["as_of"] == today_in(settings).isoformat()
    first = data["movers"][0]
    assert (first["old_score"], first["new_score"], first["delta"]) == ("800", "680", "-120")
    assert data["matrix"]["A"]["B"] == 2
    assert data["moves"] == {"up": 1, "same": 4, "down": 2}


def test_svg_is_well_formed_and_holds_the_counts(
    engine: Engine, catalogue: Catalogue, settings: Settings, city: City
) -> None:
    old = default_schemes()["city_grade"]
    new = harsher(old, catalogue, version='v2 <draft> & "co"')
    r = run(engine, catalogue, settings, new, old)
    svg = migration_svg(r)
    root = ET.fromstring(svg)  # well-formed, the odd version escaped
    assert root.tag == f"{SVG}svg"
    assert int(root.attrib["width"]) > 0
    assert int(root.attrib["height"]) > 0
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text is not None
    assert "city_grade" in title.text
    assert 'v2 <draft> & "co"' in title.text
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for grade in ("AAA", "AA", "A", "B", "C", "D"):
        assert texts.count(grade) >= 2  # a row and a column label
    cells = {t.text for t in root.iter(f"{SVG}title") if t.text and "→" in t.text and ":" in t.text}
    assert "A → B: 2 (down)" in cells
    assert "AA → AAA: 1 (up)" in cells
    assert "A → A: 2 (same)" in cells
    assert "B → B: 0 (same)" in cells
    assert texts.count("2") >= 3  # the A -> A and A -> B cells, the "down" bar
    assert "4" in texts  # the "same" bar
    outlined = [rect for rect in root.iter(f"{SVG}rect") if rect.attrib.get("stroke-width") == "2"]
    assert len(outlined) == 6  # the diagonal


def test_the_same_scheme_changes_nothing(
    engine: Engine, catalogue: Catalogue, settings: Settings, city: City
) -> None:
    old = default_schemes()["city_grade"]
    r = run(engine, catalogue, settings, old, old)
    assert r.subjects == 7
    assert r.changed == 0
    assert r.movers == ()
    assert dict(r.moves) == {"up": 0, "same": 7, "down": 0}
    assert all(n == 0 for o, row in r.matrix.items() for g, n in row.items() if g != o)


def test_another_scheme_and_engines(
    engine: Engine, catalogue: Catalogue, settings: Settings, city: City
) -> None:
    shipped = default_schemes()
    env, city_grade = shipped["environment_credit"], shipped["city_grade"]
    r = run(engine, catalogue, settings, env, city_grade)  # persons are not compared
    assert (r.subjects, r.only_old, r.only_new) == (5, 2, 0)
    assert list(r.matrix) == list(r.old.grades)
    assert list(r.matrix["AA"]) == list(r.new.grades)
    assert sum(n for row in r.matrix.values() for n in row.values()) == 5
    new = harsher(city_grade, catalogue)
    if engine.dialect.name == "postgresql":
        in_db = run(engine, catalogue, settings, new, city_grade, engine="postgres")
        assert replace(in_db, engine="duckdb") == run(engine, catalogue, settings, new, city_grade)
    else:
        with pytest.raises(BadRequest) as err:
            run(engine, catalogue, settings, new, city_grade, engine="postgres")
        assert err.value.code == "engine_unavailable"
    with pytest.raises(BadRequest) as err:
        run(engine, catalogue, settings, new, city_grade, engine="excel")
    assert err.value.code == "unknown_engine"


def test_moves_between_grade_lists() -> None:
    six = ["AAA", "AA", "A", "B", "C", "D"]
    assert move_of(six, six, "A", "B") == "down"
    assert move_of(six, six, "B", "AAA") == "up"
    assert move_of(six, six, "C", "C") == "same"
    # a grade added to the new scheme: the same code is still "same"
    seven = ["AAA", "AA", "A", "B", "C", "D", "E"]
    assert move_of(six, seven, "D", "D") == "same"
    assert move_of(six, seven, "D", "E") == "down"
    # no shared codes: relative positions (best 0, worst 1)
    colours = ["green", "blue", "yellow", "red", "black"]
    assert move_of(six, colours, "AAA", "green") == "same"
    assert move_of(six, colours, "D", "black") == "same"
    assert move_of(six, colours, "AA", "blue") == "down"  # 1/5 -> 1/4
    assert move_of(six, colours, "B", "yellow") == "up"  # 3/5 -> 2/4
    assert move_of(["x"], ["y"], "x", "y") == "same"


def test_api_function(engine: Engine, catalogue: Catalogue, settings: Settings, city: City) -> None:
    old = default_schemes()["city_grade"]
    text = yaml.safe_dump(
        harsher(old, catalogue).model_dump(mode="json", by_alias=True, exclude_none=True),
        allow_unicode=True,
    )
    today = today_in(settings)

    def call(body: str, against: str | None = None) -> dict[str, Any]:
        with engine.connect() as conn:
            return impact_for_api(
                conn, catalogue, body, against, today, today, utcnow(), settings.timezone
            )

    data = call(text)
    assert data["subjects"] == 7
    assert data["moves"]["down"] == 2
    assert ET.fromstring(data["svg"]).tag == f"{SVG}svg"
    json.dumps(data)
    assert call(text, "city_grade")["changed"] == 3

    with pytest.raises(CatalogueError) as bad:
        call("code: [unclosed\n  - x: {")
    assert bad.value.code == "scheme_not_yaml"
    with pytest.raises(CatalogueError) as bad:
        call(text.replace("record_type: admin_penalty", "record_type: horoscope", 1))
    assert bad.value.code == "invalid_scheme"
    assert "horoscope" in bad.value.message
    with pytest.raises(CatalogueError) as bad:
        call("a: &x [1, 2]\nb: *x\n")
    assert bad.value.code == "invalid_scheme"
    with pytest.raises(CatalogueError) as bad:
        call("- just\n- a list\n")
    assert bad.value.code == "invalid_scheme"
    with pytest.raises(NotFound) as missing:
        call(text, "no_such_scheme")
    assert missing.value.code == "unknown_scheme"
    renamed = text.replace("code: city_grade", "code: city_grade_draft", 1)
    with pytest.raises(NotFound) as missing:
        call(renamed)
    assert missing.value.code == "unknown_scheme"
    assert call(renamed, "city_grade")["new"]["code"] == "city_grade_draft"
