"""Every covered action leaves its entry in the audit log, in the action's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.audit.conftest import assert_intact, entries
from tests.factories import ORG, csv_bytes, judgment, penalty, uscc
from xinyong.cli.main import app
from xinyong.db.tables import list_entries, record_versions
from xinyong.lists.service import entries_digest

runner = CliRunner()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_id(key: str, engine: Engine) -> int:
    from xinyong.db.tables import api_keys

    with engine.connect() as conn:
        return int(
            conn.execute(
                select(api_keys.c.id).where(api_keys.c.prefix == key.split("_")[1])
            ).scalar_one()
        )


def content_hash(engine: Engine, record_id: str, version: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(record_versions.c.content_hash).where(
                    record_versions.c.record_id == record_id, record_versions.c.version == version
                )
            ).scalar_one()
        )


def test_a_record_its_listing_its_end_and_checks_through_the_api(
    client: TestClient,
    engine: Engine,
    make_key: Callable[..., str],
    consumer_key: Callable[..., str],
) -> None:
    court_key = make_key("court")
    court = bearer(court_key)
    r = client.post("/api/v1/records", json=judgment("J1"), headers=court)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]

    [submitted] = entries(engine, "record.submitted")
    assert submitted["actor"] == f"provider:court#{key_id(court_key, engine)}"
    assert submitted["target"] == rid
    assert submitted["details"]["provider"] == "court"
    assert submitted["details"]["records"] == [
        {"id": rid, "version": 1, "status": "created", "content_hash": content_hash(engine, rid, 1)}
    ]

    # the judgment put the company on the judgment-defaulter list: a listing, audited
    [listed] = entries(engine, "lists.refreshed")
    assert listed["actor"] == "platform"
    details = listed["details"]
    assert details["lists"]["judgment_defaulters"] == {"added": 1, "closed": 0}
    [key] = [k for k in details["added_keys"] if k.startswith("judgment_defaulters|")]
    assert f"|{rid}|" in key
    assert ORG not in json.dumps(details)  # never a subject's code
    with engine.connect() as conn:
        rows = conn.execute(
            select(list_entries).where(list_entries.c.revision_from == details["revision"])
        ).mappings()
        stored = [
            f"{e['list_code']}|{e['entity_id']}|{e['basis_key']}|{e['since'].isoformat()}|"
            f"{e['until'].isoformat() if e['until'] else ''}"
            for e in rows
        ]
    assert details["digest"] == entries_digest(stored, [])

    # the same record again: unchanged, still one entry for the request
    again = client.post("/api/v1/records", json=judgment("J1"), headers=court)
    assert again.json()["status"] == "unchanged"
    assert entries(engine, "record.submitted")[-1]["details"]["records"][0]["status"] == (
        "unchanged"
    )

    airline_key = consumer_key("civil_aviation", "restrict_flights_rail")
    c = client.post(
        "/api/v1/checks",
        json={
            "measure": "restrict_flights_rail",
            "subjects": [ORG, uscc(5)],
            "purpose": "ticket sale",
            "reference": "order 7",
        },
        headers=bearer(airline_key),
    )
    assert c.status_code == 200, c.text
    [logged] = entries(engine, "check.logged")
    assert logged["target"] == c.json()["check_id"]
    assert logged["actor"] == f"consumer:civil_aviation#{key_id(airline_key, engine)}"
    assert logged["details"]["measure"] == "restrict_flights_rail"
    assert logged["details"]["purpose"] == "ticket sale"
    assert logged["details"]["subjects"] == 2
    assert logged["details"]["applies"] == 1
    assert logged["details"]["data_version"] == c.json()["data_version"]

    ended = client.post(
        f"/api/v1/records/{rid}/end",
        json={"reason": "obligation_fulfilled"},
        headers=court,
    )
    assert ended.status_code == 200, ended.text
    [end] = entries(engine, "record.ended")
    assert end["target"] == rid
    assert end["details"]["reason"] == "obligation_fulfilled"
    assert end["details"]["version"] == 2
    assert end["details"]["data_version"] == ended.json()["data_version"]
    # ... and the removal from the list
    removal = entries(engine, "lists.refreshed")[-1]
    assert removal["details"]["lists"]["judgment_defaulters"]["closed"] == 1
    assert removal["details"]["revision"] == ended.json()["data_version"]
    # the end and its removal commit together, the end last
    assert removal["seq"] < end["seq"]

    # a refused end changes nothing and leaves no entry
    before = len(entries(engine))
    again_end = client.post(
        f"/api/v1/records/{rid}/end", json={"reason": "obligation_fulfilled"}, headers=court
    )
    assert again_end.status_code == 409
    invalid = client.post(
        "/api/v1/records", json={**judgment("J2"), "decided_on": "x"}, headers=court
    )
    assert invalid.status_code == 422
    assert len(entries(engine)) == before
    assert_intact(engine)


def test_a_batch_is_one_entry(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    h = bearer(make_key("market_regulation"))
    good = [penalty(f"P{i}", uscc(i)) for i in range(3)]
    r = client.post("/api/v1/records/batch", json={"records": [*good, {"nope": 1}]}, headers=h)
    assert r.status_code == 200, r.text
    [batch] = entries(engine, "record.submitted")
    assert batch["target"] is None
    assert batch["details"]["submitted"] == 4
    assert batch["details"]["rejected"] == 1
    assert batch["details"]["counts"] == {"created": 3, "unchanged": 0, "corrected": 0}
    ids = [i["id"] for i in r.json()["results"] if i["status"] == "created"]
    assert [x["id"] for x in batch["details"]["records"]] == ids
    assert all(len(x["content_hash"]) == 32 for x in batch["details"]["records"])


def test_an_upload_is_audited_with_the_file_digest(
    client: TestClient, engine: Engine, make_key: Callable[..., str]
) -> None:
    key = make_key("market_regulation")
    data = csv_bytes([penalty("P1", uscc(1)), penalty("P2", uscc(2), severity="nope")])
    r = client.post(
        "/api/v1/imports", headers=bearer(key), files={"file": ("x.csv", data, "text/csv")}
    )
    assert r.status_code == 201, r.text
    [done] = entries(engine, "import.finished")
    assert done["actor"] == f"provider:market_regulation#{key_id(key, engine)}"
    assert done["target"] == str(r.json()["id"])
    d = done["details"]
    assert d["sha256"] == hashlib.sha256(data).hexdigest()
    assert (d["file"], d["provider"], d["status"]) == ("x.csv", "market_regulation", "completed")
    assert (d["rows"], d["accepted"], d["rejected"]) == (2, 1, 1)
    # a file that cannot be read at all is audited too
    bad = client.post(
        "/api/v1/imports", headers=bearer(key), files={"file": ("y.csv", b"", "text/csv")}
    )
    assert bad.status_code == 201, bad.text
    assert entries(engine, "import.finished")[-1]["details"]["status"] == "rejected"


def test_the_cli_import_lists_refresh_and_check(cli_db: Engine, tmp_path: Path) -> None:
    listed = uscc(1)
    data = csv_bytes([judgment("J1", listed)])
    (tmp_path / "court.csv").write_bytes(data)
    assert runner.invoke(app, ["import", str(tmp_path / "court.csv")]).exit_code == 0
    [done] = entries(cli_db, "import.finished")
    assert done["actor"] == "admin:cli"
    assert done["details"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert done["details"]["accepted"] == 1
    [listed_entry] = entries(cli_db, "lists.refreshed")
    assert listed_entry["seq"] < done["seq"]  # the same transaction, the import's entry last
    assert listed_entry["details"]["reason"].startswith("import ")

    out = runner.invoke(
        app, ["check", "--measure", "restrict_flights_rail", "--purpose", "audit", listed]
    )
    assert out.exit_code == 0, out.output
    [logged] = entries(cli_db, "check.logged")
    assert logged["actor"] == "admin:cli"
    assert logged["details"]["consumer"] == "platform"
    assert logged["details"]["applies"] == 1
    assert logged["details"]["purpose"].startswith("audit (cli: ")
    # a refresh that changes nothing leaves no entry
    assert runner.invoke(app, ["lists", "refresh"]).exit_code == 0
    assert len(entries(cli_db, "lists.refreshed")) == 1
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_keys_created_and_revoked_through_the_cli(cli_db: Engine, client: TestClient) -> None:
    made = runner.invoke(app, ["keys", "create", "--provider", "court", "--label", "clerk"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    prefix, secret = key.split("_", 2)[1:]
    [created] = entries(cli_db, "key.created")
    assert created["actor"] == "admin:cli"
    assert created["target"] == prefix
    assert created["details"]["role"] == "provider"
    assert created["details"]["provider"] == "court"
    assert created["details"]["prefix"] == prefix
    assert "judgment_default" in created["details"]["scopes"]
    assert secret not in json.dumps(entries(cli_db), default=str)  # never the secret

    auditor = runner.invoke(app, ["keys", "create", "--auditor"])
    assert auditor.exit_code == 0, auditor.output
    assert entries(cli_db, "key.created")[-1]["details"]["role"] == "auditor"
    head = client.get("/api/v1/audit/head", headers=bearer(auditor.stdout.strip()))
    assert head.status_code == 200

    assert client.get("/api/v1/records/r1", headers=bearer(key)).status_code != 401
    revoked = runner.invoke(app, ["keys", "revoke", prefix])
    assert revoked.exit_code == 0, revoked.output
    [gone] = entries(cli_db, "key.revoked")
    assert (gone["target"], gone["details"]["role"]) == (prefix, "provider")
    assert client.get("/api/v1/records/r1", headers=bearer(key)).status_code == 401
    twice = runner.invoke(app, ["keys", "revoke", key])  # the whole key works too
    assert twice.exit_code == 1
    assert "already_revoked" in twice.output
    unknown = runner.invoke(app, ["keys", "revoke", "feedfacecafe"])
    assert unknown.exit_code == 1
    assert "unknown_key" in unknown.output
    assert len(entries(cli_db, "key.revoked")) == 1
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_a_rolled_back_action_leaves_no_entry(engine: Engine) -> None:
    """The entry is in the action's transaction: when the action fails, neither stays."""
    from xinyong.audit import service
    from xinyong.db.engine import writing

    try:
        with writing(engine) as conn:
            service.record(conn, "admin:cli", "admin.test", "x", {})
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    assert entries(engine) == []
