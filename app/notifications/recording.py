"""What recording new notifications writes, table by table, as plain rows: one statement per table.

The API's single create (service.create_notification) and the import's chunks (bulk.record_chunk) both
write through `NewRows`, so a notification is stored the same way whichever way it came in, and neither
pays for the ORM's unit of work: a new notification has no findings, holds or flags to look up first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import AuditEvent
from app.auth.service import Principal
from app.core.bulk_insert import insert_rows
from app.events.models import OutboxEvent
from app.flags.models import BiasFlag
from app.flags.service import first_flags
from app.idempotency.models import IdempotencyRecord
from app.notifications.models import Notification
from app.reviews.models import HistoryEntry, StageSpan
from app.reviews.service import creation_rows


@dataclass
class NewRows:
    """Everything some new notifications write, in the order one at a time would write it."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)

    def add(self, principal: Principal, notification: dict[str, Any], now: datetime) -> None:
        """A new notification (intake.notification_row), its first history line, stage span and event, and
        the bias flags its cause of death or DNACPR rationale raise."""
        created = creation_rows(principal, notification, now)
        raised = first_flags(notification, now)
        notification["open_bias_flags"] = len(raised.flags)
        self.notifications.append(notification)
        if created.span is not None:
            self.spans.append(created.span)
        self.history.append(created.history)
        self.flags.extend(raised.flags)
        self.events += [created.event, *raised.events]

    async def write(self, session: AsyncSession) -> None:
        """Insert every row; a unique constraint (the same death, the same idempotency key) raises
        IntegrityError."""
        tables: list[tuple[type[SQLModel], list[dict[str, Any]]]] = [
            (Notification, self.notifications),  # first: the others refer to it
            (IdempotencyRecord, self.keys),
            (StageSpan, self.spans),
            (HistoryEntry, self.history),
            (BiasFlag, self.flags),
            (OutboxEvent, self.events),
            (AuditEvent, self.audit),
        ]
        for model, rows in tables:
            await insert_rows(session, model, rows)
