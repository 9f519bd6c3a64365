from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.audit import service as audit
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action, Role
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import NotFound, problem_responses
from app.core.models import ODS_CODE_PATTERN
from app.reports import periods
from app.reports.dashboard import areas_for_report, as_csv, dashboard
from app.reports.schemas import Dashboard

router = APIRouter(prefix="/reports", tags=["reports"])

CanRead = Annotated[Principal, Depends(allow(Action.reports_read))]
CSV = "text/csv"


def wants_csv(request: Request) -> bool:
    return CSV in request.headers.get("accept", "")


@router.get(
    "/dashboard",
    response_model=Dashboard,
    responses={
        200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "As JSON, or as CSV to publish."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def read_dashboard(
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    period: Annotated[
        str, Query(pattern=periods.QUARTER_PATTERN, description="A calendar quarter.", examples=["2020-Q1"])
    ],
    area: Annotated[str | None, Query(pattern=ODS_CODE_PATTERN, description="One area's ODS code.")] = None,
) -> Dashboard | Response:
    """The programme's progress for a quarter (coordinator: their area; national, admin: every area and England).

    Send `Accept: text/csv` for a CSV to publish. National and admin callers, and every CSV, get
    disclosure-controlled figures; a coordinator's JSON shows their own area as counted.
    """
    is_coordinator = principal.role is Role.coordinator
    if is_coordinator and area not in (None, principal.area):
        raise NotFound("No such area.")  # another area's figures: as if it did not exist
    only = principal.area if is_coordinator else area
    areas = await areas_for_report(session, only)
    if only is not None and not areas:
        raise NotFound("No such area.")
    csv = wants_csv(request)
    report = await dashboard(
        session,
        periods.quarter(period),
        areas,
        with_england=only is None,
        controlled=csv or not is_coordinator,
    )
    await audit.record(
        session, principal=principal, action=Action.reports_read.value, outcome="allowed", at=clock.now()
    )
    if csv:
        return Response(as_csv(report), media_type=CSV)
    return report
