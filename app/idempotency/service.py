"""`Idempotency-Key` on creates: the same key and body replays the first answer; another body is 422."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import invalid_field
from app.idempotency.models import IdempotencyRecord


def _fingerprint(body: BaseModel) -> str:
    # The validated body, canonically serialised: key order and whitespace do not make a "different" body.
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


async def find(session: AsyncSession, owner: str, key: str, body: BaseModel) -> str | None:
    """The id created under this key before, if the body is the same; 422 if it differs."""
    record = await find_record(session, owner, key, body)
    return None if record is None else record.resource_id


async def find_record(session: AsyncSession, owner: str, key: str, body: BaseModel) -> IdempotencyRecord | None:
    record = (
        await session.exec(
            select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
        )
    ).first()
    if record is None:
        return None
    if record.request_sha256 != _fingerprint(body):
        raise invalid_field("Idempotency-Key", "was already used with a different request body", location="header")
    return record


async def remember(
    session: AsyncSession,
    owner: str,
    key: str,
    body: BaseModel,
    resource_id: uuid.UUID | str,
    now: datetime,
    response: dict[str, Any] | None = None,
) -> None:
    session.add(
        IdempotencyRecord(
            owner=owner,
            key=key,
            request_sha256=_fingerprint(body),
            resource_id=str(resource_id),
            created_at=now,
            response=response,
        )
    )
    await session.flush()
