"""What clients send and get for the action plan and the themes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import InputModel
from app.core.types import PlannedDay
from app.findings.schemas import ActionStatus

# Control characters are refused by InputModel (app/core/inputs.py), as for every request body.
Text = Annotated[str, Field(min_length=1, max_length=2000)]
ThemeName = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_.]+$")]
Count = Annotated[int | Literal["*"], Field(description="A count; `*` where disclosure control suppressed it.")]


class _Strict(InputModel):
    pass


class ActionCreate(_Strict):
    """An area-level action: answers one or more themes, optionally for one review that raised them."""

    what: Text
    owner_organisation: Annotated[str, Field(min_length=1, max_length=200)]
    due_on: PlannedDay
    themes: list[ThemeName] = Field(
        min_length=1, max_length=20, description="Theme names, as GET /areas/{ods_code}/themes lists them."
    )
    notification_id: uuid.UUID | None = Field(default=None, description="A review of the area that raised the themes.")


class ActionUpdateCreate(_Strict):
    """Progress: a status change, a new due date, or a note alone."""

    status: ActionStatus | None = None
    note: Text = Field(description="What was done (completed), why not (not_achieved), or the progress made.")
    evidence_reference: Annotated[str, Field(max_length=500)] | None = None
    due_on: PlannedDay | None = None
    due_on_reason: Text | None = Field(default=None, description="Required when due_on moves the due date.")


class ActionUpdatePublic(BaseModel):
    at: datetime
    by: str
    from_status: ActionStatus
    to_status: ActionStatus
    from_due_on: date
    to_due_on: date
    note: str
    evidence_reference: str | None


class ActionPublic(BaseModel):
    id: uuid.UUID
    area_ods: str
    notification_id: uuid.UUID | None = Field(description="The review it came from, or that an area action answers.")
    from_review: bool = Field(description="One of the review's SMART actions (true), or added by the coordinator.")
    what: str
    owner_organisation: str
    due_on: date
    status: ActionStatus
    overdue: bool = Field(description="Past its due date and not finished.")
    days_overdue: int
    closed_on: date | None
    themes: list[str]
    version: int = Field(description="The same value as the ETag.")
    created_at: datetime
    created_by: str
    updates: list[ActionUpdatePublic] | None = Field(default=None, description="Only on GET /actions/{id}.")


class ActionPage(BaseModel):
    items: list[ActionPublic]
    next_cursor: str | None


class ThemeActions(BaseModel):
    total: Count
    planned: Count
    in_progress: Count
    completed: Count
    not_achieved: Count
    overdue: Count


class ThemeRow(BaseModel):
    theme: str
    reviews: Count = Field(description="Signed-off reviews in the period that raised it.")
    actions: ThemeActions = Field(description="Actions of the area answering it (any period).")
    has_action: bool


class ThemesReport(BaseModel):
    area_ods: str
    from_: date = Field(alias="from")
    to: date
    signed_off_reviews: Count
    disclosure_controlled: bool
    themes: list[ThemeRow]

    model_config = ConfigDict(populate_by_name=True)
