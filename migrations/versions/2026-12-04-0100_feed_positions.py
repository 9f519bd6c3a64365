"""The change feed orders events by a position the relay gives them after commit, not by transaction id.

Ordering by the writing transaction and serving only what is older than every running transaction
(`pg_snapshot_xmin`) let any open transaction on the cluster stop the feed; see app/events/relay.py.
Existing events take positions 1, 2, 3... in the order the old feed served them (transaction, id), so
a cursor given out before ("transaction.id") still resumes at the same place, and the webhook
fan-out's place moves to the position of the event it had reached. A statement trigger on PostgreSQL
wakes the relay (NOTIFY) as each transaction writing events commits.

Downgrade puts events back in id order (the transaction ids they were written by are gone).

Revision ID: b3d3b447566d
Revises: 3b5f0c7d9e21
Create Date: 2026-12-04 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3d3b447566d"
down_revision: str | None = "3b5f0c7d9e21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPOSITIONED = sa.text("position IS NULL")
WRITING_TRANSACTION = "(pg_current_xact_id()::text::bigint)"
# Named after the channel app/events/relay.py listens on (WAKE_CHANNEL).
WAKE_FUNCTION = """
CREATE FUNCTION leder_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leder_outbox', '');  -- delivered at commit, and only then; folded to one per transaction
    RETURN NULL;
END
$$
"""
WAKE_TRIGGER = (
    "CREATE TRIGGER outbox_event_wake AFTER INSERT ON outbox_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION leder_outbox_wake()"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE outbox_event SET position = numbered.position FROM "
        "(SELECT id, row_number() OVER (ORDER BY tx_order, id) AS position FROM outbox_event) AS numbered "
        "WHERE outbox_event.id = numbered.id"
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_event_feed_order")
        batch_op.drop_column("tx_order")
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_event_position"), ["position"])
    op.create_index(
        "ix_outbox_event_unpositioned",
        "outbox_event",
        ["id"],
        unique=False,
        postgresql_where=UNPOSITIONED,
        sqlite_where=UNPOSITIONED,
    )

    with op.batch_alter_table("feed_position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE feed_position SET position = "
        "coalesce((SELECT position FROM outbox_event WHERE outbox_event.id = feed_position.event_id), 0)"
    )
    with op.batch_alter_table("feed_position", schema=None) as batch_op:
        batch_op.alter_column("position", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("event_id")
        batch_op.drop_column("tx_order")

    if postgres:
        op.execute(WAKE_FUNCTION)
        op.execute(WAKE_TRIGGER)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER outbox_event_wake ON outbox_event")
        op.execute("DROP FUNCTION leder_outbox_wake()")

    with op.batch_alter_table("feed_position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tx_order", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("event_id", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE feed_position SET event_id = "
        "coalesce((SELECT id FROM outbox_event WHERE outbox_event.position = feed_position.position), 0)"
    )
    with op.batch_alter_table("feed_position", schema=None) as batch_op:
        batch_op.alter_column("tx_order", existing_type=sa.BigInteger(), server_default=None)
        batch_op.alter_column("event_id", existing_type=sa.Integer(), server_default=None)
        batch_op.drop_column("position")

    op.drop_index("ix_outbox_event_unpositioned", table_name="outbox_event")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_event_position"), type_="unique")
        batch_op.drop_column("position")
        batch_op.add_column(sa.Column("tx_order", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_index("ix_outbox_event_feed_order", ["tx_order", "id"], unique=False)
    if postgres:
        op.alter_column("outbox_event", "tx_order", server_default=sa.text(WRITING_TRANSACTION))
