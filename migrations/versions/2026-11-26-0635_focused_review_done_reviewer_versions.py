"""Whether a focused review was done; a row version for reviewers (their ETag).

Revision ID: bfff08b1487c
Revises: d5f171abc6cd
Create Date: 2026-11-26 06:35:37.332010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bfff08b1487c"
down_revision: str | None = "d5f171abc6cd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows: no focused review recorded as done; reviewers at version 1. The defaults only fill
    # existing rows and are dropped again: the service always writes these columns itself.
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("focused_review_done", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("focused_review_done", server_default=None)
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("focused_review_done")
