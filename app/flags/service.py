"""Keeping a notification's bias flags in step with its record, and dismissing them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, NotFound
from app.events.service import EventType, emit, event_row
from app.findings.models import FindingsRecord
from app.flags.detect import DetectedFlag, detect
from app.flags.models import BiasFlag
from app.notifications.models import Notification


def _signature(kind: str, evidence: dict[str, object]) -> tuple[object, ...]:
    return (kind, evidence.get("source"), evidence.get("line"), evidence.get("term"), evidence.get("matched"))


def _detected(
    cause_of_death: Mapping[str, Any], dnacpr_rationale: str | None, findings_rationale: str | None
) -> dict[tuple[object, ...], DetectedFlag]:
    rationales = [("dnacpr_rationale", dnacpr_rationale), ("findings_dnacpr_rationale", findings_rationale)]
    found = detect(cause_of_death.get("part_1", []), rationales)
    return {_signature(f.kind, asdict(f.evidence)): f for f in found}


def _flag_row(notification_id: uuid.UUID, found: DetectedFlag, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "notification_id": notification_id,
        "kind": found.kind.value,
        "evidence": asdict(found.evidence),
        "raised_at": now,
    }


def _raised(flag_id: uuid.UUID, kind: str) -> dict[str, Any]:
    return {"flag_id": str(flag_id), "kind": kind}


async def refresh_flags(session: AsyncSession, notification: Notification, now: datetime) -> list[BiasFlag]:
    """Raise flags for evidence newly present, withdraw those whose evidence is gone; returns the new ones.

    Call whenever the cause of death or a DNACPR rationale (at notification or in findings) changes.
    Dismissed flags stay dismissed while their evidence stands.
    """
    findings = await session.get(FindingsRecord, notification.id)
    findings_rationale = (findings.data.get("dnacpr") or {}).get("rationale_as_recorded") if findings else None
    detected = _detected(notification.cause_of_death, notification.dnacpr_rationale, findings_rationale)
    current = (
        await session.exec(
            select(BiasFlag).where(BiasFlag.notification_id == notification.id, col(BiasFlag.withdrawn_at).is_(None))
        )
    ).all()
    known = {_signature(f.kind, f.evidence) for f in current}
    for flag in current:
        if _signature(flag.kind, flag.evidence) not in detected:
            flag.withdrawn_at = now
    raised = []
    for signature, found in detected.items():
        if signature not in known:
            flag = BiasFlag(**_flag_row(notification.id, found, now))
            session.add(flag)
            raised.append(flag)
    await session.flush()
    notification.open_bias_flags = await _count_open(session, notification.id)
    waiver = notification.focused_review_waiver
    if raised and waiver and "bias_flag" in waiver.get("reasons", []):
        # A waiver covered the flags that stood when it was given; a new one needs its own decision.
        notification.focused_review_waiver = {**waiver, "reasons": [r for r in waiver["reasons"] if r != "bias_flag"]}
    for flag in raised:
        await emit(session, EventType.flag_raised, notification, now, **_raised(flag.id, flag.kind))
    return raised


@dataclass(frozen=True)
class FirstFlags:
    flags: list[dict[str, Any]]
    events: list[dict[str, Any]]  # flag.raised, one per flag


def first_flags(notification: Mapping[str, Any], now: datetime) -> FirstFlags:
    """What `refresh_flags` raises for a notification just created (no findings, no flags yet), as column
    values: the import writes a whole chunk's at once (app/notifications/bulk.py). All are open, so the
    notification's `open_bias_flags` is their number."""
    detected = _detected(notification["cause_of_death"], notification["dnacpr_rationale"], None)
    flags = [_flag_row(notification["id"], found, now) for found in detected.values()]
    events = [
        event_row(
            EventType.flag_raised,
            notification["id"],
            notification["area_ods"],
            notification["stage"],
            now,
            _raised(flag["id"], flag["kind"]),
        )
        for flag in flags
    ]
    return FirstFlags(flags, events)


async def dismiss(
    session: AsyncSession, notification: Notification, flag_id: uuid.UUID, reason: str, by: str, now: datetime
) -> BiasFlag:
    flag = await session.get(BiasFlag, flag_id)
    if flag is None or flag.notification_id != notification.id:
        raise NotFound("No such flag.")
    if flag.dismissed_at is not None or flag.withdrawn_at is not None:
        raise Conflict("That flag is no longer open.")
    flag.dismissed_at, flag.dismissed_by, flag.dismissal_reason = now, by, reason
    await session.flush()
    notification.open_bias_flags = await _count_open(session, notification.id)
    await emit(session, EventType.flag_dismissed, notification, now, flag_id=str(flag.id), kind=flag.kind)
    return flag


async def _count_open(session: AsyncSession, notification_id: uuid.UUID) -> int:
    query = select(BiasFlag.id).where(
        BiasFlag.notification_id == notification_id,
        col(BiasFlag.dismissed_at).is_(None),
        col(BiasFlag.withdrawn_at).is_(None),
    )
    return len((await session.exec(query)).all())


async def flags_by_notification(
    session: AsyncSession, notification_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BiasFlag]]:
    """Every flag of these notifications in one query, withdrawn ones included (they are history)."""
    found: dict[uuid.UUID, list[BiasFlag]] = defaultdict(list)
    if notification_ids:
        query = (
            select(BiasFlag)
            .where(col(BiasFlag.notification_id).in_(notification_ids))
            .order_by(col(BiasFlag.raised_at), col(BiasFlag.id))
        )
        for flag in (await session.exec(query)).all():
            found[flag.notification_id].append(flag)
    return found
