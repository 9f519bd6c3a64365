"""The audit trail: who did what to which record, with what outcome."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import CTE, ColumnElement, String, Table, and_, bindparam, cast, false, insert, literal, or_, true
from sqlalchemy import select as sql_select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import AuditEvent
from app.auth.policy import UNAUDITED_READS, Role
from app.auth.service import Principal
from app.core.bulk_insert import insert_rows
from app.core.clock import Clock
from app.core.cursors import CursorCodec
from app.core.errors import ProblemError, invalid_field
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
    actor: str | None = None,
) -> None:
    """Add audit rows to the caller's transaction: one per object, or one if there is none. `actor` names
    who acted when there is no principal (`cli`: the operator's command).

    A list page writes one row per notification on it: insert_rows copies them in (50 rows: 1.3 ms of CPU
    against 4.7 ms through the ORM's bulk insert, on this machine)."""
    rows = record_rows(
        principal=principal,
        action=action,
        outcome=outcome,
        at=at,
        object_type=object_type,
        object_ids=object_ids,
        actor=actor,
    )
    await insert_rows(session, AuditEvent, rows)
    session.info[AUDITED] = True  # this transaction has its audit row: no generic one is needed (audit_read)


# The values of `recorded_in_statement`'s rows that name the request and the caller, given when it runs.
_PER_REQUEST = ("at", "request_id", "actor", "role", "area")


def recorded_in_statement(ids: ColumnElement[Any], *, action: str, object_type: str) -> CTE:
    """The audit rows of `record`, one per id that `ids` (a column of a CTE the statement also reads) yields, as
    an INSERT to add to that statement with `add_cte`: PostgreSQL writes them as part of the read, a round trip
    (and, for a page of 50, a COPY) fewer. PostgreSQL only: SQLite has no INSERT inside a WITH.

    Who asked, when, and in which request are parameters, so that one statement can serve every caller: run it
    with `in_statement_params`, which also marks the transaction audited."""
    table: Table = AuditEvent.__table__  # type: ignore[attr-defined]
    base = record_rows(principal=None, action=action, outcome="allowed", at=datetime.min, object_type=object_type)
    values: dict[str, Any] = {name: literal(value, table.c[name].type) for name, value in base[0].items()}
    for name in _PER_REQUEST:
        values[name] = bindparam(f"audit_{name}", type_=table.c[name].type, required=True)
    values["object_id"] = cast(ids, String)
    return insert(table).from_select(list(values), sql_select(*values.values())).cte("audited")


def in_statement_params(session: AsyncSession, at: datetime, principal: Principal) -> dict[str, Any]:
    """The values a statement with `recorded_in_statement` rows needs for this request and caller."""
    session.info[AUDITED] = True  # this transaction has its audit rows: no generic one is needed (audit_read)
    row = record_rows(principal=principal, action="", outcome="", at=at)[0]
    return {f"audit_{name}": row[name] for name in _PER_REQUEST}


def record_rows(
    *,
    principal: Principal | None,
    action: str,
    outcome: str,
    at: datetime,
    object_type: str | None = None,
    object_ids: Iterable[str] = (),
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """The rows `record` adds, as column values: for rows written many at a time (app/notifications/bulk.py)."""
    base = {
        "at": at,
        "request_id": request_id_var.get(),
        "actor": principal.subject if principal else actor,
        "role": principal.role.value if principal else None,
        "area": principal.area if principal else None,
        "action": action,
        "object_type": object_type,
        "outcome": outcome,
    }
    return [{**base, "object_id": object_id} for object_id in object_ids] or [{**base, "object_id": None}]


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


AUDITED = "leder.audited"


async def audit_read(request: Request, session: AsyncSession) -> None:
    """Every read is audited, by construction: called by the request's transaction before it commits, this
    records a read that its route did not audit itself (reads of reference data excepted: UNAUDITED_READS).
    A route may record richer rows (one per notification on a page); then this adds nothing."""
    action = getattr(request.state, "action", None)
    principal = getattr(request.state, "principal", None)
    if request.method != "GET" or principal is None or action is None or action in UNAUDITED_READS:
        return
    if session.info.get(AUDITED):
        return
    object_type, object_id = _object_of(request)
    clock: Clock = request.app.state.clock
    await record(
        session,
        principal=principal,
        action=action.value,
        outcome="allowed",
        at=clock.now(),
        object_type=object_type,
        object_ids=[object_id] if object_id else [],
    )


_OBJECT_PARAMS = {"notification_id": "notification", "user_id": "user", "ods_code": "area"}


def _object_of(request: Request) -> tuple[str | None, str | None]:
    for param, object_type in _OBJECT_PARAMS.items():
        if param in request.path_params:
            return object_type, str(request.path_params[param])[:64]
    return None, None


@dataclass(frozen=True)
class AuditFilters:
    object_id: str | None = None
    actor: str | None = None
    at_from: datetime | None = None  # inclusive
    at_to: datetime | None = None  # exclusive


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """The audit rows a caller may read: every one (admin), their own area's (coordinator), none else."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.coordinator and principal.area is not None:
        return col(AuditEvent.area) == principal.area
    return false()  # the policy table already refuses everyone else; fail closed if it ever does not


async def list_events(
    session: AsyncSession,
    principal: Principal,
    filters: AuditFilters,
    limit: int,
    cursor: str | None,
    cursors: CursorCodec,
) -> tuple[Sequence[AuditEvent], str | None]:
    """A page of the trail, oldest first, the row id breaking ties (keyset paging, as for notifications)."""
    at, ident = col(AuditEvent.at), col(AuditEvent.id)
    conditions = [readable_by(principal)]
    if filters.object_id is not None:
        conditions.append(col(AuditEvent.object_id) == filters.object_id)
    if filters.actor is not None:
        conditions.append(col(AuditEvent.actor) == filters.actor)
    if filters.at_from is not None:
        conditions.append(at >= filters.at_from)
    if filters.at_to is not None:
        conditions.append(at < filters.at_to)
    if cursor is not None:
        after_at, after_id = _position(cursors.decode(cursor, "the audit trail"))
        conditions.append(or_(at > after_at, and_(at == after_at, ident > after_id)))
    query = select(AuditEvent).where(*conditions).order_by(at, ident).limit(limit + 1)
    rows = list((await session.exec(query)).all())
    page, more = rows[:limit], len(rows) > limit
    return page, cursors.encode([page[-1].at.isoformat(), page[-1].id]) if more else None


def _position(position: list[Any]) -> tuple[datetime, int]:
    """What our own cursor holds; anything else (an old or foreign payload) is a 422 like a bad cursor."""
    try:
        at_text, ident = position
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None or not isinstance(ident, int) or not 0 < ident < 2**31:  # integer column
            raise ValueError("not a position in the trail")
        return at, ident
    except (ValueError, TypeError):
        raise invalid_field("cursor", "not a cursor this service issued", location="query") from None
