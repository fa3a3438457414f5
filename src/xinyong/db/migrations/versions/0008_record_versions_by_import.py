"""Record versions by import: the subjects an import touched are found by index, not by
reading every version (the lists are refreshed for them when the import finishes).

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


def downgrade() -> None:
    op.drop_index("ix_record_versions_import_id", table_name="record_versions")
