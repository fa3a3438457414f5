"""Subjects' rights and accountability: the audit chain, objections and their events,
statements, restorations and their evidence, hidden records, the access log, expiries;
subject tokens and sessions (api_keys.subject_code, expires_at).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "seq", sa.BigInteger(), autoincrement=False, nullable=False, comment="1, 2, 3, ..."
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=True),
        sa.Column("details", sa.Text(), nullable=False, comment="canonical JSON, as hashed"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("reader_role", sa.String(length=16), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False, comment="the authority's code"),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column(
            "what", sa.String(length=128), nullable=False, comment="e.g. file, rating:city_grade"
        ),
        sa.Column("record_ids", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_access_log_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index(op.f("ix_access_log_at"), "access_log", ["at"], unique=False)
    op.create_index(
        op.f("ix_access_log_entity_id_at"), "access_log", ["entity_id", "at"], unique=False
    )
    op.create_table(
        "objections",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "target_type",
            sa.String(length=16),
            nullable=False,
            comment="record, publicity, listing, ...",
        ),
        sa.Column(
            "target", sa.String(length=128), nullable=False, comment="as the subject gave it"
        ),
        sa.Column("record_id", sa.String(length=24), nullable=True),
        sa.Column("list_code", sa.String(length=64), nullable=True),
        sa.Column("scheme", sa.String(length=64), nullable=True),
        sa.Column("restoration_id", sa.String(length=24), nullable=True),
        sa.Column(
            "decider", sa.String(length=64), nullable=False, comment="provider code, or 'platform'"
        ),
        sa.Column("grounds", sa.String(length=32), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(length=128), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, comment="last working day to decide"),
        sa.Column("extended_at", UTCDateTime(), nullable=True),
        sa.Column("extension_reasons", sa.Text(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, comment="open or decided"),
        sa.Column(
            "outcome",
            sa.String(length=16),
            nullable=True,
            comment="corrected, deleted, upheld, ...",
        ),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("verification", sa.Text(), nullable=True),
        sa.Column("corrected_version", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_objections_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index(
        op.f("ix_objections_decider_status"), "objections", ["decider", "status"], unique=False
    )
    op.create_index(op.f("ix_objections_entity_id"), "objections", ["entity_id"], unique=False)
    op.create_index(op.f("ix_objections_record_id"), "objections", ["record_id"], unique=False)
    op.create_index(
        op.f("ix_objections_status_due_on"), "objections", ["status", "due_on"], unique=False
    )
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=24), nullable=True),
        sa.Column("objection_id", sa.String(length=24), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_statements_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
    )
    op.create_index(op.f("ix_statements_entity_id"), "statements", ["entity_id"], unique=False)
    op.create_index(op.f("ix_statements_record_id"), "statements", ["record_id"], unique=False)
    op.create_table(
        "hidden_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=24), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "hidden", sa.Boolean(), nullable=False, comment="the subject's choice from 'at' on"
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_hidden_records_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_hidden_records_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hidden_records")),
    )
    op.create_index(
        op.f("ix_hidden_records_entity_id"), "hidden_records", ["entity_id"], unique=False
    )
    op.create_index(
        op.f("ix_hidden_records_record_id"), "hidden_records", ["record_id"], unique=False
    )
    op.create_table(
        "objection_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("objection_id", sa.String(length=24), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_objection_events_objection_id_objections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection_events")),
    )
    op.create_index(
        op.f("ix_objection_events_objection_id"), "objection_events", ["objection_id"], unique=False
    )
    op.create_table(
        "record_expiries",
        sa.Column("record_id", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("expired_on", sa.Date(), nullable=False, comment="first day no longer public"),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_expiries_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", "version", name=op.f("pk_record_expiries")),
    )
    op.create_index(
        op.f("ix_record_expiries_expired_on"), "record_expiries", ["expired_on"], unique=False
    )
    op.create_table(
        "restorations",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("record_id", sa.String(length=24), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "decider", sa.String(length=64), nullable=False, comment="the provider that decides"
        ),
        sa.Column("commitment", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(length=128), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, comment="last working day to decide"),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="pending, approved or rejected"
        ),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_restorations_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_restorations_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restorations")),
    )
    op.create_index(
        op.f("ix_restorations_decider_status"), "restorations", ["decider", "status"], unique=False
    )
    op.create_index(op.f("ix_restorations_entity_id"), "restorations", ["entity_id"], unique=False)
    op.create_index(op.f("ix_restorations_record_id"), "restorations", ["record_id"], unique=False)
    op.create_table(
        "restoration_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("restoration_id", sa.String(length=24), nullable=False),
        sa.Column("filename", sa.String(length=256), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["restoration_id"],
            ["restorations.id"],
            name=op.f("fk_restoration_evidence_restoration_id_restorations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restoration_evidence")),
    )
    op.create_index(
        op.f("ix_restoration_evidence_restoration_id"),
        "restoration_evidence",
        ["restoration_id"],
        unique=False,
    )
    op.add_column(
        "api_keys",
        sa.Column(
            "subject_code",
            sa.String(length=32),
            nullable=True,
            comment="subject tokens and sessions",
        ),
    )
    op.add_column(
        "api_keys",
        sa.Column("expires_at", UTCDateTime(), nullable=True, comment="null: until deactivated"),
    )


def downgrade() -> None:
    op.drop_column("api_keys", "expires_at")
    op.drop_column("api_keys", "subject_code")
    op.drop_index(op.f("ix_restoration_evidence_restoration_id"), table_name="restoration_evidence")
    op.drop_table("restoration_evidence")
    op.drop_index(op.f("ix_restorations_record_id"), table_name="restorations")
    op.drop_index(op.f("ix_restorations_entity_id"), table_name="restorations")
    op.drop_index(op.f("ix_restorations_decider_status"), table_name="restorations")
    op.drop_table("restorations")
    op.drop_index(op.f("ix_record_expiries_expired_on"), table_name="record_expiries")
    op.drop_table("record_expiries")
    op.drop_index(op.f("ix_objection_events_objection_id"), table_name="objection_events")
    op.drop_table("objection_events")
    op.drop_index(op.f("ix_hidden_records_record_id"), table_name="hidden_records")
    op.drop_index(op.f("ix_hidden_records_entity_id"), table_name="hidden_records")
    op.drop_table("hidden_records")
    op.drop_index(op.f("ix_statements_record_id"), table_name="statements")
    op.drop_index(op.f("ix_statements_entity_id"), table_name="statements")
    op.drop_table("statements")
    op.drop_index(op.f("ix_objections_status_due_on"), table_name="objections")
    op.drop_index(op.f("ix_objections_record_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_entity_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_decider_status"), table_name="objections")
    op.drop_table("objections")
    op.drop_index(op.f("ix_access_log_entity_id_at"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_at"), table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("audit_log")
