from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from app.auth.policy import Action
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import IfMatch, etag, expected_version
from app.reviewers import service
from app.reviewers.schemas import ReviewerCreate, ReviewerPublic, ReviewerUpdate, Workload
from app.reviews.deps import acting
from app.reviews.service import Context

router = APIRouter(prefix="/reviewers", tags=["reviewers"])

Coordinator = Annotated[Context, Depends(acting(Action.reviewer_manage))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewerPublic,
    responses=problem_responses(401, 403, 409, 422),
)
async def register_reviewer(
    body: ReviewerCreate, ctx: Coordinator, session: SessionDep, response: Response
) -> ReviewerPublic:
    """Register a reviewer in the coordinator's own area: a staff user with the reviewer role, the
    organisations they work for (for conflict-of-interest checks) and their maximum active reviews."""
    return _with_etag(await service.register(session, ctx, body), response)


@router.get("", response_model=list[ReviewerPublic], responses=problem_responses(401, 403))
async def list_reviewers(ctx: Coordinator, session: SessionDep) -> list[ReviewerPublic]:
    """The area's reviewers and what each is carrying: active reviews, at risk, breached, next due."""
    return await service.list_in_area(session, ctx)


@router.get("/{user_id}", response_model=ReviewerPublic, responses=problem_responses(401, 403, 404, 422))
async def get_reviewer(user_id: uuid.UUID, ctx: Coordinator, session: SessionDep, response: Response) -> ReviewerPublic:
    """One reviewer of the coordinator's area, with its `ETag`."""
    return _with_etag(await service.get_in_area(session, ctx, user_id), response)


@router.patch("/{user_id}", response_model=ReviewerPublic, responses=problem_responses(401, 403, 404, 412, 422, 428))
async def update_reviewer(
    user_id: uuid.UUID,
    body: ReviewerUpdate,
    ctx: Coordinator,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewerPublic:
    """Change a reviewer's organisations, capacity or name, or deactivate them. Needs `If-Match`."""
    version = expected_version(if_match)
    return _with_etag(await service.update(session, ctx, user_id, body, version), response)


def _with_etag(reviewer: ReviewerPublic, response: Response) -> ReviewerPublic:
    response.headers["ETag"] = etag(reviewer.version)
    return reviewer


@router.get("/{user_id}/workload", response_model=Workload, responses=problem_responses(401, 403, 404, 422))
async def get_reviewer_workload(user_id: uuid.UUID, ctx: Coordinator, session: SessionDep) -> Workload:
    """The reviewer's active reviews, the nearest due date first, with the days each has left."""
    reviewer = await service.get_in_area(session, ctx, user_id)
    return Workload(reviewer=reviewer, reviews=await service.workload(session, ctx, user_id))
