"""Recording and reading death notifications. Services flush; the request commits."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Uuid, and_, bindparam, exists, false, true, tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.service import area_exists
from app.audit import service as audit
from app.auth.policy import Action, Role
from app.auth.service import Principal
from app.core.clock import uk_date
from app.core.cursors import CursorCodec
from app.core.errors import Conflict, NotFound, invalid_field
from app.flags.models import BiasFlag
from app.flags.schemas import FlagPublic
from app.flags.service import flags_by_notification
from app.idempotency import service as idempotency
from app.notifications import intake, stored, views
from app.notifications.enums import (
    ETHNIC_GROUP,
    EthnicCategory,
    LearningDisabilityLevel,
    PlaceOfDeath,
    Sex,
    Stage,
)
from app.notifications.models import Notification
from app.notifications.periods import months_only
from app.notifications.recording import NewRows
from app.notifications.related import Related, related_columns, related_of
from app.notifications.rules import age_band
from app.notifications.schemas import NotificationCreate
from app.reviews.models import Hold
from app.reviews.schemas import HoldPublic
from app.reviews.service import focused_review
from app.reviews.stages import OPEN_STAGES
from app.sla import service as sla
from app.sla.clock import SlaState

OBJECT_TYPE = "notification"

log = logging.getLogger("leder.notifications")


class DuplicateNotification(Conflict):
    slug = "duplicate-notification"
    title = "This death has already been notified"


class NotAcceptedAsNew(Conflict):
    """A duplicate of a record the caller may not see: saying more would tell them that this person died and was
    notified elsewhere, so the answer names no record, area or date, only whom to ask."""

    slug = "not-accepted-as-new"
    title = "This notification cannot be accepted as a new one"
    audit_outcome = "not_accepted"  # audited by the problem handler, in a transaction of its own


NOT_ACCEPTED_DETAIL = (
    "This notification cannot be accepted as a new one. If you believe it should be, contact the national "
    "LeDeR team at NHS England, quoting this response's request id."
)


@dataclass(frozen=True)
class Created:
    notification: Notification
    replayed: bool
    related: Related | None = None  # of a new notification, known without a query


async def create_notification(
    session: AsyncSession,
    principal: Principal,
    data: NotificationCreate,
    now: datetime,
    idempotency_key: str | None = None,
) -> Created:
    if idempotency_key is not None:
        previous = await idempotency.find(session, principal.subject, idempotency_key, data)
        if previous is not None:
            notification = await session.get(Notification, uuid.UUID(previous))
            if notification is None:  # pragma: no cover - notifications are never deleted
                raise NotFound("The notification this key created no longer exists.")
            await _audit(session, principal, Action.notification_read, now, [notification])
            return Created(notification, replayed=True)

    area_known = await area_exists(session, data.area_ods)
    intake.check_recordable(principal, data, uk_date(now), area_known)
    await _refuse_duplicate(session, principal, data)

    row = intake.notification_row(principal, data, now)
    rows = NewRows()
    if idempotency_key is not None:
        rows.keys.append(idempotency.record_row(principal.subject, idempotency_key, data, row["id"], now))
    rows.add(principal, row, now)
    rows.audit = audit.record_rows(
        principal=principal,
        action=Action.notification_create.value,
        outcome="allowed",
        at=now,
        object_type=OBJECT_TYPE,
        object_ids=[str(row["id"])],
    )
    try:
        await rows.write(session)
    except IntegrityError:
        # Lost a race with a concurrent request for the same death or the same key.
        raise Conflict("A concurrent request recorded this notification; retry to see it.") from None
    flags = [BiasFlag(**flag) for flag in rows.flags]
    return Created(Notification(**row), replayed=False, related=Related(holds=[], flags=flags))


async def _refuse_duplicate(session: AsyncSession, principal: Principal, data: NotificationCreate) -> None:
    if data.person.nhs_number is None:
        return
    same_death = (
        col(Notification.nhs_number) == data.person.nhs_number,
        col(Notification.date_of_death) == data.death.date_of_death,
    )
    if (await session.exec(select(Notification.id).where(*same_death))).first() is None:
        return
    # Point at the existing record only for callers who may read it (another area's stays unnamed).
    visible = (await session.exec(select(Notification.id).where(*same_death, readable_by(principal)))).first()
    raise duplicate_of(visible)


def duplicate_of(visible: uuid.UUID | None) -> DuplicateNotification | NotAcceptedAsNew:
    """The refusal of a second notification of a death: pointing at the first if the caller may read it, else
    saying nothing about it."""
    if visible is None:
        return NotAcceptedAsNew(NOT_ACCEPTED_DETAIL)
    return DuplicateNotification(
        "A notification for this NHS number and date of death exists.",
        existing_notification_id=str(visible),
        existing_notification=f"/notifications/{visible}",
    )


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """The one rule for which notifications a caller may see; list and get both use it.

    The caller's values are named parameters (`caller_values`), so that a statement built once for a role can
    be run for each caller of it (`_read_statement`)."""
    values = caller_values(principal)
    if principal.role is Role.coordinator:
        return col(Notification.area_ods) == bindparam("caller_area", values["caller_area"])
    if principal.role is Role.integrator:
        return col(Notification.area_ods).in_(bindparam("caller_areas", values["caller_areas"], expanding=True))
    if principal.role is Role.national:
        return true()
    if principal.role is Role.reviewer:
        # Only while allocated to them: after reallocation the previous reviewer gets 404.
        return col(Notification.reviewer_id) == bindparam("caller_user_id", values["caller_user_id"], type_=Uuid())
    return false()


def caller_values(principal: Principal) -> dict[str, Any]:
    """The values of `readable_by`'s parameters for this caller."""
    return {
        "caller_area": principal.area,
        "caller_areas": sorted(principal.client_areas),
        "caller_user_id": principal.user_id,
    }


