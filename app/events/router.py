from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service as audit
from app.auth.deps import ClockDep, allow
from app.auth.policy import Action, Scope
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.events.feed import cursor_of, read_feed, resolve_cursor
from app.events.models import OutboxEvent
from app.events.schemas import EventPage, EventView

router = APIRouter(prefix="/events", tags=["events"])

CanRead = Annotated[Principal, Depends(allow(Action.events_read))]


@router.get("", response_model=EventPage, responses=problem_responses(401, 403, 422))
async def read_events(
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    after: Annotated[
        str | None, Query(max_length=40, description="A cursor from an earlier page; none: start.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """Every state change in the client's areas, in commit order (integrators with `events:read`).

    Poll with the last `next_cursor`: no event is skipped or repeated, even while others are written.
    A committed change reaches the feed within about a second, whatever else is running.
    """
    start = await resolve_cursor(session, after)
    events = await read_feed(session, start, limit, sorted(principal.client_areas))
    # One audit row per page: events carry no identifiable data, and a busy feed would swamp the trail.
    await audit.record(session, principal=principal, action=Action.events_read.value, outcome="allowed", at=clock.now())
    # Action events need their own scope (actions:read); the cursor still moves past the ones left out.
    shows_actions = Scope.actions_read in principal.scopes
    items = [_view(e) for e in events if shows_actions or not e.type.startswith("action.")]
    return EventPage(items=items, next_cursor=cursor_of(events[-1]) if events else str(start))


def _view(event: OutboxEvent) -> EventView:
    return EventView(
        id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        notification_id=event.notification_id,
        area=event.area_ods,
        payload=event.payload,
        cursor=cursor_of(event),
    )
