"""Delivering watch-list webhooks from the outbox, with retries and backoff.

Deliveries wait in ``webhook_deliveries`` (the outbox), written in the same transaction as
the change that caused them. :func:`deliver_due` takes the pending ones that are due,
POSTs each signed body to its consumer's webhook and commits each outcome on its own:

- a 2xx answer: ``delivered``;
- anything else (an error status, a refused connection, a timeout): the attempt is counted
  and the next one waits ``webhook_backoff_seconds * 2 ** (attempts - 1)`` (at most an
  hour); after ``webhook_max_attempts`` attempts the delivery is ``failed``.

Because the outbox is in the database, a restart loses nothing: whatever is pending is sent
by the next dispatcher. Several dispatchers may run at once (one per API process, or
``xinyong webhooks deliver --loop``): a dispatcher claims rows by moving their next attempt
to the end of a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer), and
one that dies holding them lets them be taken again when the lease ends. Delivery is
therefore at least once: receivers de-duplicate by ``event_id``.

:class:`Dispatcher` runs this in a background thread of the API server, and re-decides
every watch (:func:`sweep_all`) every ``watch_sweep_seconds``, starting at start-up.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from xinyong.catalogue import default_catalogue
from xinyong.db.engine import writing
from xinyong.db.types import utcnow
from xinyong.ingest.importer import today_in
from xinyong.lists.loader import load_declaration
from xinyong.lists.model import Declaration
from xinyong.rating.loader import load_schemes
from xinyong.rating.model import Scheme
from xinyong.settings import Settings
from xinyong.watch import repository as repo
from xinyong.watch import service, signing

log = logging.getLogger(__name__)

#: Deliveries claimed at a time by one dispatcher.
BATCH = 20
#: The longest wait between two attempts.
MAX_BACKOFF_SECONDS = 3600.0
#: Kept of a failed attempt's answer, for the delivery log.
ERROR_CHARS = 500


@dataclass(frozen=True)
class Counts:
    """What one :func:`deliver_due` run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.delivered + other.delivered,
            self.retrying + other.retrying,
            self.failed + other.failed,
        )


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt (1, 2, ...)."""
    seconds = settings.webhook_backoff_seconds * 2.0 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _lease(settings: Settings, batch: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.webhook_timeout_seconds * batch + 60)


def _post(client: httpx.Client, hook: repo.Webhook, delivery: repo.Delivery) -> str | None:
    """POST one delivery; ``None`` when the receiver answered 2xx, else what went wrong.
    Whatever goes wrong on the receiver's side (a refused connection, a timeout, an error
    status, a URL its host cannot resolve) is a failed attempt, never an exception."""
    body = delivery.payload.encode()
    headers = signing.headers(hook.secret, delivery.event_id, body, attempt=delivery.attempts + 1)
    try:
        with client.stream("POST", hook.url, content=body, headers=headers) as answer:
            if 200 <= answer.status_code < 300:
                return None
            seen = b""
            for part in answer.iter_bytes():
                seen += part
                if len(seen) >= ERROR_CHARS * 4:  # enough to explain; never a whole page
                    break
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    text = " ".join(seen.decode("utf-8", "replace").split())
    return f"HTTP {answer.status_code}{': ' + text if text else ''}"[:ERROR_CHARS]


def _attempt(
    engine: Engine,
    settings: Settings,
    client: httpx.Client,
    hook: repo.Webhook | None,
    delivery: repo.Delivery,
    now: dt.datetime | None,
) -> Counts:
    error = "no webhook is registered" if hook is None else _post(client, hook, delivery)
    url = delivery.url if hook is None else hook.url
    at = now or utcnow()
    attempts = delivery.attempts + 1
    with writing(engine) as conn:
        if error is None:
            repo.record_outcome(
                conn, delivery, repo.DELIVERED, url=url, error=None, next_at=None, delivered_at=at
            )
            return Counts(delivered=1)
        if hook is None or attempts >= settings.webhook_max_attempts:
            repo.record_outcome(
                conn, delivery, repo.FAILED, url=url, error=error, next_at=None, delivered_at=None
            )
            log.warning("webhook delivery %s failed for good: %s", delivery.event_id, error)
            return Counts(failed=1)
        next_at = at + backoff(settings, attempts)
        repo.record_outcome(
            conn, delivery, repo.PENDING, url=url, error=error, next_at=next_at, delivered_at=None
        )
        return Counts(retrying=1)


def deliver_due(
    engine: Engine,
    settings: Settings,
    now: dt.datetime | None = None,
    *,
    client: httpx.Client | None = None,
    stop: threading.Event | None = None,
    batch: int = BATCH,
) -> Counts:
    """Attempt once every delivery due at ``now`` (default: when the run starts),
    committing each outcome. Returns what happened. When ``stop`` is set, the run ends
    after the attempt under way and gives back the deliveries it claimed but did not try."""
    own = client is None
    http = client or httpx.Client(
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        headers={"User-Agent": "xinyong-webhooks"},
    )
    total = Counts()
    at = now or utcnow()  # what is due when the run starts: each delivery is tried once
    try:
        while stop is None or not stop.is_set():
            with engine.connect() as conn, conn.begin():
                if not repo.any_due(conn, at):
                    break
            with writing(engine) as conn:
                claimed = repo.claim_due(conn, at, at + _lease(settings, batch), batch)
                hooks = repo.webhooks_of(conn, sorted({d.consumer_code for d in claimed}))
            if not claimed:
                break
            for i, delivery in enumerate(claimed):
                if stop is not None and stop.is_set():
                    with writing(engine) as conn:
                        repo.release(conn, [d.id for d in claimed[i:]], at)
                    break
                hook = hooks.get(delivery.consumer_code)
                total += _attempt(engine, settings, http, hook, delivery, now)
    finally:
        if own:
            http.close()
    return total


def sweep_all(
    engine: Engine,
    decl: Declaration,
    schemes: Mapping[str, Scheme],
    *,
    day: dt.date,
    now: dt.datetime | None = None,
) -> int:
    """Re-decide every watch on ``day``, one committed batch at a time; returns how many
    deliveries were queued."""
    queued, after = 0, 0
    while True:
        with writing(engine) as conn:
            n, last = service.sweep_batch(
                conn, decl, schemes, day=day, now=now or utcnow(), after=after
            )
        queued += n
        if last is None:
            return queued
        after = last


class Dispatcher:
    """Delivers due webhooks and sweeps the watch lists in a background thread."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        declaration: Declaration | None = None,
        schemes: Mapping[str, Scheme] | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self._declaration = declaration
        self._schemes = schemes
        self.poll_seconds = (
            poll_seconds if poll_seconds is not None else min(1.0, settings.webhook_backoff_seconds)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="xinyong-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout_seconds + 10)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        next_sweep = time.monotonic()
        with httpx.Client(
            timeout=self.settings.webhook_timeout_seconds,
            follow_redirects=False,
            headers={"User-Agent": "xinyong-webhooks"},
        ) as client:
            while not self._stop.is_set():
                busy = False
                try:
                    if time.monotonic() >= next_sweep:
                        next_sweep = time.monotonic() + self.settings.watch_sweep_seconds
                        self.sweep()
                    busy = (
                        deliver_due(
                            self.engine, self.settings, client=client, stop=self._stop
                        ).attempted
                        > 0
                    )
                except Exception:  # the thread must outlive a database hiccup
                    log.exception("webhook dispatcher: a round failed; trying again")
                if not busy:
                    self._stop.wait(self.poll_seconds)

    def sweep(self) -> int:
        """Re-decide every watch today (nothing is loaded when nobody watches anything)."""
        with self.engine.connect() as conn, conn.begin():
            if not repo.any_watch(conn):
                return 0
        decl, schemes = self._declared()
        return sweep_all(self.engine, decl, schemes, day=today_in(self.settings))

    def _declared(self) -> tuple[Declaration, Mapping[str, Scheme]]:
        if self._declaration is None or self._schemes is None:
            catalogue = default_catalogue(self.settings.catalogue_path)
            schemes = dict(self._schemes or load_schemes(self.settings.schemes_dir, catalogue))
            self._schemes = schemes
            self._declaration = self._declaration or load_declaration(
                self.settings.lists_path, catalogue, schemes
            )
        return self._declaration, self._schemes
