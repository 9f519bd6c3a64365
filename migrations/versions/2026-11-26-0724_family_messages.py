"""Families' concerns (with an acknowledgement date) and what they said went well.

Revision ID: 82585bed3d4b
Revises: 22e066b332f5
Create Date: 2026-11-26 07:24:02.758147
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "82585bed3d4b"
down_revision: str | None = "22e066b332f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["family_invitation.id"], name=op.f("fk_family_message_invitation_id_family_invitation")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_family_message_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_message")),
    )
    with op.batch_alter_table("family_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_message_invitation_id"), ["invitation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_family_message_notification_id"), ["notification_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("family_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_message_notification_id"))
        batch_op.drop_index(batch_op.f("ix_family_message_invitation_id"))

    op.drop_table("family_message")
