from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, text
from sqlmodel import Field, SQLModel

from app.core.models import utc_field

_UNPOSITIONED = text("position IS NULL")


class OutboxEvent(SQLModel, table=True):
    """A state change for other systems, written in the same transaction as the change itself
    (transactional outbox): if the change commits, so does its event; if it rolls back, neither exists.

    The payload holds ids, stages and dates only, never identifiable data.
    """

    __tablename__ = "outbox_event"
    __table_args__ = (
        # The relay's queue: only events not yet placed in the feed, so it stays small however long the feed.
        Index("ix_outbox_event_unpositioned", "id", postgresql_where=_UNPOSITIONED, sqlite_where=_UNPOSITIONED),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = Field(max_length=60)
    occurred_at: datetime = utc_field()
    notification_id: uuid.UUID | None = Field(default=None, foreign_key="notification.id", index=True)
    area_ods: str | None = Field(default=None, max_length=6)
    payload: dict[str, Any] = Field(sa_type=JSON)
    # The event's place in the change feed (1, 2, 3...), set once by the relay after the event's
    # transaction committed (app/events/relay.py); null until then, and readers never see it before.
    position: int | None = Field(default=None, sa_type=BigInteger, unique=True)
