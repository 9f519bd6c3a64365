from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class BiasFlag(SQLModel, table=True):
    """A flag the service raised by itself, with its evidence. Only a coordinator may dismiss one,
    with a reason; a flag whose evidence disappears (the record was corrected) is withdrawn."""

    __tablename__ = "bias_flag"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    kind: str = Field(max_length=60)
    evidence: dict[str, Any] = Field(sa_type=JSON)
    raised_at: datetime = utc_field()
    dismissed_at: datetime | None = utc_field(nullable=True, default=None)
    dismissed_by: str | None = Field(default=None, max_length=80)
    dismissal_reason: str | None = Field(default=None, sa_type=Text)
    withdrawn_at: datetime | None = utc_field(nullable=True, default=None)
