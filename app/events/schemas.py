from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EventView(BaseModel):
    id: uuid.UUID = Field(description="Unique; receivers deduplicate on it.")
    type: str
    occurred_at: datetime
    notification_id: uuid.UUID | None
    area: str | None
    payload: dict[str, Any] = Field(
        description='Ids, stages, and what the client\'s scopes allow (docs/integrators.md, "Scopes").'
    )
    cursor: str = Field(description="Resume after this event with `after=`.")


class EventPage(BaseModel):
    items: list[EventView]
    next_cursor: str = Field(description="Pass as `after` for the next page; the same when nothing is new yet.")
