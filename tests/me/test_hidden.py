"""Hiding positive records: only the subject's own, only where the catalogue allows it,
every choice kept."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.factories import PERSON, penalty
from tests.me.records import PERSON_NAME, bearer, submit, volunteer
from xinyong.auth.keys import Role
from xinyong.db.tables import audit_log, entities, hidden_records
from xinyong.rights.marks import marks_of


def hide(client: TestClient, token: str, record_id: str, hidden: object) -> dict[str, object]:
    r = client.put(
        f"/api/v1/me/records/{record_id}/hidden", json={"hidden": hidden}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_a_volunteer_record_is_hidden_and_shown_again_with_its_history(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    subject_key: Callable[[str], str],
) -> None:
    record = submit(client, make_key("civil_affairs"), volunteer("V1", PERSON))
    token = subject_key(PERSON)
    admin = bearer(make_key(role=Role.admin))

    def authority_sees() -> bool:
        r = client.get(
            f"/api/v1/entities/{PERSON}/file", params={"purpose": "volunteer award"}, headers=admin
        )
        assert r.status_code == 200, r.text
        return record in [x["id"] for x in r.json()["records"]]

    assert authority_sees()
    assert hide(client, token, record, True) == {
        "record_id": record,
        "hidden": True,
        "changed": True,
    }
    assert hide(client, token, record, True)["changed"] is False  # no-op: nothing appended
    assert not authority_sees()
    file = client.get("/api/v1/me/file", headers=bearer(token)).json()
    [mine] = file["records"]
    assert (mine["id"], mine["hidden"]) == (record, True)  # the subject still sees it
    assert [h["hidden"] for h in file["hidden_records"]] == [True]

    with engine.connect() as conn:
        entity_id = conn.execute(
            select(entities.c.id).where(entities.c.code == PERSON)
        ).scalar_one()
        assert marks_of(conn, entity_id).hidden == {record}
        hidden_at = conn.execute(select(hidden_records.c.at)).scalar_one()

    assert hide(client, token, record, False)["changed"] is True
    assert authority_sees()
    file = client.get("/api/v1/me/file", headers=bearer(token)).json()
    assert file["records"][0]["hidden"] is False
    assert [h["hidden"] for h in file["hidden_records"]] == [True, False]  # history kept
    with engine.connect() as conn:
        assert marks_of(conn, entity_id).hidden == set()
        assert marks_of(conn, entity_id, at=hidden_at).hidden == {record}  # as it was then
        actions = list(
            conn.execute(
                select(audit_log.c.action, audit_log.c.target).where(
                    audit_log.c.action.in_(["record.hidden", "record.shown"])
                )
            )
        )
    assert [tuple(a) for a in actions] == [("record.hidden", record), ("record.shown", record)]


def test_a_penalty_cannot_be_hidden(
    client: TestClient, make_key: Callable[..., str], subject_key: Callable[[str], str]
) -> None:
    record = submit(
        client, make_key("market_regulation"), penalty("P1", PERSON, PERSON_NAME, kind="person")
    )
    token = subject_key(PERSON)
    r = client.put(
        f"/api/v1/me/records/{record}/hidden", json={"hidden": True}, headers=bearer(token)
    )
    assert (r.status_code, r.json()["code"]) == (409, "cannot_hide")
    unknown = client.put(
        "/api/v1/me/records/rnope/hidden", json={"hidden": True}, headers=bearer(token)
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_record")
    bad = client.put(
        f"/api/v1/me/records/{record}/hidden", json={"hidden": "yes"}, headers=bearer(token)
    )
    assert bad.status_code == 422
    file = client.get("/api/v1/me/file", headers=bearer(token)).json()
    assert file["hidden_records"] == []
    assert file["records"][0]["hidden"] is False
