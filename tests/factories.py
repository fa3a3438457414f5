"""Small real data for tests: valid codes and records in the import formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

from sqlalchemy import Engine, Table, func, select

from xinyong.catalogue.model import ENVELOPE_COLUMNS
from xinyong.identifiers import make_ric, make_uscc
from xinyong.ingest.importer import today_in
from xinyong.settings import Settings

RNG = random.Random(20261122)
ORG = "91350200776049653A"  # a real code from the domain facts
PERSON = "34052419800101001X"


def uscc(seed: int, division: str = "350203", prefix: str = "91") -> str:
    return make_uscc(random.Random(seed), division, prefix)


def ric(seed: int, division: str = "350203") -> str:
    rng = random.Random(seed)
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))
    return make_ric(rng, division, born, female=bool(seed % 2))


def days_ago(n: int) -> str:
    """``n`` days before the platform's today (in its time zone, Asia/Shanghai: from 16:00
    UTC on, a day ahead of the machine's date)."""
    return (today_in(Settings()) - dt.timedelta(days=n)).isoformat()


def judgment(
    prid: str,
    code: str = ORG,
    name: str = "厦门鑫达贸易有限公司",
    *,
    kind: str = "organisation",
    decided_on: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A judgment-default record in the API's JSON shape."""
    return {
        "record_type": "judgment_default",
        "provider_record_id": prid,
        "subject": {"kind": kind, "code": code, "name": name},
        "decided_on": decided_on or days_ago(30),
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        "document_number": f"（2026）闽02执{prid}号",
        "fields": {
            "case_number": f"（2026）闽02执{prid}号",
            "court": "厦门市中级人民法院",
            "filing_date": days_ago(60),
            "enforcement_basis": "民事判决书",
            "obligation": "支付货款",
            "performance_status": "unperformed",
            "conduct": "able_but_refusing",
            **fields,
        },
    }


def penalty(
    prid: str,
    code: str = ORG,
    name: str = "厦门鑫达贸易有限公司",
    *,
    kind: str = "organisation",
    severity: str = "general",
    decided_on: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An administrative-penalty record in the API's JSON shape."""
    return {
        "record_type": "admin_penalty",
        "provider_record_id": prid,
        "subject": {"kind": kind, "code": code, "name": name},
        "decided_on": decided_on or days_ago(10),
        "severity": severity,
        "legal_basis": "《中华人民共和国行政处罚法》第二十八条",
        "document_number": f"厦市监罚〔2026〕{prid}号",
        "fields": {
            "violation_type": "虚假宣传",
            "facts": "发布虚假广告",
            "penalty_category": "fine",
            "penalty_content": "罚款",
            "fine_amount": 1.5,
            "valid_until": days_ago(-30),
            "authority_name": "厦门市市场监督管理局",
            "authority_uscc": "11350200LFFAT04NMF",
            "source_unit": "厦门市市场监督管理局",
            "source_unit_uscc": "11350200LFFAT04NMF",
            **fields,
        },
    }


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record in the flat column shape of CSV and XLSX files."""
    out = {k: v for k, v in record.items() if k not in ("subject", "fields")}
    for key in ("kind", "code", "name"):
        out[f"subject_{key}"] = record["subject"][key]
    out.update(record["fields"])
    return out


def csv_bytes(records: list[dict[str, Any]], extra_rows: tuple[dict[str, Any], ...] = ()) -> bytes:
    rows = [flat(r) for r in records] + list(extra_rows)
    columns = list(ENVELOPE_COLUMNS)
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue().encode()


def count_rows(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
