"""Indexes for the worker's pruning: idempotency records and delivered webhook deliveries by age.

Revision ID: 915adcbd0613
Revises: b3d3b447566d
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "915adcbd0613"
down_revision: str | None = "b3d3b447566d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_record_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_delivery_delivered_at"), ["delivered_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_delivered_at"))
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_created_at"))
