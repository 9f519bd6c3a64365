"""The coordinator's worklist (an area's open reviews by due date) from an index, not the area's every row.

ix_notification_area_due (area_ods, sla_due_ordinal, id) could only find an area's rows: the list sorts
by the live due date, a CASE over two columns, and filters on the stage, so PostgreSQL read every one of
the area's notifications (about 7,700 heap rows, 1,800 blocks, at 1,000,000 notifications) to keep the
900 open ones. With the stage second and the paused day in the index, the open rows' keys are read from
the index alone (about 100 blocks), sorted, and only the page's rows fetched. The SLA-state filters
(stage, due day, paused day) use it too.

Revision ID: 7e1d2c3b4a59
Revises: c0ffee123456
Create Date: 2026-11-26 17:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7e1d2c3b4a59"
down_revision: str | None = "c0ffee123456"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["area_ods", "stage", "sla_due_ordinal", "sla_paused_since_ordinal", "id"]


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_area_due")
        batch_op.create_index("ix_notification_area_stage_due", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_area_stage_due")
        batch_op.create_index("ix_notification_area_due", ["area_ods", "sla_due_ordinal", "id"], unique=False)
