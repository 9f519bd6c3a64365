"""The audit trail: who did what to which record, with what outcome."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from fastapi import Request
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import AuditEvent
from app.auth.service import Principal
from app.core.clock import Clock
from app.core.errors import ProblemError
from app.core.logging import request_id_var

log = logging.getLogger(__name__)


async def record(
    session: AsyncSession,
    *,
    principal: Principal | None,
    action: str,
    outcome: str,
    at: datetime,
    object_type: str | None = None,
    object_ids: Iterable[str] = (),
) -> None:
    """Add audit rows to the caller's transaction: one per object, or one if there is none."""
    base = {
        "at": at,
        "request_id": request_id_var.get(),
        "actor": principal.subject if principal else None,
        "role": principal.role.value if principal else None,
        "area": principal.area if principal else None,
        "action": action,
        "object_type": object_type,
        "outcome": outcome,
    }
    rows = [{**base, "object_id": object_id} for object_id in object_ids] or [{**base, "object_id": None}]
    await session.exec(insert(AuditEvent), params=rows)


async def record_denial(request: Request, exc: ProblemError) -> None:
    """Record a refused attempt in a transaction of its own: the request's own was rolled back.

    Called by the problem handler after the request session has closed, so on SQLite this does not
    wait on the request's own write lock.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    clock: Clock = request.app.state.clock
    route = request.scope.get("route")
    action = getattr(request.state, "action", None)
    object_type, object_id = _object_of(request)
    try:
        async with sessionmaker() as session:
            await record(
                session,
                principal=getattr(request.state, "principal", None),
                action=str(action.value if action else getattr(route, "name", "unknown")),
                outcome=str(exc.audit_outcome),
                at=clock.now(),
                object_type=object_type,
                object_ids=[object_id] if object_id else [],
            )
            await session.commit()
    except Exception as error:
        # The refusal still stands; a failure to audit it is an operational alarm, not the caller's.
        log.error("audit write failed", extra={"error_type": type(error).__name__})


_OBJECT_PARAMS = {"notification_id": "notification", "user_id": "user", "ods_code": "area"}


def _object_of(request: Request) -> tuple[str | None, str | None]:
    for param, object_type in _OBJECT_PARAMS.items():
        if param in request.path_params:
            return object_type, str(request.path_params[param])[:64]
    return None, None
