"""The authorisation matrix: every endpoint, called by every role.

Roles: the public (no key), a subject (a person with public and non-public records), another
subject (a company), the provider authority that recorded the person's penalty, another
provider, a consuming authority, a platform administrator and an auditor.

For each endpoint :data:`MATRIX` says which roles may use it. A role that may gets past
authorisation (and a read answers 200); any other role is refused (401, 403, or 404 where
saying more would reveal that the item exists). A new endpoint fails this test until it is
added to the matrix. Every answer to the public, to the other subject and to the auditor
is searched for the person's identity number and for text that only the person's non-public
records hold; answers to the consumer and the other provider for the identity number.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import ORG, days_ago, judgment, penalty, ric
from tests.me.records import bearer, submit
from xinyong.auth.keys import Role

PUBLIC, SUBJECT, OTHER_SUBJECT = "public", "subject", "other_subject"
PROVIDER, OTHER_PROVIDER, CONSUMER = "provider", "other_provider", "consumer"
ADMIN, AUDITOR = "admin", "auditor"
ROLES = (PUBLIC, SUBJECT, OTHER_SUBJECT, PROVIDER, OTHER_PROVIDER, CONSUMER, ADMIN, AUDITOR)

ALL = frozenset(ROLES)
SUBJECTS = frozenset({SUBJECT, OTHER_SUBJECT})
PROVIDERS = frozenset({PROVIDER, OTHER_PROVIDER})
AUTHORITIES = frozenset({PROVIDER, OTHER_PROVIDER, CONSUMER, ADMIN})
AUDIT = frozenset({AUDITOR, ADMIN})

PERSON = ric(5150)
PERSON_NAME = "李四"
#: Text that only the person's non-public records hold.
SECRETS = ("SECRET-PENALTY-FACT-7F3A", "SECRET-VOLUNTEER-ORG-19C2")
COMPANY_NAME = "厦门鑫达贸易有限公司"
PDF = b"%PDF-1.4 receipt of payment\n"


@dataclass
class World:
    keys: dict[str, str | None] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        key = self.keys[role]
        return bearer(key) if key else {}


def build(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> World:
    w = World()
    market, court = make_key("market_regulation"), make_key("court")
    w.keys = {
        PUBLIC: None,
        PROVIDER: market,
        OTHER_PROVIDER: make_key("tax"),
        CONSUMER: consumer_key("civil_aviation", "restrict_flights_rail"),
        ADMIN: make_key(role=Role.admin),
        AUDITOR: make_key(role=Role.auditor),
    }
    # the person: public (a judgment default) and not (a penalty, volunteer service)
    submit(client, court, judgment("MJ1", PERSON, PERSON_NAME, kind="person"))
    fine = penalty(
        "MP1",
        PERSON,
        PERSON_NAME,
        kind="person",
        severity="general",
        decided_on=days_ago(120),
        facts=SECRETS[0],
    )
    w.ids["penalty"] = submit(client, market, fine)
    w.ids["to_end"] = submit(client, market, penalty("MP2", ORG, COMPANY_NAME))
    volunteer = {
        "record_type": "volunteer_service",
        "provider_record_id": "MV1",
        "subject": {"kind": "person", "code": PERSON, "name": PERSON_NAME},
        "decided_on": days_ago(20),
        "fields": {"hours": 8, "volunteer_organisation": SECRETS[1]},
    }
    w.ids["volunteer"] = submit(client, make_key("civil_affairs"), volunteer)
    submit(client, court, judgment("MJ2", ORG, COMPANY_NAME))
    w.keys[SUBJECT] = subject_key(PERSON)
    w.keys[OTHER_SUBJECT] = subject_key(ORG)
    found = client.get("/api/v1/me", headers=bearer(w.keys[SUBJECT] or ""))
    assert found.status_code == 200, found.text
    w.ids["public_id"] = found.json()["public_id"]

    upload = client.post(
        "/api/v1/imports",
        files={"file": ("p.csv", io.BytesIO(b"record_type\nadmin_penalty\n"), "text/csv")},
        headers=bearer(market),
    )
    assert upload.status_code == 201, upload.text
    w.ids["import"] = upload.json()["id"]
    checked = client.post(
        "/api/v1/checks",
        json={"measure": "restrict_flights_rail", "subjects": [ORG], "purpose": "ticket"},
        headers=w.headers(CONSUMER),
    )
    assert checked.status_code == 200, checked.text
    w.ids["check"] = checked.json()["check_id"]
    objected = client.post(
        "/api/v1/objections",
        json={"target": w.ids["penalty"], "grounds": "error_or_omission", "statement": "paid"},
        headers=w.headers(SUBJECT),
    )
    assert objected.status_code == 201, objected.text
    w.ids["objection"] = objected.json()["id"]
    applied = client.post(
        "/api/v1/restorations",
        json=application(w.ids["penalty"]),
        headers=w.headers(SUBJECT),
    )
    assert applied.status_code == 201, applied.text
    w.ids["restoration"] = applied.json()["id"]
    return w


def application(record_id: str) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "commitment": "本人承诺今后依法经营，按时履行法定义务，如有违反愿承担相应责任。",
        "evidence": [
            {
                "filename": "receipt.pdf",
                "media_type": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            }
        ],
    }


Request = Callable[[World], dict[str, Any]]


def get(url: str, **params: Any) -> Request:
    def make(w: World) -> dict[str, Any]:
        return {"method": "GET", "url": url.format(**w.ids), "params": params}

    return make


def send(method: str, url: str, body: Callable[[World], Any] | None = None, **kw: Any) -> Request:
    def make(w: World) -> dict[str, Any]:
        out: dict[str, Any] = {"method": method, "url": url.format(**w.ids), **kw}
        if body is not None:
            out["json"] = body(w)
        return out

    return make


def _record(prid: str) -> Callable[[World], Any]:
    return lambda w: penalty(prid, ORG, COMPANY_NAME)


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    requests: tuple[Request, ...]


def rule(allowed: frozenset[str] | set[str], *requests: Request) -> Rule:
    return Rule(frozenset(allowed), requests)


V1 = "/api/v1"
MATRIX: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): rule(ALL, get(f"{V1}/health")),
    # catalogue, schemes, lists and measures: public by law
    ("GET", "/catalogue"): rule(ALL, get(f"{V1}/catalogue")),
    ("GET", "/catalogue/{code}"): rule(ALL, get(f"{V1}/catalogue/admin_penalty")),
    ("GET", "/schemes"): rule(ALL, get(f"{V1}/schemes")),
    ("GET", "/schemes/{code}"): rule(ALL, get(f"{V1}/schemes/city_grade")),
    ("GET", "/lists"): rule(ALL, get(f"{V1}/lists")),
    ("GET", "/lists/{code}"): rule(ALL, get(f"{V1}/lists/judgment_defaulters")),
    ("GET", "/measures"): rule(ALL, get(f"{V1}/measures")),
    ("GET", "/memoranda"): rule(ALL, get(f"{V1}/memoranda")),
    # entities: public pages, the authorities' file
    ("GET", "/entities"): rule(ALL, get(f"{V1}/entities", q="李"), get(f"{V1}/entities", q="鑫达")),
    ("GET", "/entities/{code}"): rule(
        ALL, get(f"{V1}/entities/{ORG}"), get(V1 + "/entities/{public_id}")
    ),
    ("GET", "/entities/{code}/lists"): rule(
        ALL, get(f"{V1}/entities/{ORG}/lists"), get(V1 + "/entities/{public_id}/lists")
    ),
    ("GET", "/entities/{code}/ratings"): rule(ALL, get(f"{V1}/entities/{ORG}/ratings")),
    ("GET", "/entities/{code}/ratings/{scheme}"): rule(
        ALL, get(f"{V1}/entities/{ORG}/ratings/city_grade")
    ),
    ("GET", "/entities/{code}/file"): rule(
        AUTHORITIES, get(f"{V1}/entities/{PERSON}/file", purpose="matrix test")
    ),
    ("POST", "/schemes/impact"): rule(
        {ADMIN},
        send("POST", f"{V1}/schemes/impact", lambda w: {"scheme": "not: [valid"}),
    ),
    # records: providers submit; a record's history for its provider and administrators
    ("POST", "/records"): rule(PROVIDERS, send("POST", f"{V1}/records", _record("X1"))),
    ("POST", "/records/batch"): rule(
        PROVIDERS, send("POST", f"{V1}/records/batch", lambda w: {"records": [penalty("X2")]})
    ),
    ("POST", "/records/{record_id}/end"): rule(
        {PROVIDER},
        send(
            "POST",
            V1 + "/records/{to_end}/end",
            lambda w: {"reason": "obligation_fulfilled"},
        ),
    ),
    ("GET", "/records/{record_id}"): rule({PROVIDER, ADMIN}, get(V1 + "/records/{penalty}")),
    ("POST", "/imports"): rule(
        PROVIDERS,
        send(
            "POST",
            f"{V1}/imports",
            files={"file": ("x.csv", b"record_type\nadmin_penalty\n", "text/csv")},
        ),
    ),
    ("GET", "/imports/{import_id}"): rule({PROVIDER, ADMIN}, get(V1 + "/imports/{import}")),
    ("GET", "/imports/{import_id}/errors.csv"): rule(
        {PROVIDER, ADMIN}, get(V1 + "/imports/{import}/errors.csv")
    ),
    # checks, watch lists, webhooks: consuming authorities
    ("POST", "/checks"): rule(
        {CONSUMER},
        send(
            "POST",
            f"{V1}/checks",
            lambda w: {"measure": "restrict_flights_rail", "subjects": [ORG], "purpose": "x"},
        ),
    ),
    ("GET", "/checks/log"): rule({CONSUMER, ADMIN}, get(f"{V1}/checks/log")),
    ("GET", "/checks/statistics"): rule({CONSUMER, ADMIN}, get(f"{V1}/checks/statistics")),
    ("GET", "/checks/{check_id}"): rule({CONSUMER, ADMIN}, get(V1 + "/checks/{check}")),
    ("POST", "/checks/{check_id}/feedback"): rule(
        {CONSUMER},
        send(
            "POST",
            V1 + "/checks/{check}/feedback",
            lambda w: {"subject": ORG, "action": "applied", "acted_on": days_ago(0)},
        ),
    ),
    ("PUT", "/webhook"): rule(
        {CONSUMER},
        send(
            "PUT",
            f"{V1}/webhook",
            lambda w: {"url": "http://127.0.0.1:9/hook", "secret": "s3cret-s3cret-s3cret"},
        ),
    ),
    ("GET", "/webhook"): rule({CONSUMER}, get(f"{V1}/webhook")),
    ("GET", "/webhook/deliveries"): rule({CONSUMER}, get(f"{V1}/webhook/deliveries")),
    ("DELETE", "/webhook"): rule({CONSUMER}, send("DELETE", f"{V1}/webhook")),
    ("POST", "/watches"): rule(
        {CONSUMER},
        send(
            "POST",
            f"{V1}/watches",
            lambda w: {"measure": "restrict_flights_rail", "subjects": [ORG]},
        ),
    ),
    ("GET", "/watches"): rule({CONSUMER}, get(f"{V1}/watches")),
    ("DELETE", "/watches"): rule(
        {CONSUMER},
        send(
            "DELETE",
            f"{V1}/watches",
            lambda w: {"measure": "restrict_flights_rail", "subjects": [ORG]},
        ),
    ),
    # screening: authorities
    ("POST", "/screening"): rule(
        AUTHORITIES, send("POST", f"{V1}/screening", lambda w: {"name": "鑫达贸易"})
    ),
    ("POST", "/screening/decisions"): rule(
        AUTHORITIES,
        send(
            "POST",
            f"{V1}/screening/decisions",
            lambda w: {
                "name": "鑫达贸易",
                "subject": ORG,
                "verdict": "not_a_match",
                "reviewer": "王五",
                "reason": "another company",
            },
        ),
    ),
    # objections: the subject files; its decider answers; administrators supervise
    ("POST", "/objections"): rule(
        {SUBJECT},
        send(
            "POST",
            f"{V1}/objections",
            lambda w: {
                "target": f"publicity:{w.ids['penalty']}",
                "grounds": "past_publicity_period",
                "statement": "shown too long",
            },
        ),
    ),
    ("GET", "/objections"): rule(SUBJECTS | PROVIDERS | {ADMIN}, get(f"{V1}/objections")),
    ("GET", "/objections/{objection_id}"): rule(
        {SUBJECT, PROVIDER, ADMIN}, get(V1 + "/objections/{objection}")
    ),
    ("POST", "/objections/escalations"): rule(
        {ADMIN}, send("POST", f"{V1}/objections/escalations")
    ),
    ("POST", "/objections/{objection_id}/statement"): rule(
        {SUBJECT},
        send("POST", V1 + "/objections/{objection}/statement", lambda w: {"text": "I paid."}),
    ),
    ("POST", "/objections/{objection_id}/extension"): rule(
        {PROVIDER},
        send(
            "POST",
            V1 + "/objections/{objection}/extension",
            lambda w: {"reasons": "another unit verifies the payment"},
        ),
    ),
    ("POST", "/objections/{objection_id}/decision"): rule(
        {PROVIDER},
        send(
            "POST",
            V1 + "/objections/{objection}/decision",
            lambda w: {"outcome": "upheld", "reasons": "the fine was not paid on time"},
        ),
    ),
    # restorations: the subject applies; the deciding provider or an administrator decides
    ("POST", "/restorations"): rule(
        {SUBJECT},
        send("POST", f"{V1}/restorations", lambda w: application(w.ids["penalty"])),
    ),
    ("GET", "/restorations"): rule(SUBJECTS | PROVIDERS | {ADMIN}, get(f"{V1}/restorations")),
    ("GET", "/restorations/{restoration_id}"): rule(
        {SUBJECT, PROVIDER, ADMIN}, get(V1 + "/restorations/{restoration}")
    ),
    ("GET", "/restorations/{restoration_id}/evidence/{n}"): rule(
        {SUBJECT, PROVIDER, ADMIN}, get(V1 + "/restorations/{restoration}/evidence/1")
    ),
    ("POST", "/restorations/{restoration_id}/decision"): rule(
        {PROVIDER, ADMIN},
        send(
            "POST",
            V1 + "/restorations/{restoration}/decision",
            lambda w: {"decision": "rejected", "reasons": "the fine is unpaid"},
        ),
    ),
    # the subject's own file
    ("POST", "/session"): rule(
        ALL,
        send(
            "POST",
            f"{V1}/session",
            lambda w: {"method": "token", "token": w.keys[SUBJECT]},
        ),
    ),
    ("DELETE", "/session"): rule(ALL, send("DELETE", f"{V1}/session")),
    ("GET", "/me"): rule(SUBJECTS, get(f"{V1}/me")),
    ("GET", "/me/file"): rule(SUBJECTS, get(f"{V1}/me/file")),
    ("GET", "/me/access-log"): rule(SUBJECTS, get(f"{V1}/me/access-log")),
    ("PUT", "/me/records/{record_id}/hidden"): rule(
        {SUBJECT},
        send("PUT", V1 + "/me/records/{volunteer}/hidden", lambda w: {"hidden": False}),
    ),
    # credit reports: the public view for anyone, the full view for the subject itself
    ("GET", "/entities/{code}/report.pdf"): rule(
        ALL, get(f"{V1}/entities/{ORG}/report.pdf"), get(V1 + "/entities/{public_id}/report.pdf")
    ),
    ("GET", "/me/report.pdf"): rule(SUBJECTS, get(f"{V1}/me/report.pdf")),
    ("POST", "/reports/verify"): rule(
        ALL, send("POST", f"{V1}/reports/verify", files={"file": ("r.pdf", PDF, "application/pdf")})
    ),
    ("GET", "/reports/public-key"): rule(ALL, get(f"{V1}/reports/public-key")),
    # the audit log
    ("GET", "/audit"): rule(AUDIT, get(f"{V1}/audit")),
    ("GET", "/audit/head"): rule(AUDIT, get(f"{V1}/audit/head")),
    ("GET", "/audit/verify"): rule(AUDIT, get(f"{V1}/audit/verify")),
}

#: Refusals: unauthenticated, forbidden, or "not found" where more would reveal the item.
REFUSED = {401, 403, 404}
#: Who must never see the person's identity number / the person's non-public text.
NO_IDENTITY_NUMBER = {PUBLIC, OTHER_SUBJECT, AUDITOR, CONSUMER, OTHER_PROVIDER}
NO_SECRETS = {PUBLIC, OTHER_SUBJECT, AUDITOR}


def endpoints(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method.upper(), path.removeprefix(V1))
        for path, ops in app.openapi()["paths"].items()
        for method in ops
    }


def test_every_endpoint_is_in_the_matrix(app: FastAPI) -> None:
    assert endpoints(app) == set(MATRIX)


def test_every_role_gets_what_the_matrix_says_and_nothing_leaks(
    client: TestClient,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    w = build(client, make_key, consumer_key, subject_key)
    wrong: list[str] = []
    for (method, _path), r in MATRIX.items():
        # refused roles first, so that the allowed ones act on an untouched world
        for role in sorted(ROLES, key=lambda role: role in r.allowed):
            for make in r.requests:
                request = make(w)
                client.cookies.clear()
                answer = client.request(headers=w.headers(role), **request)
                status = answer.status_code
                where = f"{role:>14} {method} {request['url']}: {status}"
                if role in r.allowed:
                    if status in (401, 403) or status >= 500:
                        wrong.append(f"{where} (allowed) {answer.text[:200]}")
                    elif method == "GET" and status != 200:
                        wrong.append(f"{where} (a read must answer) {answer.text[:200]}")
                elif status not in REFUSED:
                    wrong.append(f"{where} (must be refused) {answer.text[:200]}")
                text = answer.text
                if role in NO_IDENTITY_NUMBER and PERSON in text:
                    wrong.append(f"{where}: the person's identity number leaked")
                if role in NO_SECRETS and any(s in text for s in SECRETS):
                    wrong.append(f"{where}: the person's non-public records leaked")
    assert not wrong, "\n".join(wrong)
    # the searches above look for text that is really there, for those who may see it
    mine = client.get(f"{V1}/me/file", headers=w.headers(SUBJECT)).text
    assert PERSON in mine
    assert all(s in mine for s in SECRETS)
