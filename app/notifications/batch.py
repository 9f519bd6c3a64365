"""Many notifications in one request, or from a file: each item validated and stored on its own.

Every item runs in a savepoint of the one transaction: a refused item leaves no trace, and the valid
ones are stored whatever happens to the others.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit import service as audit
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.errors import FieldError, InvalidInput, ProblemError, field_errors
from app.core.inputs import InputModel
from app.notifications.schemas import NotificationCreate
from app.notifications.service import DuplicateNotification, create_notification

BATCH_MAX_ITEMS = 500


class ItemStatus(StrEnum):
    created = "created"
    already_recorded = "already_recorded"  # an earlier run of the same item (import) or key
    duplicate = "duplicate"  # another notification of the same death exists
    invalid = "invalid"
    refused = "refused"  # e.g. an area the caller may not record for


class ItemResult(BaseModel):
    index: int = Field(description="The item's position in the request (from 0), or the line in a file.")
    status: ItemStatus
    id: uuid.UUID | None = Field(default=None, description="The notification created, or the one it duplicates.")
    errors: list[FieldError] | None = None
    detail: str | None = None


class BatchCreate(InputModel):
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=BATCH_MAX_ITEMS, description="Each a notification, as for `POST /notifications`."
    )


class BatchResult(BaseModel):
    created: int
    already_recorded: int
    duplicates: int
    failed: int = Field(description="Invalid or refused items; see each result's errors.")
    results: list[ItemResult]


async def record_item(
    session: AsyncSession, principal: Principal, index: int, raw: Any, now: datetime, key: str | None = None
) -> ItemResult:
    """Validate and store one item in a savepoint; the result says what became of it."""
    data = validated(index, raw)
    if isinstance(data, ItemResult):
        return data
    try:
        async with session.begin_nested():
            created = await create_notification(session, principal, data, now, key)
    except ProblemError as exc:
        if exc.audit_outcome is not None:  # audited as the same refusal of a single POST is
            await audit.record(
                session, principal=principal, action=Action.notification_create.value, outcome=exc.audit_outcome, at=now
            )
        return failed(index, exc)
    status = ItemStatus.already_recorded if created.replayed else ItemStatus.created
    return ItemResult(index=index, status=status, id=created.notification.id)


def validated(index: int, raw: Any) -> NotificationCreate | ItemResult:
    """The item as a notification, or the result saying why it is not one."""
    try:
        return NotificationCreate.model_validate(raw)
    except ValidationError as exc:
        return ItemResult(index=index, status=ItemStatus.invalid, errors=field_errors(exc.errors()))


def failed(index: int, exc: ProblemError) -> ItemResult:
    """The result of an item the service refused: a duplicate of a notification the caller may see (naming
    it), invalid, or refused (an area the caller may not record for, or a duplicate of a record the caller may
    not see, which is not named)."""
    if isinstance(exc, DuplicateNotification):
        existing = exc.extensions.get("existing_notification_id")
        return ItemResult(index=index, status=ItemStatus.duplicate, id=existing, detail=exc.detail)
    if isinstance(exc, InvalidInput):
        return ItemResult(index=index, status=ItemStatus.invalid, errors=exc.errors, detail=exc.detail)
    return ItemResult(index=index, status=ItemStatus.refused, detail=exc.detail)


async def record_batch(session: AsyncSession, principal: Principal, batch: BatchCreate, now: datetime) -> BatchResult:
    results = [await record_item(session, principal, i, raw, now) for i, raw in enumerate(batch.items)]
    return summarise(results)


def summarise(results: list[ItemResult]) -> BatchResult:
    count = {status: sum(r.status is status for r in results) for status in ItemStatus}
    return BatchResult(
        created=count[ItemStatus.created],
        already_recorded=count[ItemStatus.already_recorded],
        duplicates=count[ItemStatus.duplicate],
        failed=count[ItemStatus.invalid] + count[ItemStatus.refused],
        results=results,
    )
