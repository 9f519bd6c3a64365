"""Family invitations (codes kept as hashes) and the rate-limit counts for the code exchange.

Revision ID: 22e066b332f5
Revises: d44f75de1214
Create Date: 2026-11-26 07:11:17.528221
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "22e066b332f5"
down_revision: str | None = "d44f75de1214"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_event")),
    )
    with op.batch_alter_table("rate_limit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rate_limit_event_key"), ["key"], unique=False)

    op.create_table(
        "family_invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("relationship", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("contact_preference", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("code_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_family_invitation_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_invitation")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_family_invitation_code_sha256")),
    )
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_invitation_notification_id"), ["notification_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_invitation_notification_id"))

    op.drop_table("family_invitation")
    with op.batch_alter_table("rate_limit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_event_key"))
        batch_op.drop_index(batch_op.f("ix_rate_limit_event_at"))

    op.drop_table("rate_limit_event")
