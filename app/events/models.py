from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, FetchedValue, Index
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class OutboxEvent(SQLModel, table=True):
    """A state change for other systems, written in the same transaction as the change itself
    (transactional outbox): if the change commits, so does its event; if it rolls back, neither exists.

    The payload holds ids, stages and dates only, never identifiable data.
    """

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_feed_order", "tx_order", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = Field(max_length=60)
    occurred_at: datetime = utc_field()
    notification_id: uuid.UUID | None = Field(default=None, foreign_key="notification.id", index=True)
    area_ods: str | None = Field(default=None, max_length=6)
    payload: dict[str, Any] = Field(sa_type=JSON)
    # The feed's order. PostgreSQL: the writing transaction's id (a column default set in the migration),
    # so the feed can serve only what no running transaction can still add to. SQLite: 0, because
    # its one-writer-at-a-time transactions already make the row id the commit order.
    tx_order: int | None = Field(
        default=None, sa_type=BigInteger, sa_column_kwargs={"server_default": FetchedValue(), "nullable": False}
    )
