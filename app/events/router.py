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
from app.events.schemas import EventPage
from app.events.views import event_view

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

    Each payload shows what the client's scopes allow: the reviewer and hold reasons with `notifications:review`,
    days with `notifications:dates` (else the month, as `<name>_month`).

    Poll with the last `next_cursor`: no event is skipped or repeated, even while others are written.
    A committed change reaches the feed within about a second, whatever else is running.
    """
    start = await resolve_cursor(session, after)
    events = await read_feed(session, start, limit, sorted(principal.client_areas))
    # One audit row per page: events carry no identifiable data, and a busy feed would swamp the trail.
    await audit.record(session, principal=principal, action=Action.events_read.value, outcome="allowed", at=clock.now())
    # Action events need their own scope (actions:read); the cursor still moves past the ones left out.
    shows_actions = Scope.actions_read in principal.scopes
    scopes = {scope.value for scope in principal.scopes}
    items = [event_view(e, scopes) for e in events if shows_actions or not e.type.startswith("action.")]
    return EventPage(items=items, next_cursor=cursor_of(events[-1]) if events else str(start))
