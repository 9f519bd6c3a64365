from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import InputModel
from app.core.types import Day, PastDay, PlannedDay
from app.notifications.enums import OtherProcess, Stage
from app.reviews.focused import FocusedReviewReason


class _Strict(InputModel):
    pass


class AllocationRequest(_Strict):
    reviewer_id: uuid.UUID
    reason: str | None = Field(default=None, min_length=1, max_length=2000, description="Required to reallocate.")
    capacity_override_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Allocate beyond the reviewer's maximum active reviews, recording why.",
    )


class TransitionRequest(_Strict):
    to: Stage
    reason: str | None = Field(
        default=None, min_length=1, max_length=2000, description="Required to send back or exclude."
    )


class HoldRequest(_Strict):
    reason: OtherProcess
    reference: str | None = Field(default=None, min_length=1, max_length=100, description="e.g. the inquest number")
    expected_end_on: PlannedDay | None = None
    started_on: PastDay | None = Field(
        default=None,
        description="The day the other process began, if before today (an inquest is often known days after "
        "it opened): on or after the notification date, not in the future. The clock stops from this day; the "
        "history records when it was entered and by whom. Default: today.",
    )


class HoldEndRequest(_Strict):
    ended_on: PastDay | None = Field(
        default=None,
        description="The day the other process ended, if before today: on or after the hold's start, not in the "
        "future. The clock runs again from this day. Default: today.",
    )


class WaiverRequest(_Strict):
    reason: str = Field(min_length=1, max_length=2000)


class HoldPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reason: OtherProcess
    reference: str | None
    expected_end_on: Day | None
    stage_before: Stage
    started_at: datetime
    started_on: Day
    started_by: str
    ended_at: datetime | None
    ended_on: Day | None
    ended_by: str | None


class FocusedReviewWaiver(BaseModel):
    reason: str
    by: str
    at: datetime
    reasons: list[FocusedReviewReason] = Field(default_factory=list, description="The reasons this decision covered.")


class FocusedReview(BaseModel):
    required: bool = Field(description="A reason stands that no waiver covers, and no focused review was done.")
    reasons: list[FocusedReviewReason]
    outstanding: list[FocusedReviewReason] = Field(description="Reasons not covered by a waiver.")
    done: bool = Field(description="A focused review has been carried out and submitted.")
    waiver: FocusedReviewWaiver | None


class HistoryEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str
    kind: str
    from_stage: Stage | None
    to_stage: Stage | None
    reason: str | None
    details: dict[str, Any]
