from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class WorkerLease(SQLModel, table=True):
    """A named job one worker holds at a time, until it renews or the lease runs out (a dead worker's
    lease lapses, and another takes over)."""

    __tablename__ = "worker_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=80)
    expires_at: datetime = utc_field()
