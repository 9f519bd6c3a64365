"""Foundation: areas, staff users, integrator clients, notifications, audit trail, idempotency keys.

Revision ID: a35f607fa7b4
Revises:
Create Date: 2026-11-26 05:47:26.161491
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a35f607fa7b4"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("ods_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ods_code", name=op.f("pk_area")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_object_id"), ["object_id"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("request_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resource_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("owner", "key", name=op.f("uq_idempotency_record_owner")),
    )
    op.create_table(
        "integrator_client",
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("secret_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_integrator_client")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("review_route", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("closure_reason", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("nhs_number", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("date_of_death", sa.Date(), nullable=False),
        sa.Column("age_at_death", sa.Integer(), nullable=False),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ethnic_category", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("learning_disability_level", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("autism", sa.Boolean(), nullable=False),
        sa.Column("lived_alone", sa.Boolean(), nullable=True),
        sa.Column("out_of_area_placement", sa.Boolean(), nullable=True),
        sa.Column("place_of_death", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("died_in_england", sa.Boolean(), nullable=False),
        sa.Column("national_data_opt_out", sa.Boolean(), nullable=False),
        sa.Column("cause_of_death", sa.JSON(), nullable=False),
        sa.Column("dnacpr_in_place", sa.Boolean(), nullable=True),
        sa.Column("dnacpr_rationale", sa.Text(), nullable=True),
        sa.Column("other_processes", sa.JSON(), nullable=False),
        sa.Column("notifier", sa.JSON(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["area_ods"], ["area.ods_code"], name=op.f("fk_notification_area_ods_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_area_list", ["area_ods", "notified_on", "id"], unique=False)
        batch_op.create_index("uq_notification_nhs_number_date_of_death", ["nhs_number", "date_of_death"], unique=True)

    op.create_table(
        "staff_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("area_ods", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("external_subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role IN ('coordinator', 'reviewer') AND area_ods IS NOT NULL) OR (role IN ('national', 'admin') AND area_ods IS NULL)",
            name=op.f("ck_staff_user_role_area"),
        ),
        sa.ForeignKeyConstraint(["area_ods"], ["area.ods_code"], name=op.f("fk_staff_user_area_ods_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
        sa.UniqueConstraint("external_subject", name=op.f("uq_staff_user_external_subject")),
    )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_user_area_ods"), ["area_ods"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_user_area_ods"))

    op.drop_table("staff_user")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("uq_notification_nhs_number_date_of_death")
        batch_op.drop_index("ix_notification_area_list")

    op.drop_table("notification")
    op.drop_table("integrator_client")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_object_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor"))

    op.drop_table("audit_event")
    op.drop_table("area")
