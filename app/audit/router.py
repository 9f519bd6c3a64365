from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.audit import service
from app.audit.schemas import AuditEventView, AuditPage
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.cursors import MAX_CURSOR_LENGTH
from app.core.db import SessionDep
from app.core.errors import invalid_field, problem_responses
from app.core.types import FilterMoment

router = APIRouter(prefix="/audit", tags=["audit"])

CanRead = Annotated[Principal, Depends(allow(Action.audit_read))]


@router.get("", response_model=AuditPage, responses=problem_responses(401, 403, 422))
async def list_audit_events(
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    notification_id: Annotated[uuid.UUID | None, Query(description="Rows about this notification.")] = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=80,
            pattern=r"^((user|client|family):[A-Za-z0-9_.-]+|cli)$",
            description="e.g. `user:ID`; `cli` for operators' `leder` commands.",
        ),
    ] = None,
    at_from: Annotated[FilterMoment | None, Query(alias="from", description="At or after (with a zone).")] = None,
    at_to: Annotated[FilterMoment | None, Query(alias="to", description="Before (with a zone).")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the page before.")
    ] = None,
) -> AuditPage:
    """The audit trail, oldest first: every area's (admins), or the caller's own area's (coordinators).

    Each row is who did what to which record, with what outcome. Reading the trail is audited too.
    """
    if at_from is not None and at_to is not None and at_to < at_from:
        raise invalid_field("to", "is before `from`", location="query")
    filters = service.AuditFilters(str(notification_id) if notification_id else None, actor, at_from, at_to)
    rows, next_cursor = await service.list_events(session, principal, filters, limit, cursor, request.app.state.cursors)
    # One row per page, like the change feed: who looked at the trail is itself worth knowing.
    now = clock.now()
    await service.record(session, principal=principal, action=Action.audit_read.value, outcome="allowed", at=now)
    return AuditPage(items=[AuditEventView.model_validate(row) for row in rows], next_cursor=next_cursor)
