from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class IdempotencyRecord(SQLModel, table=True):
    """A create that succeeded under an `Idempotency-Key`, so that a retry gets the same answer.

    It keeps the created record's id, not the response body: no second copy of personal data. A batch
    keeps its per-item results, which hold ids, statuses and field errors only.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=80)
    key: str = Field(max_length=255)
    request_sha256: str = Field(max_length=64)
    resource_id: str = Field(max_length=64)
    response: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = utc_field(index=True)  # the worker prunes by age (app/worker/retention.py)
