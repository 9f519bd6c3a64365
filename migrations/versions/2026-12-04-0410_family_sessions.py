"""Family codes last for the review: sessions kept server-side, invitations' last visit, no fixed expiry;
areas' contact details.

Revision ID: 4f7c2a91d0e3
Revises: c1f4767ef51c
Create Date: 2026-12-04 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f7c2a91d0e3"
down_revision: str | None = "c1f4767ef51c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_seconds", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["family_invitation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("family_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_session_invitation_id"), ["invitation_id"], unique=False)
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_visit_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    # Codes given out before now last for the review too (they had a fixed 28 days).
    op.execute("UPDATE family_invitation SET expires_at = NULL")
    op.create_table(
        "area_contact",
        sa.Column("area_ods", sa.String(length=6), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("postal_address", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["area_ods"], ["area.ods_code"]),
        sa.PrimaryKeyConstraint("area_ods"),
    )


def downgrade() -> None:
    op.drop_table("area_contact")
    op.execute("UPDATE family_invitation SET expires_at = created_at WHERE expires_at IS NULL")
    with op.batch_alter_table("family_invitation", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_column("last_visit_at")
    with op.batch_alter_table("family_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_session_invitation_id"))
    op.drop_table("family_session")
