"""A process killed mid-import loses nothing it reported committed; a re-run completes it,
list refresh included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from tests.factories import csv_bytes, judgment, uscc
from xinyong.db import deferred
from xinyong.db.tables import audit_log, imports, list_entries, record_versions, records
from xinyong.store import scratch


@pytest.mark.parametrize(
    ("first_load", "process"),
    [(False, False), (True, False), (True, True)],
    ids=["indexes_kept", "first_load", "first_load_in_process"],
)
def test_killed_import_resumes_without_duplicates(
    engine: Engine, db_url: str, tmp_path: Path, first_load: bool, process: bool
) -> None:
    """``first_load``: the store is empty and the file counts as large, so the import drops
    the record tables' secondary indexes (and PostgreSQL's keys) and is killed without them;
    the re-run builds them first. ``process``: the file also counts as large enough for a
    validating process, which on SQLite stages the rows in scratch files beside the store:
    the killed import leaves its scratch folder, and the re-run removes it."""
    rows = 3000
    path = tmp_path / "court.csv"
    path.write_bytes(csv_bytes([judgment(f"J{i}", uscc(i)) for i in range(rows)]))
    env = {
        **os.environ,
        "XINYONG_DATABASE_URL": db_url,
        "XINYONG_IMPORT_CHUNK_ROWS": "25",
        "XINYONG_INITIAL_LOAD_MIN_BYTES": "0" if first_load else str(1 << 40),
        "XINYONG_IMPORT_PROCESS_MIN_BYTES": "0" if process else str(1 << 40),
    }
    scratch_folders = f"{scratch.PREFIX}*"
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
        children = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 300 <= done < rows, f"the import was not caught mid-way ({done} rows done)"
    if process:  # the validating process does not outlive its killed parent
        assert children
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_running(c) for c in children):
            time.sleep(0.1)
        assert not [c for c in children if _running(c)]
    with engine.connect() as conn:
        committed = conn.execute(select(func.count()).select_from(records)).scalar_one()
        status = conn.execute(select(imports.c.status)).scalar_one()
        suspended = {s.name for s in deferred.missing(conn)}
    assert status == "running"  # it never finished
    assert committed >= done  # everything reported done is there
    assert bool(suspended) == first_load
    left = list(tmp_path.glob(scratch_folders))
    assert len(left) == (1 if process and db_url.startswith("sqlite") else 0)

    rerun = subprocess.run(
        [sys.executable, "-m", "xinyong.cli.main", "import", str(path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert list(tmp_path.glob(scratch_folders)) == []  # the killed one's, and its own
    if db_url.startswith("postgresql"):  # the killed one's unlogged tables, and its own
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE tablename LIKE :p"),
                {"p": scratch.TABLE_PREFIX.replace("_", "\\_") + "%"},
            ).all()
        assert tables == []

    totals = json.loads(rerun.stdout)
    assert totals["accepted"] + totals["unchanged"] == rows
    assert totals["unchanged"] == committed
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar_one() == rows
        assert conn.execute(select(func.count()).select_from(record_versions)).scalar_one() == rows
        # the killed import's subjects are refreshed by the run that completes it: every
        # judgment defaulter is on the list, not only those the re-run stored
        listed = select(func.count(func.distinct(list_entries.c.entity_id))).where(
            list_entries.c.list_code == "judgment_defaulters"
        )
        assert conn.execute(listed).scalar_one() == rows
        statuses = conn.execute(select(imports.c.status).order_by(imports.c.id)).scalars()
        assert list(statuses) == ["interrupted", "completed"]
        assert deferred.missing(conn) == []  # built again
        finished = conn.execute(
            select(audit_log.c.target, audit_log.c.details)
            .where(audit_log.c.action == "import.finished")
            .order_by(audit_log.c.seq)
        ).all()
    first, second = (json.loads(d) for _, d in finished)
    assert (first["status"], first["completed_by"]) == ("interrupted", second["import_id"])
    assert second["status"] == "completed"


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether process ``pid`` is there and not a zombie (nobody may reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
