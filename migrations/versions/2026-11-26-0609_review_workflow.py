"""Review workflow: reviewers, allocation, stages with history and outbox events, holds, SLA columns.

Revision ID: d5f171abc6cd
Revises: a35f607fa7b4
Create Date: 2026-11-26 06:09:31.187930
"""

import calendar
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d5f171abc6cd"
down_revision: str | None = "a35f607fa7b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviewer_profile",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisations", sa.JSON(), nullable=False),
        sa.Column("max_active_reviews", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_reviewer_profile_user_id_staff_user")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_reviewer_profile")),
    )
    op.create_table(
        "history_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("from_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_history_entry_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_entry")),
    )
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_entry_notification_id"), ["notification_id"], unique=False)

    op.create_table(
        "hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("expected_end_on", sa.Date(), nullable=True),
        sa.Column("stage_before", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_hold_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_notification_id"), ["notification_id"], unique=False)

    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_outbox_event_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_event_id")),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_event_notification_id"), ["notification_id"], unique=False)

    # New NOT NULL columns arrive nullable, are filled for existing rows, then tightened.
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("care_providers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewer_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("focused_review_requested_by_family", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("focused_review_waiver", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("sla_due_ordinal", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_since_ordinal", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))

    _backfill()

    with op.batch_alter_table("notification", schema=None) as batch_op:
        for name in (
            "care_providers",
            "version",
            "stage_changed_at",
            "focused_review_requested_by_family",
            "sla_due_ordinal",
        ):
            batch_op.alter_column(name, nullable=False)
        batch_op.create_index("ix_notification_area_due", ["area_ods", "sla_due_ordinal", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_reviewer_id"), ["reviewer_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_reviewer_id_staff_user"), "staff_user", ["reviewer_id"], ["id"]
        )


def _add_six_months(day: date) -> date:
    # Frozen here on purpose: a migration must not change meaning when app code changes later.
    month_index = day.month - 1 + 6
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _backfill() -> None:
    """Existing notifications have had no holds, allocations or stage changes: their clock is the raw one."""
    bind = op.get_bind()
    notification = sa.table(
        "notification",
        sa.column("id", sa.Uuid()),
        sa.column("notified_on", sa.Date()),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("care_providers", sa.JSON()),
        sa.column("version", sa.Integer()),
        sa.column("stage_changed_at", sa.DateTime(timezone=True)),
        sa.column("focused_review_requested_by_family", sa.Boolean()),
        sa.column("sla_due_ordinal", sa.Integer()),
    )
    rows = bind.execute(sa.select(notification.c.id, notification.c.notified_on, notification.c.received_at)).all()
    for row in rows:
        bind.execute(
            notification.update()
            .where(notification.c.id == row.id)
            .values(
                care_providers=[],
                version=1,
                stage_changed_at=row.received_at,
                focused_review_requested_by_family=False,
                sla_due_ordinal=_add_six_months(row.notified_on).toordinal(),
            )
        )
    # Every reviewer gets the profile allocation needs; administrators may have added reviewers.
    staff = sa.table(
        "staff_user",
        sa.column("id", sa.Uuid()),
        sa.column("role", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    profile = sa.table(
        "reviewer_profile",
        sa.column("user_id", sa.Uuid()),
        sa.column("organisations", sa.JSON()),
        sa.column("max_active_reviews", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    for reviewer in bind.execute(sa.select(staff.c.id, staff.c.created_at).where(staff.c.role == "reviewer")).all():
        bind.execute(
            profile.insert().values(
                user_id=reviewer.id, organisations=[], max_active_reviews=10, created_at=reviewer.created_at
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notification_reviewer_id_staff_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notification_reviewer_id"))
        batch_op.drop_index("ix_notification_area_due")
        batch_op.drop_column("sla_outcome")
        batch_op.drop_column("sla_paused_since_ordinal")
        batch_op.drop_column("sla_due_ordinal")
        batch_op.drop_column("focused_review_waiver")
        batch_op.drop_column("focused_review_requested_by_family")
        batch_op.drop_column("completed_on")
        batch_op.drop_column("stage_changed_at")
        batch_op.drop_column("reviewer_id")
        batch_op.drop_column("version")
        batch_op.drop_column("care_providers")

    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_event_notification_id"))

    op.drop_table("outbox_event")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_notification_id"))

    op.drop_table("hold")
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_entry_notification_id"))

    op.drop_table("history_entry")
    op.drop_table("reviewer_profile")
