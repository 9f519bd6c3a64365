"""`Idempotency-Key` on creates: the same key and body replays the first answer; another body is 422."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select
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
    refuse_other_body(record.request_sha256, body)
    return record


async def find_records(session: AsyncSession, owner: str, keys: Collection[str]) -> dict[str, IdempotencyRecord]:
    """The records of many keys in one query, by key; check each against its body with `refuse_other_body`."""
    if not keys:
        return {}
    query = select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, col(IdempotencyRecord.key).in_(keys))
    return {record.key: record for record in (await session.exec(query)).all()}


def refuse_other_body(request_sha256: str, body: BaseModel) -> None:
    """422 if the key was first used with another body (`request_sha256` is what its record holds)."""
    if request_sha256 != _fingerprint(body):
        raise invalid_field("Idempotency-Key", "was already used with a different request body", location="header")


async def remember(
    session: AsyncSession,
    owner: str,
    key: str,
    body: BaseModel,
    resource_id: uuid.UUID | str,
    now: datetime,
    response: dict[str, Any] | None = None,
) -> None:
    session.add(IdempotencyRecord(**record_row(owner, key, body, resource_id, now, response)))
    await session.flush()


def record_row(
    owner: str,
    key: str,
    body: BaseModel,
    resource_id: uuid.UUID | str,
    now: datetime,
    response: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A record's columns: for `remember`, and for rows written with a notification's (notifications/recording.py)."""
    return {
        "owner": owner,
        "key": key,
        "request_sha256": _fingerprint(body),
        "resource_id": str(resource_id),
        "created_at": now,
        "response": response,
    }
