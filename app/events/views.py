"""What an integrator client is shown of an event, in one place: the change feed (GET /events) and webhook bodies
both shape the stored payload here, at the time they are read or sent, by the reading client's scopes as they are
then (a scope withdrawn stops showing its fields at once, in events written before as well).

The stored payload keeps everything; a key reaches a client only if listed below (fail closed: a key added to an
event later is not shown until it is placed in this table).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from app.auth.policy import Scope
from app.events.feed import cursor_of
from app.events.models import OutboxEvent
from app.events.schemas import EventView

# Each payload key a client may see, and the scope it needs beyond the feed itself (None: none).
PAYLOAD_KEYS: dict[str, Scope | None] = {
    "stage": None,
    "from_stage": None,
    "move": None,
    "review_route": None,
    "closure_reason": None,
    "sla_outcome": None,
    "flag_id": None,
    "kind": None,  # a flag's kind only: its evidence is never in an event
    "message_id": None,
    "action_id": None,
    "status": None,
    "from_status": None,
    "days_overdue": None,
    "reviewer_id": Scope.notifications_review,
    "hold_reason": Scope.notifications_review,
}
# Days in a payload: shown as days with `notifications:dates`, else as the month under `<name>_month`.
DAY_KEYS: frozenset[str] = frozenset({"due_on", "expected_end_on"})
_DAY = re.compile(r"^(\d{4}-\d{2})-\d{2}$")


def payload_for(payload: Mapping[str, Any], scopes: Collection[str]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    days = Scope.notifications_dates.value in scopes
    for key, value in payload.items():
        if key in DAY_KEYS:
            if days:
                shown[key] = value
            else:
                day = _DAY.match(value) if isinstance(value, str) else None
                shown[_month_key(key)] = day[1] if day else None
            continue
        if key not in PAYLOAD_KEYS:
            continue
        needed = PAYLOAD_KEYS[key]
        if needed is None or needed.value in scopes:
            shown[key] = value
    return shown


def _month_key(key: str) -> str:
    return key.removesuffix("_on") + "_month"


def event_view(event: OutboxEvent, scopes: Collection[str]) -> EventView:
    return EventView(
        id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        notification_id=event.notification_id,
        area=event.area_ods,
        payload=payload_for(event.payload, scopes),
        cursor=cursor_of(event),
    )


def webhook_body(event: OutboxEvent, scopes: Collection[str]) -> str:
    """The body, as Standard Webhooks lays it out: type, timestamp, data (ids, stages, and what the scopes allow)."""
    notification_id = str(event.notification_id) if event.notification_id else None
    data = {
        "id": str(event.event_id),
        "notification_id": notification_id,
        "area": event.area_ods,
        **payload_for(event.payload, scopes),
    }
    body = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"))
