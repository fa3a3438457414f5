"""``xinyong serve``: the portal and API."""

from __future__ import annotations

import gc
import os
import threading
import time
import urllib.request
from typing import TYPE_CHECKING

import typer
import uvicorn

from xinyong.cli.common import console

if TYPE_CHECKING:
    from fastapi import FastAPI


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    access_log: bool = typer.Option(True, help="Log every request on stderr."),
    warm: bool = typer.Option(
        True, help="Compute the statistics dashboard once at start, so no visitor waits for it."
    ),
    workers: int = typer.Option(
        1,
        min=1,
        help="Server processes sharing the port; they log checks through one shared writer "
        "process.",
    ),
) -> None:
    """Serve the portal and the API on an existing database (its schema is migrated on
    first use)."""
    from xinyong.settings import get_settings

    settings = get_settings()
    base = f"http://{host}:{port}"
    console.print(f"database:   {settings.database_url}")
    console.print(f"[bold]portal:     {base}/[/]")
    console.print(f"statistics: {base}/statistics")
    console.print(f"your file:  {base}/me  (sign in with a subject token)")
    console.print(f"authority:  {base}/console  (sign in with an authority's API key)")
    console.print(f"API:        {base}/api/v1/entities?q=厦门")
    console.print(f"API docs:   {base}/docs")
    if warm:
        threading.Thread(target=_warm, args=(f"{base}/statistics",), daemon=True).start()
    if workers > 1:  # each worker process builds the app from the same environment
        _serve_workers(settings.database_url, host, port, workers, access_log)
        return
    uvicorn.run(worker_app(), host=host, port=port, log_level="info", access_log=access_log)


def _serve_workers(url: str, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve with ``workers`` processes that log checks through one shared writer process
    (:mod:`xinyong.checks.log_shared`), started before them on a migrated schema."""
    from xinyong.checks.log_shared import ADDRESS_ENV, SharedCheckLog
    from xinyong.db.engine import make_engine
    from xinyong.db.migrate import ensure_schema

    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    shared = SharedCheckLog(url)
    os.environ[ADDRESS_ENV] = shared.start()
    console.print(f"check log:  one writer process (pid {shared.process_id}) for {workers} workers")
    try:
        uvicorn.run(
            "xinyong.cli.serve:worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=access_log,
        )
    finally:
        shared.stop()
        os.environ.pop(ADDRESS_ENV, None)


def worker_app() -> FastAPI:
    """The app of one server process (``uvicorn --factory``)."""
    from xinyong.api.app import create_app

    app = create_app()
    # Start-up objects (modules, routes, catalogue, schemes: ~250,000) live as long as the
    # server: keep them out of every full garbage collection, which otherwise scans them all
    # and puts 120-170 ms on an unlucky request (docs/benchmarks.md, issue 6).
    gc.collect()
    gc.freeze()
    return app


def _warm(url: str, wait: float = 60.0) -> None:
    """Ask for ``url`` once the server answers (within ``wait`` seconds); errors are ignored:
    this only fills a cache."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=120) as answer:
                answer.read()
            return
        except (OSError, ValueError):
            time.sleep(0.5)
