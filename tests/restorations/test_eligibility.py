"""Who may apply for which record, and when: each refusal has its own code, says from when
where a later day helps, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import judgment, penalty, uscc
from tests.restorations.conftest import OnDay
from tests.restorations.support import (
    THURSDAY,
    application,
    bearer,
    general_penalty,
    honour,
    nothing_filed,
    submit,
)

NAME = "厦门星海贸易有限公司"


def _refused(client: TestClient, key: str, record_id: str) -> tuple[int, dict[str, object]]:
    r = client.post("/api/v1/restorations", json=application(record_id), headers=bearer(key))
    body: dict[str, object] = r.json()
    return r.status_code, body


def test_the_minimum_period_says_from_when(
    on_day: OnDay, engine: Engine, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    client = on_day(THURSDAY)
    code = uscc(7101)
    # serious: shown at least 12 months; decided 2025-06-30, so from 2026-06-30
    serious = submit(
        client,
        make_key("market_regulation"),
        penalty("S1", code, NAME, severity="serious", decided_on="2025-06-30"),
    )
    # general: at least 3 months; decided 2025-11-30, so from 2026-02-28 (clamped: no 30th)
    general = submit(
        client,
        make_key("market_regulation"),
        general_penalty("G1", code, NAME, decided_on="2025-11-30"),
    )
    key = subject_key(code)
    for record_id, eligible_from in ((serious, "2026-06-30"), (general, "2026-02-28")):
        status, body = _refused(client, key, record_id)
        assert status == 409
        assert body["code"] == "minimum_period_not_reached"
        assert body["eligible_from"] == eligible_from
        assert f"from {eligible_from}" in str(body["message"])
    nothing_filed(engine)
    # on that day it is possible
    later = on_day(THURSDAY.replace(day=28))
    assert (
        later.post(
            "/api/v1/restorations", json=application(general), headers=bearer(key)
        ).status_code
        == 201
    )


def test_records_that_cannot_be_restored(
    on_day: OnDay, engine: Engine, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    client = on_day(THURSDAY)
    market = make_key("market_regulation")
    code = uscc(7102)
    revoked = submit(
        client,
        market,
        general_penalty("R1", code, NAME, penalty_category="licence_revocation"),
    )
    banned = submit(
        client,
        market,
        penalty(
            "B1",
            code,
            NAME,
            severity="serious",
            decided_on="2024-06-01",
            penalty_category="occupational_ban",
            valid_until="2027-06-01",
        ),
    )
    defaulter = submit(
        client,
        make_key("court"),
        judgment("J1", code, NAME, decided_on="2025-06-01", filing_date="2025-05-01"),
    )
    positive = submit(client, market, honour("H1", code, NAME))
    key = subject_key(code)

    for record_id in (revoked, banned):
        status, body = _refused(client, key, record_id)
        assert (status, body["code"]) == (409, "cannot_end_early")
        assert body["reason"] == {
            "zh": "吊销许可证件、责令关闭、限制从业的处罚不得提前修复",
            "en": "Licence revocation, closure and occupational bans cannot end early",
        }
        assert "shown until" in str(body["message"])
    status, body = _refused(client, key, defaulter)
    assert (status, body["code"]) == (409, "not_restorable")
    assert body["provider"] == "court"
    status, body = _refused(client, key, positive)
    assert (status, body["code"]) == (409, "not_negative")
    nothing_filed(engine)


def test_records_no_longer_shown(
    on_day: OnDay, engine: Engine, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    client = on_day(THURSDAY)
    market = make_key("market_regulation")
    code = uscc(7103)
    ended = submit(client, market, general_penalty("E1", code, NAME))
    r = client.post(
        f"/api/v1/records/{ended}/end",
        json={"reason": "obligation_fulfilled"},
        headers=bearer(market),
    )
    assert r.status_code == 200, r.text
    # a minor penalty whose publicity ended on 2026-01-31
    over = submit(
        client,
        market,
        {
            **penalty("M1", code, NAME, severity="minor", decided_on="2025-11-01"),
            "publicity_until": "2026-01-31",
        },
    )
    key = subject_key(code)
    status, body = _refused(client, key, ended)
    assert (status, body["code"]) == (409, "not_in_publicity")
    assert body["ended_on"] == "2026-02-11"
    status, body = _refused(client, key, over)
    assert (status, body["code"]) == (409, "not_in_publicity")
    assert body["publicity_until"] == "2026-01-31"
    nothing_filed(engine)


def test_only_the_subjects_own_records(
    on_day: OnDay, engine: Engine, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    client = on_day(THURSDAY)
    market = make_key("market_regulation")
    mine, theirs = uscc(7104), uscc(7105)
    submit(client, market, general_penalty("O1", mine, NAME))
    other = submit(client, market, general_penalty("O2", theirs, "厦门别家贸易有限公司"))
    for record_id in (other, "r00000000000000000000", "x" * 64):
        status, body = _refused(client, subject_key(mine), record_id)
        assert (status, body["code"]) == (404, "unknown_record")
        assert theirs not in str(body)
    # a subject the store does not know at all
    status, body = _refused(client, subject_key(uscc(7106)), other)
    assert (status, body["code"]) == (404, "unknown_record")
    # only a subject applies: not a provider, not a consumer
    r = client.post("/api/v1/restorations", json=application(other), headers=bearer(market))
    assert (r.status_code, r.json()["code"]) == (403, "not_a_subject")
    assert client.post("/api/v1/restorations", json=application(other)).status_code == 401
    nothing_filed(engine)
