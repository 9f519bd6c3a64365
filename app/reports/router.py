from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.actions.themes import overdue_by_area
from app.areas import contact as area_contact
from app.areas.service import get_area
from app.audit import service as audit
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action, Role
from app.auth.service import Principal
from app.core.clock import uk_date
from app.core.db import SessionDep
from app.core.errors import Forbidden, NotFound, problem_responses
from app.core.models import ODS_CODE_PATTERN
from app.reports import periods, population
from app.reports.annual_schemas import AnnualReport, AreaPopulationPublic, PopulationCount
from app.reports.dashboard import areas_for_report, as_csv, dashboard
from app.reports.models import AreaPopulation
from app.reports.page import annual_report_page
from app.reports.publishing import References, annual_csv, annual_report, references_from
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
        generated_at=clock.now(),
        overdue_actions=await overdue_by_area(session, uk_date(clock.now()), only),  # counts only, never the text
    )
    await audit.record(
        session, principal=principal, action=Action.reports_read.value, outcome="allowed", at=clock.now()
    )
    if csv:
        return Response(as_csv(report), media_type=CSV)
    return report


# The area's annual report, and the reference population it sets the deaths against.

population_router = APIRouter(prefix="/areas", tags=["reports"])
CanManagePopulation = Annotated[Principal, Depends(allow(Action.population_manage))]
OdsCode = Annotated[str, Path(pattern=ODS_CODE_PATTERN, description="The area's ODS code.")]
Year = Annotated[
    int,
    Query(ge=periods.EARLIEST_YEAR, le=periods.LATEST_YEAR, description="A calendar year.", examples=[2019]),
]
HTML = "text/html"


def _references(request: Request) -> References:
    settings = request.app.state.settings
    return references_from(
        settings.report_reference_median_age_male,
        settings.report_reference_median_age_female,
        settings.report_reference_age_source,
    )


class Version(StrEnum):
    publishable = "publishable"
    as_counted = "as_counted"


VersionQuery = Annotated[
    Version | None,
    Query(
        description="`publishable`: disclosure-controlled, the version to publish (national and admin callers "
        "only ever get this one). `as_counted`: exact figures for the area's own use, never to publish (the "
        "area's coordinator only). Default: as counted for the coordinator's JSON and page, else publishable."
    ),
]


async def _annual(
    request: Request,
    principal: Principal,
    session: SessionDep,
    clock: ClockDep,
    ods_code: str,
    year: int,
    version: Version,
) -> AnnualReport:
    """The report as this caller asks for it; only the area's coordinator may see it as counted."""
    is_coordinator = principal.role is Role.coordinator
    if is_coordinator and principal.area != ods_code:
        raise NotFound("No such area.")  # another area's report: as if the area did not exist
    if version is Version.as_counted and not is_coordinator:
        raise Forbidden("Only the area's coordinator may see its figures as counted; ask for the publishable version.")
    area = await get_area(session, ods_code)
    controlled = version is Version.publishable
    report = await annual_report(
        session, area, year, controlled=controlled, references=_references(request), generated_at=clock.now()
    )
    await audit.record(
        session,
        principal=principal,
        action=Action.reports_read.value,
        outcome="allowed",
        at=clock.now(),
        object_type="area",
        object_ids=[ods_code],
    )
    return report


def _default(principal: Principal, version: Version | None) -> Version:
    if version is not None:
        return version
    return Version.as_counted if principal.role is Role.coordinator else Version.publishable


@router.get("/areas/{ods_code}/annual", response_model=AnnualReport, responses=problem_responses(401, 403, 404, 422))
async def read_annual_report(
    ods_code: OdsCode,
    year: Year,
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    version: VersionQuery = None,
) -> AnnualReport:
    """The area's LeDeR annual report for a calendar year (coordinator of the area; national; admin).

    Deaths notified in the year (age, place, causes, ethnicity against the area's population, flags, family
    involvement) and reviews completed in it (grading of care, themes, contributory factors, actions), with the
    dashboard's progress measures for the year. A coordinator sees their own area as counted by default and may
    ask for `version=publishable`, the disclosure-controlled version national callers see: that is the one to
    publish. Also as a printable page (`annual.html`) and a CSV (`annual.csv`).
    """
    return await _annual(request, principal, session, clock, ods_code, year, _default(principal, version))


