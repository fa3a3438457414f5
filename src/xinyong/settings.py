"""All run-time settings in one place, read from ``XINYONG_*`` environment variables."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(__file__).parent / "data"


class Settings(BaseSettings):
    """Settings of one xinyong instance.

    Every value can be overridden with an environment variable of the same name in
    upper case with the ``XINYONG_`` prefix, e.g. ``XINYONG_DATABASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="XINYONG_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/xinyong.db",
        description="SQLAlchemy URL. SQLite is the embedded default; PostgreSQL in production.",
    )
    catalogue_path: Path = Field(
        default=DATA_DIR / "catalogue.yaml",
        description="The closed catalogue of record types, providers and prohibited classes.",
    )
    schemes_dir: Path = Field(
        default=DATA_DIR / "schemes",
        description="The rating schemes in force: every *.yaml file in this directory.",
    )
    check_log_socket: str | None = Field(
        default=None,
        description="The Unix socket of the check log's shared writer process: set by "
        "`xinyong serve --workers N` for its workers (unset: each server process its own).",
    )
    webhook_dispatch: bool = Field(
        default=True, description="Deliver watch-list webhooks from the API server's process."
    )
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_seconds: float = Field(
        default=2.0, gt=0, description="First retry delay; doubled after each failure."
    )
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    watch_sweep_seconds: int = Field(
        default=3600, ge=1, description="How often watch lists are re-decided (expiry by date)."
    )
    key_cache_seconds: float = Field(
        default=10.0, ge=0, description="How long the check API trusts a key it has checked."
    )
    max_check_subjects: int = Field(default=100_000, ge=1, description="Subjects per check.")
    lists_path: Path = Field(
        default=DATA_DIR / "lists.yaml",
        description="The lists, measures and memoranda of joint incentives and sanctions.",
    )
    rights_path: Path = Field(
        default=DATA_DIR / "rights.yaml",
        description="Subjects' rights: objection and restoration deadlines, the working-day "
        "calendar, the access log's retention, subject sign-in.",
    )
    divisions_path: Path = Field(
        default=DATA_DIR / "divisions.yaml",
        description="Names of the administrative divisions (districts) the pages show.",
    )
    identity_verifier: str = Field(
        default="token",
        pattern="^(token)$",
        description="How a person proves who they are at sign-in: 'token' (a subject access "
        "token from `xinyong subjects token`). An OIDC verifier plugs in here.",
    )
    timezone: str = Field(default="Asia/Shanghai", description="Where 'today' is decided.")
    today: dt.date | None = Field(
        default=None,
        description="Pin 'today' (deadlines, expiry, grades) to this date: for training, "
        "demos and tests of deadlines. Never set it in production.",
    )
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, description="Largest JSON request body accepted."
    )
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024, description="Largest import file accepted (API and CLI)."
    )
    max_batch_records: int = Field(
        default=1000, description="Most records in one POST /api/v1/records/batch."
    )
    import_chunk_rows: int = Field(
        default=50_000, description="Rows validated and committed together during an import."
    )
    initial_load_min_bytes: int = Field(
        default=32 * 1024 * 1024,
        description="An import of at least this many bytes into a store without records "
        "builds the record tables' secondary indexes (and PostgreSQL's foreign keys) once "
        "after the load instead of row by row (xinyong.db.deferred).",
    )
    import_process_min_bytes: int = Field(
        default=8 * 1024 * 1024,
        description="`xinyong import` (and `xinyong demo`) validates inputs of at least "
        "this many bytes in a second process, which also stages the valid rows itself "
        "(xinyong.store.scratch: files beside a SQLite store, unlogged tables in "
        "PostgreSQL); smaller ones in a thread (starting the process takes about a second).",
    )
    max_reported_errors: int = Field(
        default=10_000,
        description="Most row errors listed in an import's JSON answer (all are counted and "
        "all are kept in the downloadable error report).",
    )
    search_max_limit: int = Field(default=100, description="Largest page in entity search.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