async def find_readable(session: AsyncSession, principal: Principal, notification_id: uuid.UUID) -> Notification:
    """The notification, if this caller may see it; 404 exactly as for one that does not exist."""
    notification = (
        await session.exec(select(Notification).where(Notification.id == notification_id, readable_by(principal)))
    ).first()
    if notification is None:
        raise NotFound("No such notification.")
    return notification


async def read_notification(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID, now: datetime
) -> tuple[Notification, Related]:
    """A readable notification with its holds and flags, and the read audited: one statement on PostgreSQL."""
    dialect = _dialect(session)
    params = {"notification_id": notification_id, **caller_values(principal)}
    if dialect == "postgresql":
        params |= audit.in_statement_params(session, now, principal)
    row = (await session.exec(_read_statement(dialect, principal.role), params=params)).first()
    if row is None:
        raise NotFound("No such notification.")
    notification, holds, flags = row
    if dialect != "postgresql":
        await _audit(session, principal, Action.notification_read, now, [notification])
    return notification, related_of(holds, flags)


@cache
def _read_statement(dialect: str, role: Role) -> Any:
    """The statement of `read_notification` for every caller of one role: the notification id, the caller's
    values and the audit row's are given when it runs. Building it and working out its cache key took longer
    than running it; a statement built once is keyed once. It is built for a caller with no values (no area, no
    areas, no user), so a run that failed to give a caller's values would find nothing."""
    notification_id = bindparam("notification_id", type_=Uuid(), required=True)
    nobody = Principal(subject="", role=role)
    found = select(Notification.id).where(Notification.id == notification_id, readable_by(nobody)).cte("found")
    return _with_related(dialect, found.c.id, found.c.id)


def _with_related(dialect: str, ids: ColumnElement[Any], shown: ColumnElement[Any]) -> Any:
    """The notifications `ids` names, each with its holds and flags (app/notifications/related.py); on
    PostgreSQL the same statement writes the audit row of each one `shown` names (the page without the row
    read only to know that another page follows): run it with `audit.in_statement_params`."""
    holds, flags = related_columns(dialect)
    query = select(Notification, holds, flags).where(col(Notification.id).in_(select(ids)))
    if dialect == "postgresql":
        read = Action.notification_read.value
        query = query.add_cte(audit.recorded_in_statement(shown, action=read, object_type=OBJECT_TYPE))
    return query


def _dialect(session: AsyncSession) -> str:
    assert session.bind is not None  # every session of this service is bound to its engine
    return session.bind.dialect.name


async def get_notification(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID, now: datetime, action: Action
) -> Notification:
    """Find a readable notification and audit the access as `action` (a read, or the write to come)."""
    notification = await find_readable(session, principal, notification_id)
    await _audit(session, principal, action, now, [notification])
    return notification


class SortOrder(StrEnum):
    notified = "notified"  # oldest notified first
    due = "due"  # the nearest hold-adjusted due date first


@dataclass(frozen=True)
class NotificationFilters:
    area: str | None = None
    stage: Stage | None = None
    notified_from: date | None = None
    notified_to: date | None = None
    unallocated: bool | None = None
    reviewer_id: uuid.UUID | None = None
    sla_state: SlaState | None = None
    due_before: date | None = None
    hold_overdue: bool | None = None


