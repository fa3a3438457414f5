"""A process killed mid-import loses nothing it reported committed; a re-run completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from tests.factories import csv_bytes, judgment, uscc
from xinyong.db.tables import imports, record_versions, records


def test_killed_import_resumes_without_duplicates(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    rows = 3000
    path = tmp_path / "court.csv"
    path.write_bytes(csv_bytes([judgment(f"J{i}", uscc(i)) for i in range(rows)]))
    env = {**os.environ, "XINYONG_DATABASE_URL": db_url, "XINYONG_IMPORT_CHUNK_ROWS": "25"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xinyong.cli.main", "import", str(path), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    done = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as conn:
                done = conn.execute(
                    select(func.coalesce(func.max(imports.c.rows_done), 0))
                ).scalar_one()
            if done >= 300:
                break
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 300 <= done < rows, f"the import was not caught mid-way ({done} rows done)"
    with engine.connect() as conn:
        committed = conn.execute(select(func.count()).select_from(records)).scalar_one()
        status = conn.execute(select(imports.c.status)).scalar_one()
    assert status == "running"  # it never finished
    assert committed >= done  # everything reported done is there

    rerun = subprocess.run(
        [sys.executable, "-m", "xinyong.cli.main", "import", str(path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    import json

    totals = json.loads(rerun.stdout)
    assert totals["accepted"] + totals["unchanged"] == rows
    assert totals["unchanged"] == committed
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar_one() == rows
        assert conn.execute(select(func.count()).select_from(record_versions)).scalar_one() == rows
