from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from app.areas import service
from app.areas.schemas import AreaCreate, AreaPublic, AreaUpdate
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.models import ODS_CODE_PATTERN

router = APIRouter(prefix="/areas", tags=["areas"])

CanRead = Annotated[Principal, Depends(allow(Action.area_read))]
CanManage = Annotated[Principal, Depends(allow(Action.area_manage))]
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
