"""A review's findings: the allocated reviewer drafts them, the area's coordinator reads them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.auth.policy import Action
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import IfMatch, etag, expected_version
from app.findings import service
from app.findings.schemas import Findings, FindingsPublic, FindingsVersionPublic
from app.notifications import service as notifications
from app.reviews.deps import acting
from app.reviews.service import Context

router = APIRouter(prefix="/notifications/{notification_id}/findings", tags=["findings"])

Reader = Annotated[Context, Depends(acting(Action.findings_read))]
Writer = Annotated[Context, Depends(acting(Action.findings_write))]


@router.get("", response_model=FindingsPublic, responses=problem_responses(401, 403, 404, 422))
async def get_findings(
    notification_id: uuid.UUID, ctx: Reader, session: SessionDep, response: Response
) -> FindingsPublic:
    """The current findings (empty, version 0, until first saved), with their `ETag`."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.findings_read
    )
    findings = await service.read(session, notification)
    response.headers["ETag"] = etag(findings.version)
    return findings


@router.put("", response_model=FindingsPublic, responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
async def save_findings(
    notification_id: uuid.UUID,
    body: Findings,
    ctx: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> FindingsPublic:
    """Save a draft of the findings (the reviewer allocated). `If-Match` with the findings' ETag ("0"
    for the first save). Drafts may be incomplete; submitting for sign-off checks them (422 lists what
    is missing). Frozen once signed off (409)."""
    version = expected_version(if_match)
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.findings_write
    )
    saved = await service.save(session, ctx, notification, body, version)
    response.headers["ETag"] = etag(saved.version)
    return saved


@router.get("/versions", response_model=list[FindingsVersionPublic], responses=problem_responses(401, 403, 404, 422))
async def list_findings_versions(
    notification_id: uuid.UUID, ctx: Reader, session: SessionDep
) -> list[FindingsVersionPublic]:
    """Every saved version: who saved it, when, and which fields changed."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.findings_read
    )
    return await service.versions(session, notification)
