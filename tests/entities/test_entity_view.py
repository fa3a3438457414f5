"""GET /api/v1/entities/{code}: a subject's public page, under the disclosure rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.entities import day, judgment, penalty, ric, submit, uscc
from xinyong.db.tables import entities
from xinyong.identifiers import mask_ric


def months_after(iso: str, months: int) -> str:
    """The date ``months`` later, on the same day or the month's last (as the store does)."""
    d = dt.date.fromisoformat(iso)
    year, month = divmod(d.month - 1 + months, 12)
    first_next = dt.date(d.year + year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (first_next - dt.timedelta(days=1)).day
    return dt.date(d.year + year, month + 1, min(d.day, last_day)).isoformat()


def _page(client: TestClient, code: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/entities/{code}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _not_found(client: TestClient, code: str) -> None:
    r = client.get(f"/api/v1/entities/{code}")
    assert r.status_code == 404, r.text
    assert r.json() == {"code": "entity_not_found", "message": "no public entity has this code"}


def _public_id(engine: Engine, code: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(entities.c.public_id).where(entities.c.code == code)).scalar_one()
        )


def test_organisation_page(client: TestClient, make_key: Callable[..., str]) -> None:
    court, market = make_key("court"), make_key("market_regulation")
    code = uscc(1)
    sent_j = judgment("J1", code, "厦门旧名贸易有限公司", decided_on=day(-100))
    sent_p = penalty("P1", code, "厦门新名贸易有限公司", decided_on=day(-3))
    (j,) = submit(client, court, sent_j)
    (p,) = submit(client, market, sent_p)
    # a penalty decided long ago: its publicity (12 months for 'general') has ended
    (old,) = submit(
        client, market, penalty("P0", code, "厦门旧名贸易有限公司", decided_on=day(-800))
    )
    page = _page(client, code)
    assert page == {
        "code": code,
        "display_code": code,
        "kind": "organisation",
        "name": "厦门新名贸易有限公司",
        "names": ["厦门旧名贸易有限公司", "厦门新名贸易有限公司"],
        "division": code[2:8],
        "as_of": day(0),
        "records": [
            {
                "id": p["id"],
                "record_type": "admin_penalty",
                "record_type_name": {"zh": "行政处罚信息", "en": "Administrative penalty"},
                "severity": "general",
                "decided_on": day(-3),
                "publicity_until": months_after(day(-3), 12),  # 'general': 12 months
                "legal_basis": sent_p["legal_basis"],
                "document_number": sent_p["document_number"],
                "provider": "market_regulation",
                "fields": sent_p["fields"],
                "version": 1,
                "under_objection": [],
                "restoration_pending": None,
                "statements": [],
            },
            {
                "id": j["id"],
                "record_type": "judgment_default",
                "record_type_name": {"zh": "失信被执行人信息", "en": "Judgment defaulter"},
                "severity": None,
                "decided_on": day(-100),
                "publicity_until": months_after(day(-100), 24),
                "legal_basis": sent_j["legal_basis"],
                "document_number": sent_j["document_number"],
                "provider": "court",
                "fields": sent_j["fields"],
                "version": 1,
                "under_objection": [],
                "restoration_pending": None,
                "statements": [],
            },
        ],
    }
    assert old["id"] not in {r["id"] for r in page["records"]}
    # the code is found in any case
    assert _page(client, code.lower())["code"] == code


def test_expired_records_are_never_shown(client: TestClient, make_key: Callable[..., str]) -> None:
    court = make_key("court")
    code = uscc(2)
    submit(
        client,
        court,
        # decided two years and more ago: the 24-month listing has ended
        judgment("E1", code, "厦门过期物流有限公司", decided_on=day(-740)),
        # publicity ended early by the court (restoration), in the past
        {
            **judgment("E2", code, "厦门过期物流有限公司", decided_on=day(-40)),
            "publicity_until": day(-1),
        },
    )
    page = _page(client, code)
    assert page["records"] == []
    assert page["name"] == "厦门过期物流有限公司"
    # publicity that ends today is still shown today
    (today,) = submit(
        client,
        court,
        {
            **judgment("E3", code, "厦门过期物流有限公司", decided_on=day(-40)),
            "publicity_until": day(0),
        },
    )
    assert [r["id"] for r in _page(client, code)["records"]] == [today["id"]]


def test_person_page_by_public_id_only(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court, market = make_key("court"), make_key("market_regulation")
    number = ric(1)
    (j,) = submit(
        client,
        court,
        judgment(
            "PJ1",
            number,
            "林美玲",
            kind="person",
            obligation=f"被执行人林美玲（身份证号{number}）支付欠款",
        ),
    )
    # not public for natural persons: never on the page
    submit(client, market, penalty("PP1", number, "林美玲", kind="person"))
    public_id = _public_id(engine, number)
    page = _page(client, public_id)
    assert page["code"] == public_id
    assert page["display_code"] == mask_ric(number) == number[:4] + "*" * 10 + number[-4:]
    assert page["kind"] == "person"
    assert page["name"] == "林美玲"
    assert page["names"] == ["林美玲"]
    assert page["division"] is None
    assert [r["id"] for r in page["records"]] == [j["id"]]
    assert page["records"][0]["fields"]["obligation"] == (
        f"被执行人林美玲（身份证号{mask_ric(number)}）支付欠款"
    )
    # the identity number appears nowhere in the answer
    text = client.get(f"/api/v1/entities/{public_id}").text
    assert number not in text
    assert number[6:14] not in text  # not even the birth date
    # the identity number as the path: 404, exactly as for a code that does not exist
    _not_found(client, number)
    _not_found(client, number.lower())
    _not_found(client, "s" + "a" * 15)
    _not_found(client, uscc(999))


def test_person_without_a_public_record_is_404(
    client: TestClient, make_key: Callable[..., str], engine: Engine
) -> None:
    court, market = make_key("court"), make_key("market_regulation")
    penalised, expired = ric(2), ric(3)
    submit(client, market, penalty("PP2", penalised, "黄国华", kind="person"))
    submit(client, court, judgment("PJ3", expired, "黄国强", kind="person", decided_on=day(-760)))
    _not_found(client, _public_id(engine, penalised))
    _not_found(client, _public_id(engine, expired))
    _not_found(client, penalised)


def test_only_the_current_version_is_shown(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    court = make_key("court")
    code = uscc(4)
    record = judgment("V1", code, "厦门更正建设工程有限公司")
    (first,) = submit(client, court, record)
    record["fields"]["performance_status"] = "partly_performed"
    (second,) = submit(client, court, record)
    assert (first["id"], first["version"]) == (second["id"], 1)
    assert second == {"id": first["id"], "version": 2, "status": "corrected"}
    records = _page(client, code)["records"]
    assert len(records) == 1
    assert records[0]["version"] == 2
    assert records[0]["fields"]["performance_status"] == "partly_performed"


def test_unknown_codes_are_404(client: TestClient) -> None:
    _not_found(client, uscc(5))
    _not_found(client, "nonsense")
    _not_found(client, "%25")
