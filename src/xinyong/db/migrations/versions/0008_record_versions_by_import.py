"""Import speed: record versions are indexed by import, so the subjects an import touched
are found without reading every version (their lists are refreshed when it finishes); the
records' unique (provider, provider record id) goes, as the primary key, derived from that
pair, already keeps it unique, and every insert paid for a third B-tree.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_record_versions_import_id", "record_versions", ["import_id"])
    with op.batch_alter_table("records") as batch:
        batch.drop_constraint("uq_records_provider_code_provider_record_id", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.create_unique_constraint(
            "uq_records_provider_code_provider_record_id", ["provider_code", "provider_record_id"]
        )
    op.drop_index("ix_record_versions_import_id", table_name="record_versions")
