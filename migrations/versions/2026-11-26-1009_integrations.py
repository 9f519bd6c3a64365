"""Integrations: the change feed's commit order, SLA alerts announced once, worker leases.

Revision ID: b12f8b494cf9
Revises: 27454d4e07cf
Create Date: 2026-11-26 10:09:36.443151
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b12f8b494cf9"
down_revision: str | None = "27454d4e07cf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL: each event carries the id of the transaction that wrote it (see app/events/feed.py).
WRITING_TRANSACTION = "(pg_current_xact_id()::text::bigint)"


def upgrade() -> None:
    op.create_table(
        "worker_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_lease")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_alerted", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))

    # Events written before this revision come first, in id order (0); later ones get their default.
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tx_order", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_index("ix_outbox_event_feed_order", ["tx_order", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("outbox_event", "tx_order", server_default=sa.text(WRITING_TRANSACTION))


def downgrade() -> None:
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_event_feed_order")
        batch_op.drop_column("tx_order")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("sla_alerted")
    op.drop_table("worker_lease")
