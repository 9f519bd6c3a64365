from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit import service as audit
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.users import service
from app.users.schemas import UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

CanManage = Annotated[Principal, Depends(allow(Action.user_manage))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_user(body: UserCreate, principal: CanManage, session: SessionDep, clock: ClockDep) -> UserPublic:
    """Add a staff user (admin). Coordinators and reviewers belong to one area."""
    user = await service.create_user(session, body, clock.now())
    await _audit(session, principal, clock.now(), "user.create", user.id, bound=body.external_subject is not None)
    return UserPublic.model_validate(user)


@router.get("", response_model=list[UserPublic], responses=problem_responses(401, 403))
async def list_users(_: CanManage, session: SessionDep) -> list[UserPublic]:
    """All staff users (admin)."""
    return [UserPublic.model_validate(user) for user in await service.list_users(session)]


@router.get("/{user_id}", response_model=UserPublic, responses=problem_responses(401, 403, 404, 422))
async def get_user(user_id: uuid.UUID, _: CanManage, session: SessionDep) -> UserPublic:
    """One staff user (admin)."""
    return UserPublic.model_validate(await service.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserPublic, responses=problem_responses(401, 403, 404, 409, 422))
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, principal: CanManage, session: SessionDep, clock: ClockDep, request: Request
) -> UserPublic:
    """Rename, deactivate or reactivate a staff user, or bind their external login (admin). Deactivation stops
    their tokens at once on this replica, and within `LEDER_CALLER_CACHE_SECONDS` (5 s) on the others."""
    user = await service.update_user(session, user_id, body)
    request.app.state.callers.forget_after_commit(session)  # the change holds at once in this process
    bound = "external_subject" in body.model_fields_set
    await _audit(session, principal, clock.now(), "user.update", user.id, bound=bound)
    return UserPublic.model_validate(user)


async def _audit(
    session: AsyncSession, principal: Principal, at: datetime, action: str, user_id: uuid.UUID, *, bound: bool
) -> None:
    # Binding an external login is recorded as its own act: it hands the account to whoever holds that identity.
    await audit.record(
        session,
        principal=principal,
        action="user.bind_external_login" if bound else action,
        outcome="allowed",
        at=at,
        object_type="staff_user",
        object_ids=[str(user_id)],
    )
