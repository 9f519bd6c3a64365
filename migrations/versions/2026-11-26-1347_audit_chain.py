"""Hash-chained audit rows: each carries its own hash and the previous row's.

Rows are sealed into the chain after they commit, in commit order (see app/audit/chain.py), so the
columns start null. Rows written before this revision get commit order 0 and are sealed first, by id.

Revision ID: c0ffee123456
Revises: a1b2c3d4e5f6
Create Date: 2026-11-26 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c0ffee123456"
down_revision: str | None = "a1b2c3d4e5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL: each row carries the id of the transaction that wrote it (as outbox_event does).
WRITING_TRANSACTION = "(pg_current_xact_id()::text::bigint)"
UNSEALED = sa.text("chain_seq IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tx_order", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_chain_seq"), ["chain_seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("audit_event", "tx_order", server_default=sa.text(WRITING_TRANSACTION))
    op.create_index("ix_audit_event_at", "audit_event", ["at", "id"], unique=False)
    op.create_index("ix_audit_event_area_at", "audit_event", ["area", "at", "id"], unique=False)
    op.create_index(
        "ix_audit_event_unsealed",
        "audit_event",
        ["tx_order", "id"],
        unique=False,
        postgresql_where=UNSEALED,
        sqlite_where=UNSEALED,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_unsealed", table_name="audit_event")
    op.drop_index("ix_audit_event_area_at", table_name="audit_event")
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_chain_seq"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_seq")
        batch_op.drop_column("tx_order")
