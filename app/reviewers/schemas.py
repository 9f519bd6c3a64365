from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StrictBool, StrictInt

from app.core.inputs import InputModel
from app.core.models import ODS_CODE_PATTERN
from app.core.patch import PatchModel
from app.core.types import Day
from app.notifications.enums import Stage
from app.sla.clock import SlaState

OdsCode = Annotated[str, Field(pattern=ODS_CODE_PATTERN)]


class ReviewerCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    email: Annotated[EmailStr, AfterValidator(str.lower)] = Field(max_length=320)
    organisations: list[OdsCode] = Field(
        default_factory=list, max_length=50, description="ODS codes of the organisations they work for."
    )
    max_active_reviews: StrictInt = Field(ge=1, le=200)
    # No external_subject: binding a login at the identity provider is an admin's act (PATCH /users/{id}).


class ReviewerUpdate(PatchModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    organisations: list[OdsCode] | None = Field(default=None, max_length=50)
    max_active_reviews: StrictInt | None = Field(default=None, ge=1, le=200)
    active: StrictBool | None = None


class ReviewerPublic(BaseModel):
    id: uuid.UUID
    version: int = Field(description="The row version; the same value as the ETag.")
    area_ods: str
    name: str
    email: str
    active: bool
    organisations: list[str]
    max_active_reviews: int
    active_reviews: int = Field(description="Reviews allocated to them and not yet finished.")
    at_risk: int = Field(description="Of those, how many are at risk of missing six months.")
    breached: int
    next_due_on: Day | None = Field(description="The earliest hold-adjusted due date they carry.")


class WorkloadItem(BaseModel):
    notification_id: uuid.UUID
    stage: Stage
    notified_on: Day
    due_on: Day
    days_remaining: int
    sla_state: SlaState


class Workload(BaseModel):
    reviewer: ReviewerPublic
    reviews: list[WorkloadItem] = Field(description="Active reviews, the most urgent first.")
