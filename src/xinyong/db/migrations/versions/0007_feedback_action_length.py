"""Check feedback: room for every action ("exception_applied" has 17 characters; the column
had 16, which PostgreSQL enforced and SQLite did not).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_feedback") as batch:
        batch.alter_column("action", existing_type=sa.String(length=16), type_=sa.String(length=32))


def downgrade() -> None:
    with op.batch_alter_table("check_feedback") as batch:
        batch.alter_column("action", existing_type=sa.String(length=32), type_=sa.String(length=16))
