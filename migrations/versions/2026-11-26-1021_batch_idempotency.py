"""A batch of notifications under an Idempotency-Key keeps its per-item answer (ids and errors only).

Revision ID: 880b08b80beb
Revises: b12f8b494cf9
Create Date: 2026-11-26 10:21:47.718916
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "880b08b80beb"
down_revision: str | None = "b12f8b494cf9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_column("response")
