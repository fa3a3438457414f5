"""``xinyong demo`` builds a (small) city and writes keys that work, for every role."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import _free_port
from xinyong.api.app import create_app
from xinyong.cli.main import app
from xinyong.settings import Settings, get_settings


def test_a_small_demo_city_and_its_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XINYONG_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        args = ["demo", "--orgs", "400", "--persons", "1500", "--no-serve"]
        built = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path / "data")])
        assert built.exit_code == 0, built.output
    finally:
        get_settings.cache_clear()
    lines = (tmp_path / "var/demo-keys.txt").read_text(encoding="utf-8").splitlines()
    keys = {line.split(":")[0]: line.rsplit(" ", 1)[1] for line in lines}
    assert {"admin", "auditor", "provider court"} <= set(keys)
    subjects = [k for k in keys if k.startswith("subject organisation")]
    assert subjects, lines
    with TestClient(create_app(Settings(database_url=url, webhook_dispatch=False))) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {keys[subjects[0]]}"})
        assert me.status_code == 200, me.text
        audit = client.get(
            "/api/v1/audit/verify", headers={"Authorization": f"Bearer {keys['auditor']}"}
        )
        assert audit.json()["ok"] is True
        # the past months' work: checks with feedback, decided objections and restorations
        assert "The past months:" in built.output
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        decided = client.get("/api/v1/objections", params={"status": "decided"}, headers=admin)
        assert decided.status_code == 200, decided.text
        assert decided.json()["items"], "no objection was decided in the demo's past months"
        filed = [o["filed_on"] for o in decided.json()["items"]]
        assert min(filed) < max(filed)  # filed over the months, not all today
        stats = client.get("/api/v1/checks/statistics", headers=admin)
        assert stats.status_code == 200, stats.text
        assert "applied" in stats.text
    assert os.path.exists(tmp_path / "demo.db")
    # what `make demo` does next: the city is there, so it is served as it is
    port = _free_port()
    env = {**os.environ, "XINYONG_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "xinyong.cli.main", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        output = b"" if server.poll() is None else (server.stdout.read() if server.stdout else b"")
        assert health is not None, output.decode()
        assert health.status_code == 200, health.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert b"already built" in (server.stdout.read() if server.stdout else b"")
