"""Reviewers' findings: drafts saved with If-Match, every version kept, frozen once signed off."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict
from app.core.etag import PreconditionFailed
from app.core.versioning import claim_version
from app.findings.models import FindingsRecord, FindingsVersion
from app.findings.rules import changed_fields
from app.findings.schemas import Findings, FindingsPublic, FindingsVersionPublic
from app.flags.service import refresh_flags
from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reviews.models import HistoryKind
from app.reviews.service import Context, add_history, open_hold

# While the review is with the reviewer. Awaiting sign-off they wait for the coordinator (who may send
# the review back); completed, they are frozen.
EDITABLE_STAGES = frozenset({Stage.allocated, Stage.initial_review, Stage.focused_review})


async def _editable(session: AsyncSession, notification: Notification) -> bool:
    if notification.stage == Stage.on_hold:  # as editable as the stage it was paused from
        hold = await open_hold(session, notification)
        return hold is not None and hold.stage_before in EDITABLE_STAGES
    return notification.stage in EDITABLE_STAGES


async def read(session: AsyncSession, notification: Notification) -> FindingsPublic:
    record = await session.get(FindingsRecord, notification.id)
    return FindingsPublic(
        notification_id=notification.id,
        version=record.version if record else 0,
        findings=Findings.model_validate(record.data) if record else Findings(),
        saved_at=record.saved_at if record else None,
        saved_by=record.saved_by if record else None,
        frozen=notification.stage in (Stage.completed, Stage.excluded),
    )


async def save(
    session: AsyncSession, ctx: Context, notification: Notification, findings: Findings, version: int
) -> FindingsPublic:
    if notification.stage == Stage.completed:
        raise Conflict("The review is signed off: its findings are frozen.", current_stage=notification.stage)
    if not await _editable(session, notification):
        raise Conflict(f"Findings cannot be changed while the review is {notification.stage}.",
                       current_stage=notification.stage)  # fmt: skip
    record = await session.get(FindingsRecord, notification.id)
    before = Findings.model_validate(record.data) if record else Findings()
    if record is None:
        if version != 0:
            raise PreconditionFailed('No findings have been saved yet: send If-Match: "0".')
        record = FindingsRecord(notification_id=notification.id, version=1, data={}, saved_at=ctx.now, saved_by="")
        session.add(record)
    else:
        await claim_version(session, record, version)
    record.data = findings.model_dump(mode="json")
    record.saved_at, record.saved_by = ctx.now, ctx.principal.subject
    changed = changed_fields(before, findings)
    session.add(
        FindingsVersion(
            notification_id=notification.id,
            version=record.version,
            data=record.data,
            changed=changed,
            saved_at=ctx.now,
            saved_by=ctx.principal.subject,
        )
    )
    await add_history(
        session,
        ctx.principal,
        ctx.now,
        notification,
        HistoryKind.findings_saved,
        version=record.version,
        changed=changed,
    )
    await session.flush()
    await refresh_flags(session, notification, ctx.now)  # a DNACPR rationale may have been recorded
    return await read(session, notification)


async def versions(session: AsyncSession, notification: Notification) -> list[FindingsVersionPublic]:
    query = (
        select(FindingsVersion)
        .where(FindingsVersion.notification_id == notification.id)
        .order_by(col(FindingsVersion.version))
    )
    return [
        FindingsVersionPublic(
            version=v.version,
            saved_at=v.saved_at,
            saved_by=v.saved_by,
            changed=v.changed,
            findings=Findings.model_validate(v.data),
        )
        for v in (await session.exec(query)).all()
    ]
