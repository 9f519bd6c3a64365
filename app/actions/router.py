"""The area's action plan and its themes over HTTP (thin: the rules are in service.py and rules.py)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.actions import service
from app.actions.schemas import ActionCreate, ActionPage, ActionPublic, ActionUpdateCreate, ThemesReport
from app.actions.themes import themes_report
from app.areas.service import get_area
from app.audit import service as audit
from app.auth.policy import Action, Role
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import NotFound, invalid_field, problem_responses
from app.core.etag import IfMatch, etag, expected_version
from app.core.models import ODS_CODE_PATTERN
from app.findings.schemas import ActionStatus
from app.notifications.periods import period_bound
from app.reviews.deps import acting
from app.reviews.service import Context

router = APIRouter(prefix="/actions", tags=["actions"])
themes_router = APIRouter(prefix="/areas", tags=["actions"])

Reader = Annotated[Context, Depends(acting(Action.action_read))]
Manager = Annotated[Context, Depends(acting(Action.action_manage))]
ThemesReader = Annotated[Context, Depends(acting(Action.themes_read))]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@router.get("", response_model=ActionPage, responses=problem_responses(401, 403, 422))
async def list_actions(
    ctx: Reader,
    session: SessionDep,
    area: Annotated[str | None, Query(pattern=ODS_CODE_PATTERN, description="An area's ODS code.")] = None,
    status_: Annotated[ActionStatus | None, Query(alias="status")] = None,
    overdue: Annotated[bool | None, Query(description="Past due and not finished (true), or not (false).")] = None,
    theme: Annotated[str | None, Query(max_length=80, pattern=r"^[a-z0-9_.]+$")] = None,
    owner_organisation: Annotated[str | None, Query(max_length=200)] = None,
    notification_id: uuid.UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=service.PAGE_LIMIT_MAX)] = 50,
) -> ActionPage:
    """The plan: coordinators their area's actions, reviewers the actions of their own reviews. Oldest due
    date first, so `overdue=true` lists the most late first. Keyset pages: pass `next_cursor` as `cursor`."""
    filters = service.ActionFilters(area, status_, overdue, theme, owner_organisation, notification_id)
    items, next_cursor = await service.list_actions(session, ctx, filters, cursor, limit)
    return ActionPage(items=items, next_cursor=next_cursor)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=ActionPublic, responses=problem_responses(401, 403, 422)
)
async def create_action(body: ActionCreate, ctx: Manager, session: SessionDep, response: Response) -> ActionPublic:
    """An area-level action (coordinator): answers themes across reviews, optionally linked to one review."""
    return _with_etag(await service.create(session, ctx, body), response)


@router.get("/{action_id}", response_model=ActionPublic, responses=problem_responses(401, 403, 404, 422))
async def get_action(action_id: uuid.UUID, ctx: Reader, session: SessionDep, response: Response) -> ActionPublic:
    """One action with its updates (who, when, what changed, the note), and its `ETag`."""
    return _with_etag(await service.get(session, ctx, action_id), response)


@router.post(
    "/{action_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionPublic,
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def add_action_update(
    action_id: uuid.UUID,
    body: ActionUpdateCreate,
    ctx: Manager,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ActionPublic:
    """Record progress (coordinator): a status, a new due date (with `due_on_reason`), or a note alone.
    Every update needs a note; `completed` says what was done, `not_achieved` why not. Needs `If-Match`."""
    version = expected_version(if_match)
    return _with_etag(await service.add_update(session, ctx, action_id, body, version), response)


def _with_etag(action: ActionPublic, response: Response) -> ActionPublic:
    response.headers["ETag"] = etag(action.version)
    return action


def _month_bounds(start: str, end: str, principal: Principal) -> tuple[date, date]:
    # The shared bounds of a month filter (1900 to ten years ahead; a 422 naming the field), as the lists have.
    first = period_bound(start, "from", principal, end=False)
    last = period_bound(end, "to", principal, end=True)
    assert first is not None and last is not None
    if last < first:
        raise invalid_field("to", "is before from", location="query")
    return first, last


@themes_router.get("/{ods_code}/themes", response_model=ThemesReport, responses=problem_responses(401, 403, 404, 422))
async def read_themes(
    ods_code: Annotated[str, Path(pattern=ODS_CODE_PATTERN)],
    ctx: ThemesReader,
    session: SessionDep,
    from_: Annotated[str, Query(alias="from", pattern=MONTH, description="First month, YYYY-MM.")],
    to: Annotated[str, Query(pattern=MONTH, description="Last month, YYYY-MM (inclusive).")],
) -> ThemesReport:
    """The themes signed-off reviews raised in the months given, with the area's actions answering each
    (counts by status and overdue, never their text); a theme with no action shows `has_action: false`.
    Coordinators: their own area, as counted. National and admin: any area, review counts disclosure-controlled."""
    is_coordinator = ctx.principal.role is Role.coordinator
    if is_coordinator and ods_code != ctx.principal.area:
        raise NotFound("No such area.")
    await get_area(session, ods_code)
    start, end = _month_bounds(from_, to, ctx.principal)
    await audit.record(
        session, principal=ctx.principal, action=Action.themes_read.value, outcome="allowed", at=ctx.now,
        object_type="area", object_ids=[ods_code],
    )  # fmt: skip
    return await themes_report(session, ods_code, start, end, ctx.today, disclosure_controlled=not is_coordinator)
