"""The ceiling for ``benchmarks/checks_bench.py``: trivial FastAPI endpoints served by uvicorn
exactly as ``xinyong serve`` serves the API (one process, ``uvicorn.run(app, host, port,
log_level="info")``, access log on unless ``--no-access-log``, as ``xinyong serve``).

    python benchmarks/baseline_app.py --port 8123 [--listed FILE] [--no-access-log]

- ``POST /async`` (``async def``) and ``POST /def`` (plain ``def``, run in the thread pool
  like ``POST /api/v1/checks``) take the same JSON body as a check, validate it with a
  Pydantic model of the same shape, and answer a small constant JSON without any database;
- ``POST /bulk`` (``async def``) answers a check of many subjects with the same JSON shape
  as the real check, deciding from an in-memory set of listed codes (``--listed``, one code
  a line): HTTP, parsing and serialising with no database, the floor of a bulk check;
- ``GET /api/v1/health``, for the benchmark to know the server is up.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

LISTED_ENV = "XINYONG_BASELINE_LISTED"


class CheckIn(BaseModel):
    """The shape of ``xinyong.checks.schemas.CheckIn`` (copied so that nothing of the
    project is imported)."""

    model_config = ConfigDict(extra="forbid")

    measure: str = Field(min_length=1, max_length=64)
    subjects: list[str] = Field(min_length=1)
    purpose: str = Field(min_length=1, max_length=500)
    reference: str | None = Field(default=None, max_length=256)


ANSWER = orjson.dumps({"status": "ok"})
BASIS = {  # what a listed subject's answer cites, about the size of a real entry
    "list": "judgment_defaulters",
    "record_id": "r" + "0" * 23,
    "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》（法释〔2017〕7号）",
    "since": "2026-01-01",
    "until": "2027-12-31",
    "document_number": "（2026）闽02执0000号",
    "scheme": None,
    "grade": None,
}


def _listed() -> frozenset[str]:
    path = os.environ.get(LISTED_ENV)
    if not path:
        return frozenset()
    return frozenset(line.strip() for line in Path(path).read_text().splitlines() if line.strip())


app = FastAPI(title="baseline")
app.state.listed = _listed()


@app.get("/api/v1/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/async")
async def trivial_async(body: CheckIn) -> Response:
    return Response(ANSWER, media_type="application/json")


@app.post("/def")
def trivial_def(body: CheckIn) -> Response:
    return Response(ANSWER, media_type="application/json")


@app.post("/bulk")
async def bulk(body: CheckIn) -> Response:
    listed: frozenset[str] = app.state.listed
    results = [
        {
            "subject": code,
            "decision": "applies" if code in listed else "does_not_apply",
            "measure": body.measure,
            "basis": [BASIS] if code in listed else [],
        }
        for code in body.subjects
    ]
    payload = {"check_id": "baseline", "measure": body.measure, "results": results}
    return Response(orjson.dumps(payload), media_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--listed", type=Path, help="codes that /bulk answers 'applies' for")
    parser.add_argument(
        "--access-log", action=argparse.BooleanOptionalAction, default=True, help="as uvicorn's"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes, as uvicorn's")
    args = parser.parse_args()
    if args.listed is not None:
        os.environ[LISTED_ENV] = str(args.listed)
        app.state.listed = _listed()
    target: Any = app
    if args.workers > 1:  # each worker imports this module (and reads LISTED_ENV) itself
        target = "baseline_app:app"
    uvicorn.run(
        target,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=args.access_log,
        workers=args.workers,
        app_dir=str(Path(__file__).parent),
    )


if __name__ == "__main__":
    main()
