from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.areas import contact, service
from app.areas.schemas import AreaContactPublic, AreaContactUpdate, AreaCreate, AreaPublic, AreaUpdate
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import IfMatch, etag, expected_version
from app.core.models import ODS_CODE_PATTERN

router = APIRouter(prefix="/areas", tags=["areas"])

CanRead = Annotated[Principal, Depends(allow(Action.area_read))]
CanManage = Annotated[Principal, Depends(allow(Action.area_manage))]
CanManageContact = Annotated[Principal, Depends(allow(Action.area_contact_manage))]
OdsCode = Annotated[str, Path(pattern=ODS_CODE_PATTERN)]


@router.get("", response_model=list[AreaPublic], responses=problem_responses(401, 403))
async def list_areas(_: CanRead, session: SessionDep) -> list[AreaPublic]:
    """The commissioning areas, by ODS code."""
    return [AreaPublic.model_validate(area) for area in await service.list_areas(session)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AreaPublic,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_area(body: AreaCreate, _: CanManage, session: SessionDep, clock: ClockDep) -> AreaPublic:
    """Add a commissioning area (admin)."""
    return AreaPublic.model_validate(await service.create_area(session, body, clock.now()))


@router.patch("/{ods_code}", response_model=AreaPublic, responses=problem_responses(401, 403, 404, 422))
async def update_area(ods_code: OdsCode, body: AreaUpdate, _: CanManage, session: SessionDep) -> AreaPublic:
    """Rename an area or change its region (admin)."""
    return AreaPublic.model_validate(await service.update_area(session, ods_code, body))


@router.get("/{ods_code}/contact", response_model=AreaContactPublic, responses=problem_responses(401, 403, 404, 422))
async def get_area_contact(
    ods_code: OdsCode, principal: CanManageContact, session: SessionDep, clock: ClockDep, response: Response
) -> AreaContactPublic:
    """How families reach the area's LeDeR team (admin, or the area's coordinator), with its `ETag`
    (`"0"` before any is set)."""
    found = await contact.read(session, principal, ods_code, clock.now())
    response.headers["ETag"] = etag(found.version)
    return found


@router.put(
    "/{ods_code}/contact", response_model=AreaContactPublic, responses=problem_responses(401, 403, 404, 412, 422, 428)
)
async def put_area_contact(
    ods_code: OdsCode,
    body: AreaContactUpdate,
    principal: CanManageContact,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> AreaContactPublic:
    """Set the area's contact email, telephone (a UK number) and postal address, shown on the family pages
    and in the annual report. Needs `If-Match`."""
    version = expected_version(if_match)
    saved = await contact.replace(session, principal, ods_code, body, version, clock.now())
    response.headers["ETag"] = etag(saved.version)
    return saved
