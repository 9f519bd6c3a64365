"""Family sessions: a row per signed-in visit, ended at sign-out so that the token stops working at once.

Revision ID: 7d1e5b2c9a40
Revises: 915adcbd0613
Create Date: 2026-12-04 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "7d1e5b2c9a40"
down_revision: str | None = "915adcbd0613"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["family_invitation.id"],
            name="fk_family_session_invitation_id_family_invitation",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_family_session"),
    )
    op.create_index("ix_family_session_invitation_id", "family_session", ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_family_session_invitation_id", table_name="family_session")
    op.drop_table("family_session")
