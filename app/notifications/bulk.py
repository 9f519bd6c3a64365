"""A chunk of notifications (rows of an import) checked in Python, then written set-based.

Every row gets what `POST /notifications` gives one notification (service.create_notification), built
and written by the same functions (intake, recording.NewRows), and the rows are judged in file order as if
sent one at a time: a row repeating an earlier one is already recorded, a second notification of a death
is a duplicate. What changes is the cost: one query per look-up for the whole chunk and one COPY per
table, instead of a savepoint and three look-ups and five inserts per row.

The caller commits. If another writer records one of the same deaths or rows between the look-ups and
the write, the write fails with IntegrityError and the caller redoes the chunk row by row
(batch.record_item), which reports each race on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import Area
from app.audit import service as audit
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.clock import uk_date
from app.core.errors import ProblemError
from app.idempotency import service as idempotency
from app.notifications import intake
from app.notifications.batch import ItemResult, ItemStatus, failed, validated
from app.notifications.models import Notification
from app.notifications.recording import NewRows
from app.notifications.schemas import NotificationCreate
from app.notifications.service import OBJECT_TYPE, NotAcceptedAsNew, duplicate_of, readable_by

Death = tuple[str, date]  # (NHS number, date of death): one notification each


@dataclass(frozen=True)
class Item:
    index: int  # reported back in its result: the line in the file
    raw: Any
    key: str | None  # idempotency key


async def record_chunk(
    session: AsyncSession, principal: Principal, items: Sequence[Item], now: datetime
) -> list[ItemResult]:
    """Validate and store the items; a result for each, in order."""
    today = uk_date(now)
    results: dict[int, ItemResult] = {}
    valid: list[tuple[int, Item, NotificationCreate]] = []
    for position, item in enumerate(items):
        checked = validated(item.index, item.raw)
        if isinstance(checked, ItemResult):
            results[position] = checked
        else:
            valid.append((position, item, checked))

    # Each look-up once for the chunk; then the rows in order, each seeing what those before it recorded.
    async with _planned_afresh(session):
        keys = {item.key for _, item, _ in valid if item.key}
        records = await idempotency.find_records(session, principal.subject, keys)
        areas = await _known_areas(session, {data.area_ods for _, _, data in valid})
        taken = await _recorded_deaths(session, {data.person.nhs_number for _, _, data in valid} - {None})
    known = {key: (record.resource_id, record.request_sha256) for key, record in records.items()}
    rows = NewRows()
    replayed: list[str] = []
    duplicates: list[tuple[int, uuid.UUID]] = []  # (position, the notification it duplicates)
    refusals: list[str] = []  # the audit outcomes of refusals a single POST would audit
    for position, item, data in valid:
        try:
            if item.key in known:
                resource_id, fingerprint = known[item.key]
                idempotency.refuse_other_body(fingerprint, data)
                results[position] = ItemResult(index=item.index, status=ItemStatus.already_recorded, id=resource_id)
                replayed.append(resource_id)
                continue
            intake.check_recordable(principal, data, today, data.area_ods in areas)
        except ProblemError as exc:
            results[position] = failed(item.index, exc)
            if exc.audit_outcome is not None:
                refusals.append(exc.audit_outcome)
            continue
        death = (data.person.nhs_number, data.death.date_of_death) if data.person.nhs_number else None
        if death is not None and death in taken:
            duplicates.append((position, taken[death]))
            continue
        notification = intake.notification_row(principal, data, now)
        if death is not None:
            taken[death] = notification["id"]
        if item.key is not None:
            key = idempotency.record_row(principal.subject, item.key, data, notification["id"], now)
            rows.keys.append(key)
            known[item.key] = (key["resource_id"], key["request_sha256"])
        rows.add(principal, notification, now)
        results[position] = ItemResult(index=item.index, status=ItemStatus.created, id=notification["id"])

    # Audited as one at a time would: each create as such, each replay as a read of what it returns.
    created = [str(n["id"]) for n in rows.notifications]
    for action, ids in [(Action.notification_create, created), (Action.notification_read, replayed)]:
        if ids:
            rows.audit += audit.record_rows(
                principal=principal,
                action=action.value,
                outcome="allowed",
                at=now,
                object_type=OBJECT_TYPE,
                object_ids=ids,
            )
    await rows.write(session)
    # After the write, so that a duplicate of a row earlier in this chunk is judged like any other.
    async with _planned_afresh(session):
        visible = await _readable(session, principal, {existing for _, existing in duplicates})
    for position, existing in duplicates:
        results[position] = failed(items[position].index, duplicate_of(existing if existing in visible else None))
        if existing not in visible:
            refusals.append(NotAcceptedAsNew.audit_outcome or "")
    for outcome in refusals:  # audited as a single POST's refusal is, naming no record
        await audit.record(
            session, principal=principal, action=Action.notification_create.value, outcome=outcome, at=now
        )
    return [results[position] for position in range(len(items))]


@asynccontextmanager
async def _planned_afresh(session: AsyncSession) -> AsyncIterator[None]:
    """Plan the look-ups inside for the tables as they are now.

    The driver prepares a statement it has run five times, and PostgreSQL may then keep one generic plan
    for it: planned while an import's tables were nearly empty, that plan scans them whole, and each
    chunk's look-ups slow down as the tables grow (tens of times over by 100,000 rows, with autovacuum
    off or behind). Only around the look-ups: the foreign-key checks of the writes keep their cached plans.
    """
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        await connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield
    if postgres:  # not reached if the look-ups fail: the transaction, and the setting, are then rolled back
        await connection.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))


async def _known_areas(session: AsyncSession, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    return set((await session.exec(select(Area.ods_code).where(col(Area.ods_code).in_(codes)))).all())


async def _recorded_deaths(session: AsyncSession, nhs_numbers: Collection[str | None]) -> dict[Death, uuid.UUID]:
    # By NHS number alone: the unique index's first column, so an index look-up per number.
    if not nhs_numbers:
        return {}
    nhs_number = col(Notification.nhs_number)
    query = select(nhs_number, col(Notification.date_of_death), col(Notification.id)).where(nhs_number.in_(nhs_numbers))
    return {(nhs, died): ident for nhs, died, ident in (await session.exec(query)).all() if nhs is not None}


async def _readable(session: AsyncSession, principal: Principal, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    query = select(Notification.id).where(col(Notification.id).in_(ids), readable_by(principal))
    return set((await session.exec(query)).all())
