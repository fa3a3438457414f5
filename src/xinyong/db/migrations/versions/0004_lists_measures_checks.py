"""Lists, measures and checks: list entries with revisions, the check log, feedback, watch
lists and their webhook deliveries, screening decisions; records can end (ended_on).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checks",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("consumer_code", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=256), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("applies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
    )
    op.create_index(
        op.f("ix_checks_consumer_code_at"), "checks", ["consumer_code", "at"], unique=False
    )
    op.create_table(
        "list_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column(
            "entities", sa.Integer(), nullable=False, comment="subjects whose entries changed"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_revisions")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("consumer_code", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="pending, delivered or failed"
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_deliveries_event_id")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_status_next_attempt_at"),
        "webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "webhooks",
        sa.Column("consumer_code", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_code", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "check_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("check_id", sa.String(length=24), nullable=False),
        sa.Column("consumer_code", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("subject_code", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("acted_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_check_feedback_check_id_checks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_feedback")),
    )
    op.create_index(
        op.f("ix_check_feedback_check_id"), "check_feedback", ["check_id"], unique=False
    )
    op.create_table(
        "check_results",
        sa.Column("check_id", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject_code", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column(
            "basis",
            sa.Text(),
            nullable=True,
            comment="list:record or scheme:grade, comma-separated",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_check_results_check_id_checks")
        ),
        sa.PrimaryKeyConstraint("check_id", "position", name=op.f("pk_check_results")),
    )
    op.create_index(
        op.f("ix_check_results_entity_id"), "check_results", ["entity_id"], unique=False
    )
    op.create_table(
        "list_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_code", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "basis_key", sa.String(length=96), nullable=False, comment="record id, or scheme:grade"
        ),
        sa.Column("record_id", sa.String(length=24), nullable=True),
        sa.Column("scheme", sa.String(length=64), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True, comment="last day on the list; null: open"),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("document_number", sa.String(length=256), nullable=True),
        sa.Column("revision_from", sa.Integer(), nullable=False),
        sa.Column("revision_to", sa.Integer(), nullable=True, comment="null: current"),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_list_entries_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_entries")),
    )
    op.create_index(
        op.f("ix_list_entries_entity_id_revision_to"),
        "list_entries",
        ["entity_id", "revision_to"],
        unique=False,
    )
    op.create_index(
        op.f("ix_list_entries_list_code_revision_to"),
        "list_entries",
        ["list_code", "revision_to"],
        unique=False,
    )
    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("normalised_name", sa.String(length=512), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False, comment="match or not_a_match"),
        sa.Column("reviewer", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True, comment="the key's authority"),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_screening_decisions_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_decisions")),
    )
    op.create_index(
        op.f("ix_screening_decisions_normalised_name_entity_id"),
        "screening_decisions",
        ["normalised_name", "entity_id"],
        unique=False,
    )
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consumer_code", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("last_decision", sa.String(length=16), nullable=True),
        sa.Column("last_data_version", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_watches_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
        sa.UniqueConstraint(
            "consumer_code",
            "entity_id",
            "measure",
            name=op.f("uq_watches_consumer_code_entity_id_measure"),
        ),
    )
    op.create_index(op.f("ix_watches_entity_id"), "watches", ["entity_id"], unique=False)
    op.add_column(
        "record_versions",
        sa.Column(
            "ended_on",
            sa.Date(),
            nullable=True,
            comment="the record stopped being in effect on this day (see end_reason)",
        ),
    )
    op.add_column("record_versions", sa.Column("end_reason", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_records_record_type"), "records", ["record_type"], unique=False)


def downgrade() -> None:
    for table in (
        "watches",
        "screening_decisions",
        "list_entries",
        "check_results",
        "check_feedback",
        "webhooks",
        "webhook_deliveries",
        "list_revisions",
        "checks",
    ):
        op.drop_table(table)
    op.drop_index("ix_records_record_type", table_name="records")
    with op.batch_alter_table("record_versions") as batch:
        batch.drop_column("end_reason")
        batch.drop_column("ended_on")
