"""The area's action plan: plan actions, their themes and updates, and each signed-off review's themes.

The SMART actions in findings already signed off become plan actions (and those reviews' themes are
recorded), so the plan starts complete. The theme rules are copied here, frozen, as they stood when this
revision was written (app/actions/rules.py may change later; a migration must not).

Revision ID: c1f4767ef51c
Revises: 915adcbd0613
Create Date: 2026-12-04 04:09:48.838023
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c1f4767ef51c"
down_revision: str | None = "915adcbd0613"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("source_index", sa.Integer(), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner_organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("overdue_announced_for", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["area_ods"], ["area.ods_code"], name=op.f("fk_plan_action_area_ods_area")),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_plan_action_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action")),
        sa.UniqueConstraint("notification_id", "source_index", name="uq_plan_action_source"),
    )
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.create_index("ix_plan_action_area_status_due", ["area_ods", "status", "due_on", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_action_notification_id"), ["notification_id"], unique=False)
        batch_op.create_index(
            "ix_plan_action_open_due",
            ["due_on", "area_ods"],
            unique=False,
            postgresql_where=sa.text("status IN ('planned', 'in_progress')"),
            sqlite_where=sa.text("status IN ('planned', 'in_progress')"),
        )

    op.create_table(
        "review_theme",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("signed_off_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_review_theme_notification_id_notification")
        ),
        sa.PrimaryKeyConstraint("notification_id", "theme", name=op.f("pk_review_theme")),
    )
    with op.batch_alter_table("review_theme", schema=None) as batch_op:
        batch_op.create_index("ix_review_theme_area_day", ["area_ods", "signed_off_on", "theme"], unique=False)

    op.create_table(
        "plan_action_theme",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["plan_action.id"], name=op.f("fk_plan_action_theme_action_id_plan_action")
        ),
        sa.PrimaryKeyConstraint("action_id", "theme", name=op.f("pk_plan_action_theme")),
    )
    with op.batch_alter_table("plan_action_theme", schema=None) as batch_op:
        batch_op.create_index("ix_plan_action_theme_area_theme", ["area_ods", "theme"], unique=False)

    op.create_table(
        "plan_action_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("from_due_on", sa.Date(), nullable=False),
        sa.Column("to_due_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_reference", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["plan_action.id"], name=op.f("fk_plan_action_update_action_id_plan_action")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action_update")),
    )
    with op.batch_alter_table("plan_action_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_action_update_action_id"), ["action_id"], unique=False)

    plan_signed_off_actions()


def downgrade() -> None:
    with op.batch_alter_table("plan_action_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_update_action_id"))

    op.drop_table("plan_action_update")
    with op.batch_alter_table("plan_action_theme", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_action_theme_area_theme")

    op.drop_table("plan_action_theme")
    with op.batch_alter_table("review_theme", schema=None) as batch_op:
        batch_op.drop_index("ix_review_theme_area_day")

    op.drop_table("review_theme")
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_plan_action_open_due",
            postgresql_where=sa.text("status IN ('planned', 'in_progress')"),
            sqlite_where=sa.text("status IN ('planned', 'in_progress')"),
        )
        batch_op.drop_index(batch_op.f("ix_plan_action_notification_id"))
        batch_op.drop_index("ix_plan_action_area_status_due")

    op.drop_table("plan_action")


_FLAG_KINDS = {"learning_disability_as_cause_of_death", "learning_disability_as_dnacpr_rationale"}
_OPEN = {"planned", "in_progress"}
_CHUNK = 1000

notification = sa.table(
    "notification",
    sa.column("id", sa.Uuid()),
    sa.column("area_ods", sa.String()),
    sa.column("stage", sa.String()),
    sa.column("completed_on", sa.Date()),
)
findings = sa.table("findings", sa.column("notification_id", sa.Uuid()), sa.column("data", sa.JSON()))
bias_flag = sa.table(
    "bias_flag",
    sa.column("notification_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("dismissed_at", sa.DateTime(timezone=True)),
)
plan_action = sa.table(
    "plan_action",
    *(sa.column(name, type_) for name, type_ in (
        ("id", sa.Uuid()), ("area_ods", sa.String()), ("notification_id", sa.Uuid()), ("source_index", sa.Integer()),
        ("what", sa.Text()), ("owner_organisation", sa.String()), ("due_on", sa.Date()), ("status", sa.String()),
        ("closed_on", sa.Date()), ("version", sa.Integer()), ("created_at", sa.DateTime(timezone=True)),
        ("created_by", sa.String()),
    )),
)  # fmt: skip
plan_action_theme = sa.table(
    "plan_action_theme",
    sa.column("action_id", sa.Uuid()),
    sa.column("theme", sa.String()),
    sa.column("area_ods", sa.String()),
)
review_theme = sa.table(
    "review_theme",
    sa.column("notification_id", sa.Uuid()),
    sa.column("theme", sa.String()),
    sa.column("area_ods", sa.String()),
    sa.column("signed_off_on", sa.Date()),
)


def _themes(data: dict[str, Any], kinds: set[str]) -> list[str]:
    factors = [f for f in data.get("contributory_factors") or [] if isinstance(f, str)]
    themes = {f"contributory_factor.{f}" for f in factors}
    themes |= {f"bias_flag.{k}" for k in kinds & _FLAG_KINDS}
    dnacpr = data.get("dnacpr") or {}
    if dnacpr.get("in_place") and (dnacpr.get("appropriate") is False or dnacpr.get("correctly_completed") is False):
        themes.add("dnacpr")
    if data.get("mental_capacity_act_applied") is False or "mental_capacity_act_not_applied" in factors:
        themes.add("mental_capacity_act")
    if data.get("grade") in (4, 5, 6):
        themes.add("grade_4_to_6")
    return sorted(themes)


def plan_signed_off_actions() -> None:
    """Signed-off reviews (stage completed), a chunk at a time by id: their themes and their SMART actions."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    after: uuid.UUID | None = None
    while True:
        query = (
            sa.select(notification.c.id, notification.c.area_ods, notification.c.completed_on, findings.c.data)
            .join(findings, findings.c.notification_id == notification.c.id)
            .where(notification.c.stage == "completed", notification.c.completed_on.is_not(None))
            .order_by(notification.c.id)
            .limit(_CHUNK)
        )
        if after is not None:
            query = query.where(notification.c.id > after)
        rows = bind.execute(query).all()
        if not rows:
            return
        after = rows[-1].id
        kinds: dict[uuid.UUID, set[str]] = {}
        for flag in bind.execute(
            sa.select(bias_flag.c.notification_id, bias_flag.c.kind).where(
                bias_flag.c.notification_id.in_([r.id for r in rows]), bias_flag.c.dismissed_at.is_(None)
            )
        ):
            kinds.setdefault(flag.notification_id, set()).add(flag.kind)
        reviews, actions, action_themes = [], [], []
        for row in rows:
            data = row.data if isinstance(row.data, dict) else {}
            themes = _themes(data, kinds.get(row.id, set()))
            reviews += [
                {"notification_id": row.id, "theme": t, "area_ods": row.area_ods, "signed_off_on": row.completed_on}
                for t in themes
            ]
            for index, smart in enumerate(data.get("actions") or []):
                status = smart.get("status") or "planned"
                action_id = uuid.uuid4()
                actions.append({
                    "id": action_id, "area_ods": row.area_ods, "notification_id": row.id, "source_index": index,
                    "what": smart["what"], "owner_organisation": smart["owner_organisation"],
                    "due_on": datetime.strptime(smart["due_on"], "%Y-%m-%d").date(), "status": status,
                    "closed_on": None if status in _OPEN else row.completed_on, "version": 1, "created_at": now,
                    "created_by": "migration:action-plan",
                })  # fmt: skip
                action_themes += [{"action_id": action_id, "theme": t, "area_ods": row.area_ods} for t in themes]
        for table, values in ((review_theme, reviews), (plan_action, actions), (plan_action_theme, action_themes)):
            if values:
                bind.execute(table.insert(), values)