@dataclass(frozen=True)
class Page:
    rows: list[Notification]
    related: dict[uuid.UUID, Related]
    next_cursor: str | None


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    filters: NotificationFilters,
    sort: SortOrder,
    limit: int,
    cursor: str | None,
    cursors: CursorCodec,
    now: datetime,
    at_risk_days: int,
) -> Page:
    """A page in the chosen order, with the notification id breaking ties, and each row's holds and flags.

    Keyset paging: a page costs the same at any depth, and rows added meanwhile are neither
    skipped nor repeated. National oversight's order is by notified month, so that neither the order nor the
    (encrypted) cursor says more than the month (app.notifications.periods).
    """
    today = uk_date(now)
    order = _order(sort, principal)
    key = _ORDER_KEYS[order](today)
    page_ids = select(Notification.id, key.label("sort_key")).where(
        readable_by(principal), *_conditions(filters, today, at_risk_days)
    )
    if cursor is not None:
        after_key, after_id = _position(cursors.decode(cursor, "this list"), order)
        # A row comparison, which PostgreSQL answers from an index on (key, id); an OR of the two is a scan.
        page_ids = page_ids.where(tuple_(key, col(Notification.id)) > tuple_(after_key, after_id))
    # The page's ids first (and one more, to know whether another page follows), then their rows: the ids and
    # sort keys come from an index alone (e.g. the worklist's 900 open rows of an area), so only the page's
    # rows are read from the table.
    candidates = page_ids.order_by(key, col(Notification.id)).limit(limit + 1).cte("candidates")
    shown = select(candidates.c.id).order_by(candidates.c.sort_key, candidates.c.id).limit(limit).cte("shown")
    dialect = _dialect(session)
    query = _with_related(dialect, candidates.c.id, shown.c.id).order_by(key, col(Notification.id))
    params = audit.in_statement_params(session, now, principal) if dialect == "postgresql" else {}
    found = list((await session.exec(query, params=params)).all())
    more = len(found) > limit
    page, related = [], {}
    for row, row_holds, row_flags in found[:limit]:
        page.append(row)  # audited as shown even if its view then fails: it was read
        try:
            related[row.id] = related_of(row_holds, row_flags)
        except Exception as exc:
            _left_out(row, exc)
    if not page or dialect != "postgresql":
        await _audit(session, principal, Action.notification_read, now, page)  # an empty page is audited too
    next_cursor = cursors.encode([order, _key_of(page[-1], order, today), str(page[-1].id)]) if more else None
    return Page(page, related, next_cursor)


def _conditions(filters: NotificationFilters, today: date, at_risk_days: int) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.area is not None:
        conditions.append(col(Notification.area_ods) == filters.area)
    if filters.stage is not None:
        conditions.append(col(Notification.stage) == filters.stage)
    if filters.notified_from is not None:
        conditions.append(col(Notification.notified_on) >= filters.notified_from)
    if filters.notified_to is not None:
        conditions.append(col(Notification.notified_on) <= filters.notified_to)
    if filters.unallocated is not None:
        unallocated = and_(
            col(Notification.reviewer_id).is_(None),
            col(Notification.stage).in_([s.value for s in OPEN_STAGES]),
        )
        conditions.append(unallocated if filters.unallocated else ~unallocated)
    if filters.reviewer_id is not None:
        conditions.append(col(Notification.reviewer_id) == filters.reviewer_id)
    if filters.sla_state is not None:
        conditions.append(sla.state_filter(filters.sla_state, today, at_risk_days))
    if filters.due_before is not None:
        conditions.append(col(Notification.stage).in_([s.value for s in OPEN_STAGES]))
        conditions.append(sla.live_due_ordinal(today) <= filters.due_before.toordinal())
    if filters.hold_overdue is not None:
        overdue = exists().where(
            col(Hold.notification_id) == col(Notification.id),
            col(Hold.ended_at).is_(None),
            col(Hold.expected_end_on) < today,
        )
        conditions.append(overdue if filters.hold_overdue else ~overdue)
    return conditions


def _order(sort: SortOrder, principal: Principal) -> str:
    if sort is SortOrder.due:
        return "due"
    return "notified_month" if months_only(principal) else "notified"


_ORDER_KEYS: dict[str, Callable[[date], ColumnElement[Any]]] = {
    "notified": lambda today: cast(ColumnElement[Any], col(Notification.notified_on)),
    "notified_month": lambda today: cast(ColumnElement[Any], col(Notification.notified_month)),
    "due": sla.live_due_ordinal,
}


def _key_of(last: Notification, order: str, today: date) -> object:
    if order == "notified":
        return last.notified_on.isoformat()
    if order == "notified_month":
        return last.notified_month
    paused = last.sla_paused_since_ordinal
    return last.sla_due_ordinal + (today.toordinal() - paused if paused is not None else 0)


