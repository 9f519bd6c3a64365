"""Bias flags the service raises itself (learning disability as a cause of death or DNACPR rationale).

Existing notifications are not scanned here: a migration must not depend on detection code that will
change. They are scanned when their record next changes.

Revision ID: fa37979b4ae3
Revises: bfff08b1487c
Create Date: 2026-11-26 06:48:59.164553
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "fa37979b4ae3"
down_revision: str | None = "bfff08b1487c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bias_flag",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("dismissal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_bias_flag_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bias_flag")),
    )
    with op.batch_alter_table("bias_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bias_flag_notification_id"), ["notification_id"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_bias_flags", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("open_bias_flags", server_default=None)  # the service writes it from here on


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("open_bias_flags")

    with op.batch_alter_table("bias_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bias_flag_notification_id"))

    op.drop_table("bias_flag")
