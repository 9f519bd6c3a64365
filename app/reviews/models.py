from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class Hold(SQLModel, table=True):
    """A wait for another process (coroner, police, safeguarding, ...). Stops the six-month clock."""

    __tablename__ = "hold"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    reason: str = Field(max_length=40)
    reference: str | None = Field(default=None, max_length=100)
    expected_end_on: date | None = None
    stage_before: str = Field(max_length=20)
    started_at: datetime = utc_field()
    started_on: date  # the UK date, which is what the clock counts
    started_by: str = Field(max_length=80)
    ended_at: datetime | None = utc_field(nullable=True, default=None)
    ended_on: date | None = None
    ended_by: str | None = Field(default=None, max_length=80)


class HistoryKind(StrEnum):
    """Every kind of timeline entry; the values fit the `kind` column."""

    notified = "notified"
    allocated = "allocated"
    reallocated = "reallocated"
    stage_changed = "stage_changed"
    focused_review_waived = "focused_review_waived"
    family_asked_focused_review = "family_asked_focused_review"
    flag_dismissed = "flag_dismissed"
    findings_saved = "findings_saved"
    family_invited = "family_invited"
    family_invitation_revoked = "family_invitation_revoked"
    family_code_reissued = "family_code_reissued"
    family_raised_concern = "family_raised_concern"
    family_said_went_well = "family_said_went_well"
    concern_acknowledged = "concern_acknowledged"
    family_summary_choice = "family_summary_choice"
    family_summary_released = "family_summary_released"


KIND_MAX_LENGTH = 30


class HistoryEntry(SQLModel, table=True):
    """One line of a notification's timeline. Append-only."""

    __tablename__ = "history_entry"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    at: datetime = utc_field()
    actor: str = Field(max_length=80)
    role: str = Field(max_length=20)
    kind: str = Field(max_length=KIND_MAX_LENGTH)
    from_stage: str | None = Field(default=None, max_length=20)
    to_stage: str | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


# An open span's end: a real date rather than NULL, so "the stage on day D" is one range condition an index
# answers (started_on <= D < ended_on), with no OR IS NULL beside it.
STILL_OPEN = date(9999, 12, 31)


class StageSpan(SQLModel, table=True):
    """The days a review spent in one open stage, [started_on, ended_on) in UK dates.

    Reports read which stage each review was in at the end of a past period here. A review's open stages
    tile its life from notification to completion or exclusion; closed stages have no span.
    """

    __tablename__ = "stage_span"
    __table_args__ = (
        # Either bound may be the selective one: recent dates have few spans ending after them, old dates few
        # starting before them. Both carry what the reports count by, so counting needs no table reads.
        Index("ix_stage_span_ended_on", "ended_on", "started_on", "area_ods", "stage", "notified_on"),
        Index("ix_stage_span_started_on", "started_on", "ended_on", "area_ods", "stage", "notified_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    area_ods: str = Field(max_length=6)
    stage: str = Field(max_length=20)
    started_on: date
    ended_on: date = STILL_OPEN
    notified_on: date  # the notification's, which never changes: how long it has been open, without a join
