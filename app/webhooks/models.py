from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class WebhookEndpoint(SQLModel, table=True):
    """Where an integrator wants our events pushed. The signing secret is kept to sign with (HMAC
    needs it), and shown to the integrator only once, when the endpoint is registered."""

    __tablename__ = "webhook_endpoint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(foreign_key="integrator_client.client_id", index=True, max_length=64)
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(sa_type=JSON)  # empty: every type
    areas: list[str] = Field(sa_type=JSON)
    secret: str = Field(max_length=100)
    active: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: pending until delivered, retried with backoff, dead after too many
    attempts. A worker claims it for a while; a claim that lapses (the worker died) is taken again."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", index=True)
    event_id: int = Field(foreign_key="outbox_event.id")
    status: str = Field(max_length=12)  # pending, delivered, dead
    attempts: int = 0
    next_attempt_at: datetime = utc_field()
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_until: datetime | None = utc_field(nullable=True, default=None)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    delivered_at: datetime | None = utc_field(nullable=True, default=None, index=True)  # pruned by age
    created_at: datetime = utc_field()


class FeedPosition(SQLModel, table=True):
    """How far a reader of the outbox has got (the webhook fan-out): the last feed position it read."""

    __tablename__ = "feed_position"

    name: str = Field(primary_key=True, max_length=40)
    position: int = Field(default=0, sa_type=BigInteger)