def _position(position: list[Any], order: str) -> tuple[Any, uuid.UUID]:
    """The key and id inside one of our cursors, for this order; anything else is a 422 naming `cursor`."""
    try:
        cursor_order, key, notification_id = position
        if cursor_order != order:
            raise ValueError("cursor from another order")
        if order == "notified":
            parsed: Any = date.fromisoformat(key)
        else:
            parsed = _number(key)
        return parsed, uuid.UUID(notification_id)
    except (ValueError, TypeError, AttributeError):
        raise invalid_field("cursor", "not a cursor this service issued for this order", location="query") from None


def _number(key: object) -> int:
    if not isinstance(key, int) or not 0 <= key <= date.max.toordinal():
        raise ValueError("not a day or month number")  # unbounded integers overflow SQLite's
    return key


async def _audit(
    session: AsyncSession, principal: Principal, action: Action, now: datetime, rows: Sequence[Notification]
) -> None:
    # An empty page is audited too: the attempt to look is itself worth knowing.
    await audit.record(
        session,
        principal=principal,
        action=action.value,
        outcome="allowed",
        at=now,
        object_type=OBJECT_TYPE,
        object_ids=[str(row.id) for row in rows],
    )


async def load_related(session: AsyncSession, notification_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Related]:
    """Holds and flags of every notification on a page: two queries, whatever the page size."""
    holds = await sla.holds_by_notification(session, notification_ids)
    flags = await flags_by_notification(session, notification_ids)
    return {i: Related(holds.get(i, []), flags.get(i, [])) for i in notification_ids}


def to_views(
    principal: Principal,
    rows: Sequence[Notification],
    related: dict[uuid.UUID, Related],
    today: date,
    at_risk_days: int,
) -> list[dict[str, Any]]:
    """Views for a list. A row whose view cannot be built is a bug to fix, not a failed page for everyone who
    lists it: it is logged (by id and error type; the error's text may quote personal data) and left out."""
    views = []
    for row in rows:
        if row.id not in related:
            continue  # its holds or flags could not be read (list_notifications logged it)
        try:
            views.append(to_view(principal, row, related[row.id], today, at_risk_days))
        except Exception as exc:
            _left_out(row, exc)
    return views


def _left_out(row: Notification, exc: Exception) -> None:
    log.error(
        "notification view could not be built; left out of the list",
        extra={"notification_id": str(row.id), "error_type": type(exc).__name__},
    )


def to_view(
    principal: Principal, notification: Notification, related: Related, today: date, at_risk_days: int
) -> dict[str, Any]:
    """Shape a notification for the caller: national oversight never receives identifiable data.

    A plain dictionary in the shape of the caller's model (`NotificationPublic`, `NotificationDeidentified`,
    `NotificationForIntegrator`), which documents it; app/notifications/stored.py says why, and
    tests/api/test_views_match_their_models.py holds each view to its model. Send it with `json_response`."""
    holds = related.holds
    category = stored.member(EthnicCategory, notification.ethnic_category)
    clocks = sla.sla_of(notification, holds, today, at_risk_days)
    if principal.role is Role.integrator:
        return views.for_integrator(principal, notification, holds, related.flags, clocks)
    if principal.role is Role.national:
        return {
            **stored.case(notification),
            "notified_month": views.month(notification.notified_on),
            "month_of_death": views.month(notification.date_of_death),
            "age_band": age_band(notification.age_at_death),
            "sex": stored.member(Sex, notification.sex),
            "ethnic_group": ETHNIC_GROUP[category],
            "learning_disability_level": stored.member(LearningDisabilityLevel, notification.learning_disability_level),
            "autism": notification.autism,
            "place_of_death": stored.member(PlaceOfDeath, notification.place_of_death),
            "sla_state": clocks.hold_adjusted.state if clocks else None,
        }
    current_hold = next((h for h in holds if h.ended_at is None), None)
    return {
        **stored.case(notification),
        "notified_on": notification.notified_on,
        "received_at": notification.received_at,
        "age_at_death": notification.age_at_death,
        "version": notification.version,
        "sla": sla.sla_document(clocks) if clocks else None,
        "person": stored.person(notification),
        "death": stored.death(notification),
        "national_data_opt_out": notification.national_data_opt_out,
        "notifier": stored.notifier(notification),
        "care_providers": notification.care_providers,
        "ethnic_group": ETHNIC_GROUP[category],
        "reviewer_id": notification.reviewer_id,
        "stage_changed_at": notification.stage_changed_at,
        "focused_review": focused_review(notification).model_dump(),
        "hold": HoldPublic.model_validate(current_hold).model_dump() if current_hold else None,
        "flags": [FlagPublic.model_validate(f).model_dump() for f in related.flags],
    }
