"""Authorities reading a subject's objection, restoration application, evidence or a
record's history: each read is in the subject's access log; the subject's own are not."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.access.test_access_log import log_of
from tests.factories import days_ago, penalty, uscc
from tests.me.records import bearer, submit
from tests.restorations.support import application
from xinyong.auth.keys import Role

NAME = "厦门案卷阅读有限公司"


def test_reads_of_cases_and_histories_are_logged_for_the_subject(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    org = uscc(4242)
    market = make_key("market_regulation")
    fine = penalty("CASE1", org, NAME, severity="general", decided_on=days_ago(120))
    record_id = submit(client, market, fine)
    me = subject_key(org)

    applied = client.post("/api/v1/restorations", json=application(record_id), headers=bearer(me))
    assert applied.status_code == 201, applied.text
    rid = applied.json()["id"]
    objected = client.post(
        "/api/v1/objections",
        json={"target": record_id, "grounds": "error_or_omission", "statement": "paid"},
        headers=bearer(me),
    )
    assert objected.status_code == 201, objected.text
    oid = objected.json()["id"]

    # the subject's own reads are not logged
    assert client.get(f"/api/v1/restorations/{rid}", headers=bearer(me)).status_code == 200
    assert log_of(client, me)["entries"] == []

    # the deciding provider reads the application, its evidence and the objection
    for url in (f"/api/v1/restorations/{rid}", f"/api/v1/restorations/{rid}/evidence/1"):
        assert client.get(url, headers=bearer(market)).status_code == 200
    assert client.get(f"/api/v1/objections/{oid}", headers=bearer(market)).status_code == 200
    # an administrator reads the record's history, saying why; its provider's own read of
    # its submission is not logged
    admin = bearer(make_key(role=Role.admin))
    r = client.get(
        f"/api/v1/records/{record_id}", params={"purpose": "complaint review"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/records/{record_id}", headers=bearer(market)).status_code == 200

    seen = sorted((e["reader"], e["what"], e["purpose"]) for e in log_of(client, me)["entries"])
    assert seen == sorted(
        [
            ("market_regulation", f"restoration:{rid}", f"deciding restoration {rid}"),
            ("market_regulation", f"restoration:{rid}:1", f"deciding restoration {rid}:1"),
            ("market_regulation", f"objection:{oid}", f"deciding objection {oid}"),
            ("admin", "record history", "complaint review"),
        ]
    )
