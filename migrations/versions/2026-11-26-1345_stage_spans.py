"""Stage spans: which stage each review was in over which days, for reports as of a past date; report indexes.

Existing reviews get their spans from their timelines (every stage change is a history entry). A change's
day is taken as the UTC date of its timestamp, close enough for the demo data that existed before this.

Revision ID: 5a9e1c2d3b40
Revises: 87ddd0278ebd
Create Date: 2026-11-26 13:45:00
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5a9e1c2d3b40"
down_revision: str | None = "87ddd0278ebd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STILL_OPEN = dt.date(9999, 12, 31)
OPEN_STAGES = {"notified", "allocated", "initial_review", "focused_review", "awaiting_sign_off", "on_hold"}


def upgrade() -> None:
    op.create_table(
        "stage_span",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_stage_span_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_span")),
    )
    with op.batch_alter_table("stage_span", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stage_span_ended_on", ["ended_on", "started_on", "area_ods", "stage", "notified_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stage_span_notification_id"), ["notification_id"], unique=False)
        batch_op.create_index(
            "ix_stage_span_started_on", ["started_on", "ended_on", "area_ods", "stage", "notified_on"], unique=False
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_notified_on", ["notified_on", "id", "area_ods"], unique=False)
        batch_op.create_index(
            "ix_notification_completed_on", ["completed_on", "area_ods", "notified_on", "sla_outcome"], unique=False
        )
    _spans_from_history()


def _spans_from_history() -> None:
    connection = op.get_bind()
    notifications = {
        row.id: row for row in connection.execute(sa.text("SELECT id, area_ods, notified_on FROM notification"))
    }
    changes = connection.execute(
        sa.text(
            "SELECT notification_id, kind, at, to_stage FROM history_entry "
            "WHERE to_stage IS NOT NULL ORDER BY notification_id, at, id"
        )
    )
    spans: list[dict[str, object]] = []
    open_span: dict[object, dict[str, object]] = {}
    for change in changes:
        notification = notifications.get(change.notification_id)
        if notification is None:
            continue
        on = _day(notification.notified_on if change.kind == "notified" else change.at)
        previous = open_span.pop(change.notification_id, None)
        if previous is not None:
            previous["ended_on"] = on
        if change.to_stage in OPEN_STAGES:
            span = {
                "notification_id": uuid.UUID(str(change.notification_id)),
                "area_ods": notification.area_ods,
                "stage": change.to_stage,
                "started_on": on,
                "ended_on": STILL_OPEN,
                "notified_on": _day(notification.notified_on),
            }
            spans.append(span)
            open_span[change.notification_id] = span
    if spans:
        table = sa.table(
            "stage_span",
            sa.column("notification_id", sa.Uuid()),
            sa.column("area_ods", sa.String()),
            sa.column("stage", sa.String()),
            sa.column("started_on", sa.Date()),
            sa.column("ended_on", sa.Date()),
            sa.column("notified_on", sa.Date()),
        )
        op.bulk_insert(table, spans)


def _day(value: object) -> dt.date:
    if isinstance(value, str):  # SQLite hands back text
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.date()
    assert isinstance(value, dt.date)
    return value


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_completed_on")
        batch_op.drop_index("ix_notification_notified_on")
    with op.batch_alter_table("stage_span", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_span_started_on")
        batch_op.drop_index(batch_op.f("ix_stage_span_notification_id"))
        batch_op.drop_index("ix_stage_span_ended_on")
    op.drop_table("stage_span")
