"""Each area's population with a learning disability by ethnic category, for the annual report.

The general-population reference ages are settings (app.core.config), not data: nothing to migrate.

Revision ID: a1b2c3d4e5f6
Revises: 5a9e1c2d3b40
Create Date: 2026-11-26 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a1b2c3d4e5f6"
down_revision: str | None = "5a9e1c2d3b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area_population",
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("ethnic_category", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.CheckConstraint("people >= 0", name=op.f("ck_area_population_people_not_negative")),
        sa.ForeignKeyConstraint(["area_ods"], ["area.ods_code"], name=op.f("fk_area_population_area_ods_area")),
        sa.PrimaryKeyConstraint("area_ods", "ethnic_category", name=op.f("pk_area_population")),
    )


def downgrade() -> None:
    op.drop_table("area_population")
