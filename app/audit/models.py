from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class AuditEvent(SQLModel, table=True):
    """One read, write or refused attempt. Append-only: nothing in the service updates or deletes these.

    Holds ids and roles, never personal data: the object is named by its id only.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field()
    request_id: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=80, index=True)
    role: str | None = Field(default=None, max_length=20)
    area: str | None = Field(default=None, max_length=6)
    action: str = Field(max_length=80)
    object_type: str | None = Field(default=None, max_length=40)
    object_id: str | None = Field(default=None, max_length=64, index=True)
    outcome: str = Field(max_length=20)
