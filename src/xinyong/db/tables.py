"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Records are immutable versions: ``record_versions`` rows are only ever inserted. ``records``
is the head of each record (one row per provider and provider record id) and points at its
current version; ``entities`` and ``entity_names`` resolve subjects by identifier and keep
every name they were submitted under.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from xinyong.db.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

entities = Table(
    "entities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("public_id", String(24), nullable=False, unique=True),
    Column("name", String(512), nullable=False),
    Column("name_on", Date, nullable=False, comment="decision date of the record the name is from"),
    Column("division", String(6), nullable=False),
    Column(
        "public_until",
        Date,
        nullable=True,
        comment="persons only: last day on which some record of theirs is public",
    ),
    Column("created_at", UTCDateTime(), nullable=False),
)

entity_names = Table(
    "entity_names",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("name", String(512), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    UniqueConstraint("entity_id", "name"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider_code", String(64), nullable=False),
    Column("filename", String(512), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_done", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("corrected", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Index(None, "provider_code", "started_at"),
)

import_errors = Table(
    "import_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("import_id", ForeignKey("imports.id"), nullable=False, index=True),
    Column("file", String(512), nullable=False),
    Column("row", Integer, nullable=False),
    Column("field", String(128), nullable=True),
    Column("code", String(64), nullable=False),
    Column("message", Text, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("provider_code", String(64), nullable=False),
    Column("provider_record_id", String(128), nullable=False),
    Column("record_type", String(64), nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("current_hash", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # No unique (provider_code, provider_record_id): the id is derived from that pair
    # (xinyong.store.ids.record_id), so the primary key already keeps it unique.
    Index(None, "entity_id"),
    Index(None, "record_type"),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("record_id", ForeignKey("records.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("record_type", String(64), nullable=False),
    Column("subject_name", String(512), nullable=False),
    Column("severity", String(16), nullable=True),
    Column("legal_basis", Text, nullable=True),
    Column("document_number", String(256), nullable=True),
    Column("decided_on", Date, nullable=False),
    Column("publicity_until", Date, nullable=True, comment="null: no end of publicity"),
    Column(
        "ended_on",
        Date,
        nullable=True,
        comment="the record stopped being in effect on this day (see end_reason)",
    ),
    Column("end_reason", String(32), nullable=True),
    Column("fields", JSON, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("import_id", ForeignKey("imports.id"), nullable=True),
    Index(None, "entity_id"),
    Index(None, "import_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("provider_code", String(64), nullable=True),
    Column("consumer_code", String(64), nullable=True),
    Column("scopes", JSON, nullable=False),
    Column("label", String(256), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("subject_code", String(32), nullable=True, comment="subject tokens and sessions"),
    Column("expires_at", UTCDateTime(), nullable=True, comment="null: until deactivated"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("entity_id", ForeignKey("entities.id"), primary_key=True),
    Column("scheme", String(64), primary_key=True),
    Column("scheme_version", String(32), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("score_units", BigInteger, nullable=False, comment="score x 10,000 (exact)"),
    Column("grade", String(8), nullable=False),
    Column("valid_until", Date, nullable=True, comment="last day before an input changes"),
    Column("fingerprint", String(32), nullable=False, comment="md5 of the record versions"),
    Column("engine", String(16), nullable=False),
    Column("stale", Boolean, nullable=False, default=False, comment="records changed since"),
    Column("computed_at", UTCDateTime(), nullable=False),
    Index(None, "scheme", "grade"),
    Index(None, "valid_until"),
)


# --- Lists, measures and checks --------------------------------------------------------

list_revisions = Table(
    "list_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("entities", Integer, nullable=False, comment="subjects whose entries changed"),
)

list_entries = Table(
    "list_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_code", String(64), nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("basis_key", String(96), nullable=False, comment="record id, or scheme:grade"),
    Column("record_id", String(24), nullable=True),
    Column("scheme", String(64), nullable=True),
    Column("grade", String(8), nullable=True),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=True, comment="last day on the list; null: open"),
    Column("legal_basis", Text, nullable=False),
    Column("document_number", String(256), nullable=True),
    Column("revision_from", Integer, nullable=False),
    Column("revision_to", Integer, nullable=True, comment="null: current"),
    Index(None, "entity_id", "revision_to"),
    Index(None, "list_code", "revision_to"),
)

checks = Table(
    "checks",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("key_id", Integer, nullable=True),
    Column("consumer_code", String(64), nullable=False),
    Column("measure", String(64), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("reference", String(256), nullable=True),
    Column("on_date", Date, nullable=False),
    Column("data_version", Integer, nullable=False),
    Column("subjects", Integer, nullable=False),
    Column("applies", Integer, nullable=False),
    Index(None, "consumer_code", "at"),
)

check_results = Table(
    "check_results",
    metadata,
    Column("check_id", ForeignKey("checks.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("subject_code", String(32), nullable=False),
    Column("entity_id", Integer, nullable=True),
    Column("decision", String(16), nullable=False),
    Column("basis", Text, nullable=True, comment="list:record or scheme:grade, comma-separated"),
    Index(None, "entity_id"),
)

check_feedback = Table(
    "check_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("check_id", ForeignKey("checks.id"), nullable=False, index=True),
    Column("consumer_code", String(64), nullable=False),
    Column("measure", String(64), nullable=False),
    Column("subject_code", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("acted_on", Date, nullable=False),
    Column("note", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

watches = Table(
    "watches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer_code", String(64), nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("measure", String(64), nullable=False),
    Column("last_decision", String(16), nullable=True),
    Column("last_data_version", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("consumer_code", "entity_id", "measure"),
    Index(None, "entity_id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("consumer_code", String(64), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("consumer_code", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False, comment="pending, delivered or failed"),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Index(None, "status", "next_attempt_at"),
)

screening_decisions = Table(
    "screening_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("normalised_name", String(512), nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("verdict", String(16), nullable=False, comment="match or not_a_match"),
    Column("reviewer", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_by", String(64), nullable=True, comment="the key's authority"),
    Column("decided_at", UTCDateTime(), nullable=False),
    Index(None, "normalised_name", "entity_id"),
)


# --- Subjects' rights and accountability --------------------------------------------------

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False, comment="1, 2, 3, ..."),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=True),
    Column("details", Text, nullable=False, comment="canonical JSON, as hashed"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

objections = Table(
    "objections",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("target_type", String(16), nullable=False, comment="record, publicity, listing, ..."),
    Column("target", String(128), nullable=False, comment="as the subject gave it"),
    Column("record_id", String(24), nullable=True),
    Column("list_code", String(64), nullable=True),
    Column("scheme", String(64), nullable=True),
    Column("restoration_id", String(24), nullable=True),
    Column("decider", String(64), nullable=False, comment="provider code, or 'platform'"),
    Column("grounds", String(32), nullable=False),
    Column("statement", Text, nullable=False),
    Column("filed_by", String(128), nullable=False),
    Column("filed_at", UTCDateTime(), nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("due_on", Date, nullable=False, comment="last working day to decide"),
    Column("extended_at", UTCDateTime(), nullable=True),
    Column("extension_reasons", Text, nullable=True),
    Column("escalated_at", UTCDateTime(), nullable=True),
    Column("status", String(16), nullable=False, comment="open or decided"),
    Column("outcome", String(16), nullable=True, comment="corrected, deleted, upheld, ..."),
    Column("reasons", Text, nullable=True),
    Column("verification", Text, nullable=True),
    Column("corrected_version", Integer, nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", String(128), nullable=True),
    Index(None, "entity_id"),
    Index(None, "record_id"),
    Index(None, "status", "due_on"),
    Index(None, "decider", "status"),
)

objection_events = Table(
    "objection_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("objection_id", ForeignKey("objections.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("step", String(32), nullable=False),
    Column("details", JSON, nullable=False),
)

statements = Table(
    "statements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False, index=True),
    Column("record_id", String(24), nullable=True, index=True),
    Column("objection_id", String(24), nullable=True),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("withdrawn_at", UTCDateTime(), nullable=True),
)

restorations = Table(
    "restorations",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("record_id", ForeignKey("records.id"), nullable=False, index=True),
    Column("record_version", Integer, nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False, index=True),
    Column("decider", String(64), nullable=False, comment="the provider that decides"),
    Column("commitment", Text, nullable=False),
    Column("filed_by", String(128), nullable=False),
    Column("filed_at", UTCDateTime(), nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("due_on", Date, nullable=False, comment="last working day to decide"),
    Column("status", String(16), nullable=False, comment="pending, approved or rejected"),
    Column("reasons", Text, nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", String(128), nullable=True),
    Index(None, "decider", "status"),
)

restoration_evidence = Table(
    "restoration_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("restoration_id", ForeignKey("restorations.id"), nullable=False, index=True),
    Column("filename", String(256), nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

hidden_records = Table(
    "hidden_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", ForeignKey("records.id"), nullable=False, index=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False, index=True),
    Column("hidden", Boolean, nullable=False, comment="the subject's choice from 'at' on"),
    Column("at", UTCDateTime(), nullable=False),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("reader_role", String(16), nullable=False),
    Column("reader", String(64), nullable=False, comment="the authority's code"),
    Column("key_id", Integer, nullable=True),
    Column("purpose", Text, nullable=False),
    Column("legal_basis", Text, nullable=True),
    Column("what", String(128), nullable=False, comment="e.g. file, rating:city_grade"),
    Column("record_ids", JSON, nullable=True),
    Index(None, "entity_id", "at"),
    Index(None, "at"),
)

record_expiries = Table(
    "record_expiries",
    metadata,
    Column("record_id", ForeignKey("records.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("expired_on", Date, nullable=False, comment="first day no longer public"),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Index(None, "expired_on"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(32), primary_key=True, comment="the report id printed on it"),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("view", String(16), nullable=False, comment="public or full"),
    Column("content_sha256", String(64), nullable=False, comment="of the report's data"),
    Column("pdf_sha256", String(64), nullable=False, comment="of the signed PDF bytes"),
    Column("issued_at", UTCDateTime(), nullable=False),
    Index(None, "entity_id", "issued_at"),
)
