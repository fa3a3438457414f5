"""Many writers at once still make one chain: appends are serialised (a PostgreSQL advisory
lock; SQLite's single writer) and each entry links to the one committed before it."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from tests.audit.conftest import entries
from xinyong.audit import service
from xinyong.db.engine import writing

THREADS = 8
EACH = 25


def test_concurrent_appends_make_one_valid_chain(engine: Engine) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with writing(engine) as conn:
                    if i % 5 == 0:  # some transactions append several entries at once
                        service.record_many(
                            conn,
                            [
                                service.Event(f"t{n}", "admin.test", f"{n}.{i}.{j}")
                                for j in range(3)
                            ],
                        )
                    else:
                        service.record(conn, f"t{n}", "admin.test", f"{n}.{i}", {"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = entries(engine)
    total = THREADS * EACH + THREADS * (EACH // 5) * 2
    assert [e["seq"] for e in found] == list(range(1, total + 1))
    assert len({e["target"] for e in found}) == total
    # interleaved: more than one thread's entries before the last thread's first
    assert len({e["actor"] for e in found[: total // 2]}) > 1
    with engine.connect() as conn:
        result = service.verify(conn)
    assert result.ok, result.problem
    assert result.entries == total
