from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import Area
from app.areas.schemas import AreaCreate, AreaUpdate
from app.core.db import PROCESS_FACTS
from app.core.errors import Conflict, NotFound


async def area_exists(session: AsyncSession, ods_code: str) -> bool:
    """Whether the area exists. Areas are never deleted, so once one is seen this process remembers it (every
    notification names its area, and creating one need not look it up each time)."""
    facts: set[tuple[str, str]] | None = session.info.get(PROCESS_FACTS)
    if facts is not None and ("area", ods_code) in facts:
        return True
    found = await session.get(Area, ods_code) is not None
    if found and facts is not None:
        facts.add(("area", ods_code))
    return found


async def list_areas(session: AsyncSession) -> Sequence[Area]:
    return (await session.exec(select(Area).order_by(Area.ods_code))).all()


async def get_area(session: AsyncSession, ods_code: str) -> Area:
    area = await session.get(Area, ods_code)
    if area is None:
        raise NotFound("No such area.")
    return area


async def create_area(session: AsyncSession, data: AreaCreate, now: datetime) -> Area:
    if await session.get(Area, data.ods_code) is not None:
        raise Conflict(f"Area {data.ods_code} already exists.")
    area = Area(ods_code=data.ods_code, name=data.name, region=data.region, created_at=now)
    session.add(area)
    await session.flush()
    return area


async def update_area(session: AsyncSession, ods_code: str, data: AreaUpdate) -> Area:
    area = await get_area(session, ods_code)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(area, name, value)
    await session.flush()
    return area
