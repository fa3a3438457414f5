"""The README and the examples stay true: every command it lists exists, and the example
record it tells people to send is accepted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from xinyong.cli.main import app

ROOT = Path(__file__).parent.parent


def test_every_command_in_the_readme_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\| `xinyong ([a-z ]+?)(?: [A-Z\[-].*?)?`", readme, re.MULTILINE)
    assert len(commands) >= 9
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_readme_example_record_is_accepted(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    record = json.loads((ROOT / "docs/examples/judgment_default.json").read_text("utf-8"))
    h = {"Authorization": f"Bearer {make_key('court')}"}
    first = client.post("/api/v1/records", json=record, headers=h)
    assert first.status_code == 201, first.text
    assert client.post("/api/v1/records", json=record, headers=h).json()["status"] == "unchanged"
    code = record["subject"]["code"]
    page = client.get(f"/api/v1/entities/{code}")
    assert page.status_code == 200
    assert [r["id"] for r in page.json()["records"]] == [first.json()["id"]]


def test_the_scheme_in_docs_ratings_loads() -> None:
    import yaml

    from xinyong.catalogue import default_catalogue
    from xinyong.rating.loader import parse_scheme

    text = (ROOT / "docs/ratings.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert block is not None
    scheme = parse_scheme(yaml.safe_load(block.group(1)), default_catalogue())
    assert scheme.code == "fines_only"
    assert [g.grade for g in scheme.grades] == ["A", "N", "B", "D"]


def test_docs_lists_names_what_is_shipped_and_the_api_answers_its_shape(
    client: TestClient, make_key: Callable[..., str], consumer_key: Callable[..., str]
) -> None:
    from xinyong.lists.loader import default_declaration

    text = (ROOT / "docs/lists.md").read_text(encoding="utf-8")
    decl = default_declaration()
    table = re.findall(r"^\| `([a-z_]+)` \| (black|red|focus) \|", text, re.MULTILINE)
    assert {code for code, _ in table} == {x.code for x in decl.lists}
    for code, kind in table:
        assert decl.list(code).kind == kind  # type: ignore[union-attr]
    for m in decl.measures:
        assert f"`{m.code}`" in text
    # the example answer has the keys the API answers with
    example = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert example is not None
    shape = json.loads(re.sub(r'"…"', '""', example.group(1).replace("…", "")))
    record = json.loads((ROOT / "docs/examples/judgment_default.json").read_text("utf-8"))
    h = {"Authorization": f"Bearer {make_key('court')}"}
    assert client.post("/api/v1/records", json=record, headers=h).status_code == 201
    key = consumer_key("civil_aviation", "restrict_flights_rail")
    body = client.post(
        "/api/v1/checks",
        json={
            "measure": "restrict_flights_rail",
            "subjects": [record["subject"]["code"]],
            "purpose": "ticket sale",
        },
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert body.keys() == shape.keys()
    assert body["results"][0].keys() == shape["results"][0].keys()
    assert body["results"][0]["basis"][0].keys() == shape["results"][0]["basis"][0].keys()


def test_the_example_file_with_bad_rows_gives_the_report_the_readme_describes(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    """docs/examples/court-judgments-with-bad-rows.csv, uploaded in the console in the
    README's walkthrough: two rows imported, two refused with their row and field."""
    path = ROOT / "docs/examples/court-judgments-with-bad-rows.csv"
    key = make_key("court")
    r = client.post(
        "/api/v1/imports",
        files={"file": (path.name, path.read_bytes(), "text/csv")},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, 2), body
    errors = client.get(body["error_report"], headers={"Authorization": f"Bearer {key}"})
    lines = errors.text.strip().splitlines()
    assert len(lines) == 3, errors.text  # the header and one line per bad row
    assert "subject_code" in lines[1]
    assert "decided_on" in lines[2]
