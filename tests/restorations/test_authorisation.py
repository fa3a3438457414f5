"""Who sees and who decides an application: its subject, the deciding provider and
administrators see it; only the provider and administrators decide; to anyone else it does
not exist."""

from __future__ import annotations

from collections.abc import Callable

from tests.factories import uscc
from tests.restorations.conftest import OnDay
from tests.restorations.support import (
    THURSDAY,
    application,
    bearer,
    general_penalty,
    submit,
)
from xinyong.auth.keys import Role


def test_parties_see_it_others_do_not(
    on_day: OnDay,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    client = on_day(THURSDAY)
    market, tax = make_key("market_regulation"), make_key("tax")
    code, other_code = uscc(7301), uscc(7302)
    mine = submit(client, market, general_penalty("A1", code, "厦门甲方贸易有限公司"))
    # the tax authority's own record of another subject
    theirs = submit(client, tax, general_penalty("T1", other_code, "厦门乙方贸易有限公司"))
    subject, other = subject_key(code), subject_key(other_code)
    rid = client.post(
        "/api/v1/restorations", json=application(mine), headers=bearer(subject)
    ).json()["id"]
    other_rid = client.post(
        "/api/v1/restorations", json=application(theirs), headers=bearer(other)
    ).json()["id"]
    admin = make_key(role=Role.admin)
    consumer = consumer_key("civil_aviation", "restrict_flights_rail")
    auditor = make_key(role=Role.auditor)

    paths = (f"/api/v1/restorations/{rid}", f"/api/v1/restorations/{rid}/evidence/1")
    for key in (subject, market, admin):
        for path in paths:
            assert client.get(path, headers=bearer(key)).status_code == 200, path
    for key in (other, tax, consumer, auditor):
        for path in paths:
            r = client.get(path, headers=bearer(key))
            assert (r.status_code, r.json()["code"]) == (404, "restoration_not_found"), path
            assert code not in r.text
    for path in paths:
        assert client.get(path).status_code == 401
    unknown = client.get("/api/v1/restorations/rst_nope", headers=bearer(admin))
    assert unknown.json()["code"] == "restoration_not_found"

    # lists: own, to decide, all
    def ids(key: str) -> list[str]:
        r = client.get("/api/v1/restorations", headers=bearer(key))
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids(subject) == [rid]
    assert ids(other) == [other_rid]
    assert ids(market) == [rid]
    assert ids(tax) == [other_rid]
    assert ids(admin) == [rid, other_rid]
    assert ids(subject_key(uscc(7303))) == []  # a subject the store does not know
    for key in (consumer, auditor):
        r = client.get("/api/v1/restorations", headers=bearer(key))
        assert (r.status_code, r.json()["code"]) == (403, "not_a_party")
    bad = client.get("/api/v1/restorations", params={"status": "lost"}, headers=bearer(admin))
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_status")
    first = client.get("/api/v1/restorations", params={"limit": 1}, headers=bearer(admin)).json()
    assert [i["id"] for i in first["items"]] == [rid]
    rest = client.get(
        "/api/v1/restorations", params={"limit": 1, "after": first["next"]}, headers=bearer(admin)
    ).json()
    assert [i["id"] for i in rest["items"]] == [other_rid]
    decided = client.get(
        "/api/v1/restorations", params={"status": "approved"}, headers=bearer(admin)
    ).json()
    assert decided["items"] == []

    # deciding: not another subject, provider or consumer (it does not exist for them), not
    # the subject itself (it is not the decider)
    approve = {"decision": "approved"}
    path = f"/api/v1/restorations/{rid}/decision"
    for key in (other, tax, consumer, auditor):
        r = client.post(path, json=approve, headers=bearer(key))
        assert (r.status_code, r.json()["code"]) == (404, "restoration_not_found")
    r = client.post(path, json=approve, headers=bearer(subject))
    assert (r.status_code, r.json()["code"]) == (403, "not_the_decider")
    assert client.post(path, json=approve).status_code == 401
    assert (
        client.get(f"/api/v1/restorations/{rid}", headers=bearer(admin)).json()["status"]
        == "pending"
    )
    # the decider does
    assert client.post(path, json=approve, headers=bearer(market)).status_code == 200
