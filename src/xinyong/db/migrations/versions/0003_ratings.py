"""Ratings: each subject's current grade per scheme, with what it was computed from.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("scheme_version", sa.String(32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score_units", sa.BigInteger(), nullable=False, comment="score x 10,000 (exact)"),
        sa.Column("grade", sa.String(8), nullable=False),
        sa.Column(
            "valid_until", sa.Date(), nullable=True, comment="last day before an input changes"
        ),
        sa.Column(
            "fingerprint", sa.String(32), nullable=False, comment="md5 of the record versions"
        ),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False, comment="records changed since"),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_ratings_entity_id_entities"
        ),
        sa.PrimaryKeyConstraint("entity_id", "scheme", name="pk_ratings"),
    )
    op.create_index("ix_ratings_scheme_grade", "ratings", ["scheme", "grade"])
    op.create_index("ix_ratings_valid_until", "ratings", ["valid_until"])


def downgrade() -> None:
    op.drop_table("ratings")
