"""Verifiable credit reports: one row per issued report.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column(
            "id", sa.String(length=32), nullable=False, comment="the report id printed on it"
        ),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("view", sa.String(length=16), nullable=False, comment="public or full"),
        sa.Column(
            "content_sha256", sa.String(length=64), nullable=False, comment="of the report's data"
        ),
        sa.Column(
            "pdf_sha256", sa.String(length=64), nullable=False, comment="of the signed PDF bytes"
        ),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_reports_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index(
        op.f("ix_reports_entity_id_issued_at"), "reports", ["entity_id", "issued_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reports_entity_id_issued_at"), table_name="reports")
    op.drop_table("reports")
