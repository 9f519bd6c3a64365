from __future__ import annotations

import uuid
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


class SlaAlert(SQLModel, table=True):
    """The SLA state last announced for a review (at_risk or breached); no row while it is on track.

    Apart from the notification so that the sweep, its only writer, changes a narrow row with one index
    rather than writing a new version of the wide notification row and an entry in each of its indexes.
    A closed review's row stays as it was: the sweep only looks at open reviews.
    """

    __tablename__ = "sla_alert"

    notification_id: uuid.UUID = Field(foreign_key="notification.id", primary_key=True)
    state: str = Field(max_length=10)
