from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import InputModel
from app.core.models import ODS_CODE_PATTERN
from app.events.service import EventType


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"  # gave up after the last attempt; replay to try again


class EndpointCreate(InputModel):
    url: str = Field(min_length=8, max_length=2000, examples=["https://dashboard.example.nhs.uk/leder-hook"])
    event_types: list[EventType] = Field(default_factory=list, description="Empty: every type.")
    areas: list[Annotated[str, Field(pattern=ODS_CODE_PATTERN)]] = Field(
        default_factory=list, max_length=300, description="ODS codes, within the client's; empty: all of them."
    )


class EndpointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[str]
    areas: list[str]
    active: bool
    disabled_reason: str | None
    created_at: datetime


class EndpointCreated(EndpointPublic):
    secret: str = Field(description="Verify our signatures with it (Standard Webhooks). Shown only this once.")


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
