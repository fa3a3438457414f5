"""Property-based: whatever a client sends to any endpoint, the answer is never a 5xx.

Schemathesis generates requests from the app's own OpenAPI schema (valid and invalid
bodies, parameters and headers) and sends them through the real app on a real SQLite
database, with a provider's key (a consumer's for the consumers' paths) so that the authenticated
paths are reached too. Runs are
derandomized so that CI is reproducible; to explore further, run
``schemathesis run http://127.0.0.1:8000/openapi.json`` against ``xinyong serve``
(that is how a too-large import id that reached SQLite was found).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from xinyong.api.app import create_app
from xinyong.auth.keys import Role, create_key, create_subject_token
from xinyong.db.engine import make_engine, writing
from xinyong.db.migrate import upgrade
from xinyong.settings import Settings

_db = Path(tempfile.mkdtemp(prefix="xinyong-fuzz-")) / "fuzz.db"
_settings = Settings(database_url=f"sqlite:///{_db}", max_upload_bytes=1024 * 1024)
_engine = make_engine(_settings.database_url)
upgrade(_engine)
with writing(_engine) as _conn:
    KEY = create_key(_conn, Role.provider, provider_code="court", scopes=("judgment_default",))
    CONSUMER_KEY = create_key(
        _conn,
        Role.consumer,
        consumer_code="fuzzing_consumer",
        scopes=("restrict_flights_rail", "green_channel"),
    )
    SUBJECT_KEY = create_subject_token(_conn, "91350200776049653A", hours=24)
    AUDITOR_KEY = create_key(_conn, Role.auditor)
#: Paths that consuming authorities call: fuzzed with a consumer's key.
CONSUMER_PATHS = ("/api/v1/checks", "/api/v1/watches", "/api/v1/webhook")
#: Paths that subjects call: fuzzed with a subject token; the audit log with an auditor's.
SUBJECT_PATHS = ("/api/v1/me", "/api/v1/objections", "/api/v1/restorations", "/api/v1/session")
AUDIT_PATHS = ("/api/v1/audit",)
app = create_app(_settings, engine=_engine)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any) -> None:
    key = KEY
    if case.path.startswith(CONSUMER_PATHS):
        key = CONSUMER_KEY
    elif case.path.startswith(SUBJECT_PATHS):
        key = SUBJECT_KEY
    elif case.path.startswith(AUDIT_PATHS):
        key = AUDITOR_KEY
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
