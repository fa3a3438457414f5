"""What the watch-list tests share: a real local webhook receiver (``http.server`` in a
thread) and small steps through the real API."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import judgment, penalty

SECRET = "s3cret-of-sixteen-or-more"
MEASURE = "restrict_flights_rail"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A consumer's webhook endpoint on a free loopback port. It records every request,
    answers the statuses queued with :meth:`answer` (then 200), and can be stopped (the
    port then refuses connections) and started again on the same port."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.requests: list[Received] = []
        self._answers: list[int] = []
        self.on_request: Callable[[], object] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/xinyong"

    def answer(self, *statuses: int) -> None:
        with self._lock:
            self._answers.extend(statuses)

    def _next_status(self) -> int:
        with self._lock:
            return self._answers.pop(0) if self._answers else 200

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size)
                status = receiver._next_status()
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                if receiver.on_request is not None:
                    receiver.on_request()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {n} requests, received {len(self.requests)}")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def known_subject(client: TestClient, market: dict[str, str], code: str, prid: str) -> None:
    """Make ``code`` a known subject that is on no list (a general penalty)."""
    r = client.post("/api/v1/records", json=penalty(prid, code), headers=market)
    assert r.status_code == 201, r.text


def list_it(client: TestClient, court: dict[str, str], code: str, prid: str) -> str:
    """A judgment default: the subject goes on judgment_defaulters. Returns the record id."""
    r = client.post("/api/v1/records", json=judgment(prid, code), headers=court)
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    return rid


def watch(
    client: TestClient, consumer: dict[str, str], *codes: str, measure: str = MEASURE
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/watches", json={"measure": measure, "subjects": list(codes)}, headers=consumer
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def hook(client: TestClient, consumer: dict[str, str], url: str, secret: str = SECRET) -> None:
    r = client.put("/api/v1/webhook", json={"url": url, "secret": secret}, headers=consumer)
    assert r.status_code == 200, r.text
