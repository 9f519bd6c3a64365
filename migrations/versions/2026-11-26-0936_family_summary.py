"""Families choose whether to receive the completed review's summary; coordinators release it.

Revision ID: 27454d4e07cf
Revises: 82585bed3d4b
Create Date: 2026-11-26 09:36:30.758783
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "27454d4e07cf"
down_revision: str | None = "82585bed3d4b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_summary",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_family_summary_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_family_summary")),
    )
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wants_summary", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.drop_column("wants_summary")
    op.drop_table("family_summary")
