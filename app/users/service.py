from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import Area
from app.auth.policy import Role
from app.core.errors import Conflict, NotFound, invalid_field
from app.reviewers.models import DEFAULT_MAX_ACTIVE_REVIEWS, ReviewerProfile
from app.users.models import StaffUser
from app.users.schemas import UserCreate, UserUpdate


async def create_user(session: AsyncSession, data: UserCreate, now: datetime) -> StaffUser:
    if data.area_ods is not None and await session.get(Area, data.area_ods) is None:
        raise invalid_field("area_ods", "no such area")
    clash = or_(
        col(StaffUser.email) == data.email,
        col(StaffUser.external_subject) == data.external_subject if data.external_subject else False,
    )
    if (await session.exec(select(StaffUser.id).where(clash))).first() is not None:
        raise Conflict("A user with this email or external subject exists.")
    user = StaffUser(**data.model_dump(), created_at=now)
    session.add(user)
    await session.flush()
    if user.role == Role.reviewer:
        session.add(
            ReviewerProfile(
                user_id=user.id,
                organisations=[],
                max_active_reviews=DEFAULT_MAX_ACTIVE_REVIEWS,
                created_at=now,
            )
        )
        await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def list_users(session: AsyncSession) -> Sequence[StaffUser]:
    return (await session.exec(select(StaffUser).order_by(col(StaffUser.created_at)))).all()


async def update_user(session: AsyncSession, user_id: uuid.UUID, data: UserUpdate) -> StaffUser:
    """Deactivation takes effect on the user's next request: principals are read from here each time."""
    user = await get_user(session, user_id)
    subject = data.external_subject
    if subject is not None and subject != user.external_subject:
        taken = select(StaffUser.id).where(col(StaffUser.external_subject) == subject)
        if (await session.exec(taken)).first() is not None:
            raise Conflict("Another user is bound to that external subject.")
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(user, name, value)
    await session.flush()
    return user
