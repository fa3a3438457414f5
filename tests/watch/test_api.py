"""The watch-list and webhook API: registering, reading, removing; keys, scopes and bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.factories import ORG, PERSON, judgment, ric, uscc
from tests.watch.support import MEASURE, SECRET, auth, hook, known_subject, list_it, watch
from xinyong.api.app import create_app
from xinyong.auth.keys import Role
from xinyong.catalogue.model import Catalogue
from xinyong.db.tables import watches, webhooks
from xinyong.settings import Settings

Headers = dict[str, str]


def test_registering_answers_each_subjects_decision_and_the_unknown(
    wclient: TestClient, engine: Engine, court: Headers, market: Headers, aviation: Headers
) -> None:
    listed, clean, nobody = ORG, uscc(1), uscc(2)
    known_subject(wclient, market, clean, "P1")
    list_it(wclient, court, listed, "J1")
    out = watch(wclient, aviation, f" {listed} ", clean.lower(), nobody, clean)
    assert out["measure"] == MEASURE
    assert (out["added"], out["already_watched"]) == (2, 0)
    assert out["unknown"] == [nobody]
    assert out["data_version"] >= 1
    first, second = out["items"]
    assert (first["subject"], first["decision"]) == (listed, "applies")
    assert first["basis"][0]["list"] == "judgment_defaulters"
    assert (second["subject"], second["decision"], second["basis"]) == (
        clean,
        "does_not_apply",
        [],
    )

    again = watch(wclient, aviation, listed, clean)  # idempotent
    assert (again["added"], again["already_watched"]) == (0, 2)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(watches.c.entity_id, watches.c.last_decision)).all())
    assert sorted(stored.values()) == ["applies", "does_not_apply"]


def test_a_kind_the_measure_does_not_cover_is_watched_and_said(
    wclient: TestClient, court: Headers, consumer_key: Callable[..., str]
) -> None:
    org, person = uscc(3), PERSON
    list_it(wclient, court, org, "J1")
    r = wclient.post(
        "/api/v1/records", json=judgment("J2", person, "张三", kind="person"), headers=court
    )
    assert r.status_code == 201, r.text
    inspector = auth(consumer_key("inspection", "increase_inspections", MEASURE))
    # increase_inspections covers organisations (graded D: closer supervision), not
    # natural persons.
    out = watch(wclient, inspector, org, person, measure="increase_inspections")
    assert out["unknown"] == []
    assert [(i["subject"], i["decision"], i["problem"]) for i in out["items"]] == [
        (org, "applies", None),
        (person, "does_not_apply", "kind_not_covered"),
    ]
    # A person on a list founded on a court's decision: restricted from flights.
    (item,) = watch(wclient, inspector, person)["items"]
    assert (item["decision"], item["problem"]) == ("applies", None)


def test_watches_are_paged_and_private_to_their_consumer(
    wclient: TestClient, market: Headers, aviation: Headers, consumer_key: Callable[..., str]
) -> None:
    codes = [uscc(10 + i) for i in range(5)]
    for i, code in enumerate(codes):
        known_subject(wclient, market, code, f"P{i}")
    watch(wclient, aviation, *codes)
    railway = auth(consumer_key("railway", MEASURE, "restrict_procurement"))
    watch(wclient, railway, codes[0])

    seen: list[str] = []
    after = 0
    while True:
        r = wclient.get("/api/v1/watches", params={"limit": 2, "after": after}, headers=aviation)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [w["subject"] for w in page["items"]]
        assert all(w["last_decision"] == "does_not_apply" for w in page["items"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == codes

    theirs = wclient.get("/api/v1/watches", headers=railway).json()["items"]
    assert [w["subject"] for w in theirs] == [codes[0]]
    only = wclient.get(
        "/api/v1/watches", params={"measure": "restrict_procurement"}, headers=railway
    )
    assert only.json()["items"] == []

    # Removing is the consumer's own business too.
    r = wclient.request(
        "DELETE",
        "/api/v1/watches",
        json={"measure": MEASURE, "subjects": [codes[0], codes[1], uscc(99)]},
        headers=railway,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"measure": MEASURE, "removed": 1, "not_watched": 1, "unknown": [uscc(99)]}
    assert wclient.get("/api/v1/watches", headers=railway).json()["items"] == []
    assert len(wclient.get("/api/v1/watches", headers=aviation).json()["items"]) == 5


def test_measures_outside_the_keys_scopes_are_refused(
    wclient: TestClient, market: Headers, aviation: Headers
) -> None:
    known_subject(wclient, market, ORG, "P1")
    body = {"measure": "restrict_procurement", "subjects": [ORG]}
    for r in (
        wclient.post("/api/v1/watches", json=body, headers=aviation),
        wclient.request("DELETE", "/api/v1/watches", json=body, headers=aviation),
        wclient.get("/api/v1/watches", params={"measure": "green_channel"}, headers=aviation),
    ):
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "measure_not_in_scope"


def test_a_measure_that_is_not_declared_is_not_found(
    wclient: TestClient, consumer_key: Callable[..., str]
) -> None:
    odd = auth(consumer_key("odd", "no_such_measure"))
    r = wclient.post(
        "/api/v1/watches", json={"measure": "no_such_measure", "subjects": [ORG]}, headers=odd
    )
    assert (r.status_code, r.json()["code"]) == (404, "unknown_measure")


def test_only_consumer_keys(
    wclient: TestClient, court: Headers, make_key: Callable[..., str]
) -> None:
    body = {"measure": MEASURE, "subjects": [ORG]}
    admin = auth(make_key(role=Role.admin))
    for headers in (court, admin):
        for r in (
            wclient.post("/api/v1/watches", json=body, headers=headers),
            wclient.get("/api/v1/watches", headers=headers),
            wclient.get("/api/v1/webhook", headers=headers),
            wclient.put(
                "/api/v1/webhook", json={"url": "http://x.test/", "secret": SECRET}, headers=headers
            ),
            wclient.get("/api/v1/webhook/deliveries", headers=headers),
        ):
            assert (r.status_code, r.json()["code"]) == (403, "not_a_consumer"), r.text
    r = wclient.get("/api/v1/watches")
    assert (r.status_code, r.json()["code"]) == (401, "missing_api_key")


BAD_BODIES: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/watches", {"subjects": [ORG]}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": []}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": ORG}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": [""]}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": ["91\x00"]}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": [ORG], "more": 1}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": ["x" * 65]}),
    ("POST", "/api/v1/watches", {"measure": MEASURE, "subjects": [ORG] * 100_001}),
    ("POST", "/api/v1/watches", [ORG]),
    ("DELETE", "/api/v1/watches", {"measure": MEASURE}),
    ("PUT", "/api/v1/webhook", {"url": "http://x.test/hook", "secret": "too-short"}),
    ("PUT", "/api/v1/webhook", {"url": "ftp://x.test/hook", "secret": SECRET}),
    ("PUT", "/api/v1/webhook", {"url": "http:///no-host", "secret": SECRET}),
    ("PUT", "/api/v1/webhook", {"url": "http://x.test:99999/", "secret": SECRET}),
    ("PUT", "/api/v1/webhook", {"url": "http://x.test/a b", "secret": SECRET}),
    ("PUT", "/api/v1/webhook", {"url": "http://[::1/", "secret": SECRET}),
    ("PUT", "/api/v1/webhook", {"url": "http://x.test/", "secret": SECRET + "\x00"}),
    ("PUT", "/api/v1/webhook", {"url": "http://x.test/", "secret": "s" * 129}),
    ("PUT", "/api/v1/webhook", {"url": "http://x.test/"}),
]
BAD_PARAMETERS: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/watches", {"limit": 0}),
    ("/api/v1/watches", {"limit": 1001}),
    ("/api/v1/watches", {"after": -1}),
    ("/api/v1/watches", {"after": 2**40}),
    ("/api/v1/webhook/deliveries", {"status": "lost"}),
    ("/api/v1/webhook/deliveries", {"limit": "many"}),
]


def test_bad_bodies_and_parameters_are_422_invalid_request(
    wclient: TestClient, aviation: Headers
) -> None:
    for method, path, body in BAD_BODIES:
        r = wclient.request(method, path, json=body, headers=aviation)
        assert r.status_code == 422, (method, path, body, r.text)
        assert r.json()["code"] == "invalid_request", r.text
        assert r.json()["message"]
    for path, params in BAD_PARAMETERS:
        r = wclient.get(path, params=params, headers=aviation)
        assert (r.status_code, r.json()["code"]) == (422, "invalid_request"), (params, r.text)


def test_too_many_subjects_for_the_settings(
    db_url: str, engine: Engine, catalogue: Catalogue, aviation: Headers
) -> None:
    settings = Settings(database_url=db_url, webhook_dispatch=False, max_check_subjects=2)
    with TestClient(create_app(settings, engine=engine, catalogue=catalogue)) as client:
        r = client.post(
            "/api/v1/watches",
            json={"measure": MEASURE, "subjects": [uscc(1), uscc(2), uscc(3)]},
            headers=aviation,
        )
    assert (r.status_code, r.json()["code"]) == (422, "too_many_subjects")


def test_many_subjects_in_one_call(wclient: TestClient, engine: Engine, aviation: Headers) -> None:
    codes = [ric(i) for i in range(3000)]
    out = watch(wclient, aviation, *codes)
    assert len(out["unknown"]) == 3000  # nobody is in the store: nothing watched
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(watches)).scalar_one() == 0


def test_the_webhook_is_kept_without_ever_showing_its_secret(
    wclient: TestClient, engine: Engine, aviation: Headers, consumer_key: Callable[..., str]
) -> None:
    r = wclient.get("/api/v1/webhook", headers=aviation)
    assert (r.status_code, r.json()["code"]) == (404, "webhook_not_found")
    hook(wclient, aviation, "https://aviation.example/hooks")
    r = wclient.put(
        "/api/v1/webhook",
        json={"url": "http://127.0.0.1:9/x", "secret": "another-secret-long"},
        headers=aviation,
    )
    assert r.status_code == 200
    body = r.json()
    assert body["url"] == "http://127.0.0.1:9/x"
    assert body["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}
    shown = wclient.get("/api/v1/webhook", headers=aviation)
    assert shown.status_code == 200
    assert "secret" not in shown.text
    assert "another-secret-long" not in shown.text
    with engine.connect() as conn:
        assert conn.execute(select(webhooks.c.secret)).scalar_one() == "another-secret-long"

    other = auth(consumer_key("railway", MEASURE))
    assert wclient.get("/api/v1/webhook", headers=other).status_code == 404
    assert wclient.delete("/api/v1/webhook", headers=other).status_code == 404
    assert wclient.delete("/api/v1/webhook", headers=aviation).status_code == 204
    assert wclient.get("/api/v1/webhook", headers=aviation).status_code == 404


def test_the_delivery_log_is_private_to_its_consumer(
    wclient: TestClient,
    court: Headers,
    market: Headers,
    aviation: Headers,
    consumer_key: Callable[..., str],
) -> None:
    railway = auth(consumer_key("railway", MEASURE))
    known_subject(wclient, market, ORG, "P1")
    hook(wclient, aviation, "http://127.0.0.1:9/a")
    hook(wclient, railway, "http://127.0.0.1:9/b")
    watch(wclient, aviation, ORG)
    list_it(wclient, court, ORG, "J1")  # only aviation watches ORG
    mine = wclient.get("/api/v1/webhook/deliveries", headers=aviation).json()
    assert [d["status"] for d in mine["items"]] == ["pending"]
    assert mine["items"][0]["event"]["consumer"] == "civil_aviation"
    assert wclient.get("/api/v1/webhook/deliveries", headers=railway).json()["items"] == []
    assert wclient.get("/api/v1/webhook", headers=aviation).json()["deliveries"]["pending"] == 1
