from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AuditEventView(BaseModel):
    """One row of the trail. Rows hold ids and roles, never personal data, so all of it is shown."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    request_id: str | None = Field(description="The `x-request-id` of the request that did it.")
    actor: str | None = Field(
        description="`user:ID`, `client:ID`, `family:INVITATION_ID`, or `cli` (an operator's `leder` command);"
        " null if unknown."
    )
    role: str | None
    area: str | None = Field(description="The actor's area (ODS code), if they belong to one.")
    action: str = Field(description="The policy action, e.g. `notification.read`.")
    object_type: str | None
    object_id: str | None
    outcome: str = Field(description="`allowed`, `denied`, `not_found`, `unauthenticated`...")
    chain_seq: int | None = Field(description="Place in the tamper-evident chain; null until sealed.")
    row_hash: str | None = Field(description="The row's hash in the chain; null until sealed.")


class AuditPage(BaseModel):
    items: list[AuditEventView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
