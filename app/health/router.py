from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import READ_ONLY_OPTION
from app.core.errors import problem_response, unavailable_response, unavailable_responses

router = APIRouter(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/live", response_model=Health)
async def live() -> Health:
    """The process is up. Touches nothing else."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses=unavailable_responses())
async def ready(request: Request) -> Health | JSONResponse:
    """The database answers and its schema is at the migration head this code expects."""
    engine: AsyncEngine = request.app.state.engine
    expected: str = request.app.state.migration_head
    try:
        async with engine.connect() as raw:
            connection = await raw.execution_options(**{READ_ONLY_OPTION: True})
            current = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception:
        return unavailable_response()
    if current != expected:
        return problem_response(503, detail="The database schema is not at the expected migration.")
    return Health(status="ok")
