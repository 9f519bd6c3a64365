"""Family sign-in sessions: a server-side row per visit, checked on every family request.

The invitation code is the family's key for the life of the review; each sign-in starts a session that
ends at sign-out, after an idle spell, at an absolute limit, or when the invitation stops working.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.tokens import InvalidToken
from app.core.config import Settings
from app.families.models import FamilyInvitation, FamilySessionRecord
from app.notifications.enums import Stage
from app.notifications.models import Notification

CLOSED = (Stage.completed.value, Stage.excluded.value)


def access_ends_at(invitation: FamilyInvitation, notification: Notification, settings: Settings) -> datetime | None:
    """When the code stops working: some days after the review completes or is excluded (or a fixed end)."""
    ends = [invitation.expires_at] if invitation.expires_at is not None else []
    if notification.stage in CLOSED:
        ends.append(notification.stage_changed_at + timedelta(days=settings.family_access_days_after_review))
    return min(ends) if ends else None


async def invitation_usable(
    session: AsyncSession, invitation: FamilyInvitation, settings: Settings, now: datetime
) -> bool:
    if invitation.revoked_at is not None:
        return False
    notification = await session.get(Notification, invitation.notification_id)
    ends = access_ends_at(invitation, notification, settings) if notification else now
    return ends is None or ends > now


def start(
    session: AsyncSession, invitation: FamilyInvitation, settings: Settings, now: datetime
) -> FamilySessionRecord:
    record = FamilySessionRecord(
        invitation_id=invitation.id,
        started_at=now,
        last_seen_at=now,
        ends_at=now + timedelta(seconds=settings.family_session_absolute_seconds),
        idle_seconds=settings.family_session_idle_seconds,
    )
    session.add(record)
    invitation.used_at = invitation.used_at or now
    invitation.last_visit_at = now
    return record


async def check_and_touch(
    session: AsyncSession, invitation: FamilyInvitation, session_id: str, settings: Settings, now: datetime
) -> None:
    """Refuse a token whose session ended (sign-out, idle, absolute limit) or whose invitation stopped working;
    otherwise note the visit, which restarts the idle clock."""
    try:
        record = await session.get(FamilySessionRecord, uuid.UUID(session_id))
    except ValueError:
        record = None
    if record is None or record.invitation_id != invitation.id or record.ended_at is not None:
        raise InvalidToken("session ended")
    if now >= record.ends_at or now - record.last_seen_at > timedelta(seconds=record.idle_seconds):
        raise InvalidToken("session expired")
    if not await invitation_usable(session, invitation, settings, now):
        raise InvalidToken("invitation no longer valid")
    record.last_seen_at = now
    invitation.last_visit_at = now


async def end(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    record = await session.get(FamilySessionRecord, session_id)
    if record is not None and record.ended_at is None:
        record.ended_at = now


async def end_all(session: AsyncSession, invitation_id: uuid.UUID, now: datetime) -> None:
    """Every open session of the invitation (a reissued code: whoever found the old one is signed out)."""
    await session.exec(
        update(FamilySessionRecord)
        .where(col(FamilySessionRecord.invitation_id) == invitation_id, col(FamilySessionRecord.ended_at).is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
