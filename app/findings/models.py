from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class FindingsRecord(SQLModel, table=True):
    """The current findings of a review; one per notification, versioned for If-Match."""

    __tablename__ = "findings"

    notification_id: uuid.UUID = Field(foreign_key="notification.id", primary_key=True)
    version: int = 1
    data: dict[str, Any] = Field(sa_type=JSON)
    saved_at: datetime = utc_field()
    saved_by: str = Field(max_length=80)


class FindingsVersion(SQLModel, table=True):
    """Every saved version, kept: who changed what, and when."""

    __tablename__ = "findings_version"
    __table_args__ = (UniqueConstraint("notification_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    version: int
    data: dict[str, Any] = Field(sa_type=JSON)
    changed: list[str] = Field(sa_type=JSON)
    saved_at: datetime = utc_field()
    saved_by: str = Field(max_length=80)
