"""Reviewers' findings, current and every saved version.

Revision ID: d44f75de1214
Revises: fa37979b4ae3
Create Date: 2026-11-26 06:59:27.613829
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d44f75de1214"
down_revision: str | None = "fa37979b4ae3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_findings_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_findings")),
    )
    op.create_table(
        "findings_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_findings_version_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings_version")),
        sa.UniqueConstraint("notification_id", "version", name=op.f("uq_findings_version_notification_id")),
    )
    with op.batch_alter_table("findings_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_version_notification_id"), ["notification_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("findings_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_version_notification_id"))

    op.drop_table("findings_version")
    op.drop_table("findings")
