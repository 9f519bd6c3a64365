"""notification.notified_month (YYYYMM) and its index: national oversight's lists, ordered by month, read
51 rows of an index instead of sorting every notification for every page (1.8 s a page at 1,000,000).

Revision ID: 7d1e5b3c9a20
Revises: 4f7c2a91d0e3
Create Date: 2026-12-04 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d1e5b3c9a20"
down_revision: str | None = "4f7c2a91d0e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("notified_month", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE notification SET notified_month = "
            "EXTRACT(YEAR FROM notified_on)::int * 100 + EXTRACT(MONTH FROM notified_on)::int"
        )
    else:
        op.execute("UPDATE notification SET notified_month = CAST(strftime('%Y%m', notified_on) AS INTEGER)")
    with op.batch_alter_table("notification") as batch:
        batch.alter_column("notified_month", existing_type=sa.Integer(), nullable=False)
    op.create_index("ix_notification_notified_month", "notification", ["notified_month", "id"])


def downgrade() -> None:
    op.drop_index("ix_notification_notified_month", table_name="notification")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("notified_month")