@router.get(
    "/areas/{ods_code}/annual.html",
    response_class=Response,
    responses={
        200: {"content": {HTML: {"schema": {"type": "string"}}}, "description": "A printable, self-contained page."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def read_annual_report_page(
    ods_code: OdsCode,
    year: Year,
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    version: VersionQuery = None,
) -> Response:
    """The annual report as a printable web page with charts, for the area's board: save it, print it.

    The same figures as the JSON report, for the same callers, with the same `version`; the page says which.
    """
    report = await _annual(request, principal, session, clock, ods_code, year, _default(principal, version))
    return await annual_report_page(request, report, await area_contact.for_area(session, ods_code))


@router.get(
    "/areas/{ods_code}/annual.csv",
    response_class=Response,
    responses={
        200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "Publishable unless asked otherwise."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def read_annual_report_csv(
    ods_code: OdsCode,
    year: Year,
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    version: VersionQuery = None,
) -> Response:
    """The annual report as CSV: publishable (disclosure-controlled) by default, whoever asks.

    The area's coordinator may ask for `version=as_counted`, for their own use; its file name says so.
    """
    chosen = version or Version.publishable
    report = await _annual(request, principal, session, clock, ods_code, year, chosen)
    suffix = "-as-counted-not-for-publication" if chosen is Version.as_counted else ""
    filename = f"leder-annual-report-{ods_code}-{year}{suffix}.csv"
    return Response(
        annual_csv(report), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _population_public(ods_code: str, rows: Sequence[AreaPopulation]) -> AreaPopulationPublic:
    return AreaPopulationPublic(
        area_ods=ods_code,
        loaded_at=rows[0].loaded_at if rows else None,
        loaded_by=rows[0].loaded_by if rows else None,
        total=sum(row.people for row in rows),
        categories=[PopulationCount(ethnic_category=row.ethnic_category, people=row.people) for row in rows],
    )


@population_router.put(
    "/{ods_code}/population",
    response_model=AreaPopulationPublic,
    responses=problem_responses(401, 403, 404, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "maxLength": population.MAX_CSV_BYTES},
                    "example": "ethnic_category,count\nA,4210\nH,130\nM,95\nZ,310\n",
                }
            },
        }
    },
)
async def replace_area_population(
    ods_code: OdsCode, principal: CanManagePopulation, session: SessionDep, clock: ClockDep, request: Request
) -> AreaPopulationPublic:
    """Load the area's population with a learning disability by ethnic category, from a CSV (admin).

    The body is `text/csv` with a header `ethnic_category,count`, then one line per NHS ethnic category code (A
    to S; Z for not stated) and a whole number of people; a category left out counts as 0. Every problem is
    reported by line number (422) and nothing is stored; a good file replaces the area's previous figures.
    """
    population.check_media_type(request.headers.get("content-type"))
    counts = population.parse_population_csv(await request.body())
    rows = await population.replace_population(session, ods_code, counts, now=clock.now(), by=principal.subject)
    await audit.record(
        session,
        principal=principal,
        action=Action.population_manage.value,
        outcome="allowed",
        at=clock.now(),
        object_type="area",
        object_ids=[ods_code],
    )
    return _population_public(ods_code, rows)


@population_router.get(
    "/{ods_code}/population", response_model=AreaPopulationPublic, responses=problem_responses(401, 403, 404, 422)
)
async def read_area_population(ods_code: OdsCode, _: CanManagePopulation, session: SessionDep) -> AreaPopulationPublic:
    """The area's population with a learning disability by ethnic category, as last loaded (admin)."""
    return _population_public(ods_code, await population.read_population(session, ods_code))
