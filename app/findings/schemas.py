"""The structured findings of a review (domain.md, "Findings"). Drafts may be partial."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.core.inputs import InputModel
from app.core.types import PastDay, PlannedDay


class _Strict(InputModel):
    pass


class ContributoryFactor(StrEnum):
    delays_in_diagnosis_or_treatment = "delays_in_diagnosis_or_treatment"
    organisational_systems_and_processes = "organisational_systems_and_processes"
    gaps_in_service_provision = "gaps_in_service_provision"
    neglect_or_abuse = "neglect_or_abuse"
    care_coordination_and_information_sharing = "care_coordination_and_information_sharing"
    mental_capacity_act_not_applied = "mental_capacity_act_not_applied"
    transition_from_childrens_to_adults_services = "transition_from_childrens_to_adults_services"
    reasonable_adjustments_not_made = "reasonable_adjustments_not_made"


class ActionStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    completed = "completed"
    not_achieved = "not_achieved"


class InitialReviewEvidence(_Strict):
    """Every initial review: the family or a carer, the GP records, and another professional."""

    family_or_carer_spoken_to_on: PastDay | None = None
    gp_records_seen_on: PastDay | None = None
    other_professional_spoken_to_on: PastDay | None = None


class DnacprFindings(_Strict):
    in_place: StrictBool | None = None
    rationale_as_recorded: str | None = Field(default=None, max_length=2000)
    appropriate: StrictBool | None = None
    correctly_completed: StrictBool | None = None


class SmartAction(_Strict):
    what: str = Field(min_length=1, max_length=2000)
    owner_organisation: str = Field(min_length=1, max_length=200)
    due_on: PlannedDay
    status: ActionStatus = ActionStatus.planned


class StructuredJudgementReview(_Strict):
    """RCP Structured Judgement Review phase scores, 1 very poor to 5 excellent."""

    admission: StrictInt | None = Field(default=None, ge=1, le=5)
    ongoing_care: StrictInt | None = Field(default=None, ge=1, le=5)
    end_of_life_care: StrictInt | None = Field(default=None, ge=1, le=5)
    overall: StrictInt | None = Field(default=None, ge=1, le=5)


class Findings(_Strict):
    pen_portrait: str | None = Field(default=None, max_length=10_000, description="Who the person was.")
    initial_review_evidence: InitialReviewEvidence = Field(default_factory=InitialReviewEvidence)
    grade: StrictInt | None = Field(
        default=None,
        ge=1,
        le=6,
        description="LeDeR grading of care: 1 excellent ... 6 fell far short and contributed to the death.",
    )
    contributory_factors: list[ContributoryFactor] = Field(default_factory=list, max_length=len(ContributoryFactor))
    potentially_avoidable: StrictBool | None = None
    dnacpr: DnacprFindings = Field(default_factory=DnacprFindings)
    mental_capacity_act_applied: StrictBool | None = None
    mccd_accurate: StrictBool | None = None
    learning_points: list[str] = Field(default_factory=list, max_length=30)
    actions: list[SmartAction] = Field(default_factory=list, max_length=50)
    focused_review_findings: str | None = Field(default=None, max_length=20_000)
    structured_judgement_review: StructuredJudgementReview | None = None


class FindingsPublic(BaseModel):
    notification_id: uuid.UUID
    version: int = Field(description="0 until first saved; the same value as the ETag.")
    findings: Findings
    saved_at: datetime | None
    saved_by: str | None
    frozen: bool = Field(description="Signed off: no more changes.")


class FindingsVersionPublic(BaseModel):
    version: int
    saved_at: datetime
    saved_by: str
    changed: list[str] = Field(description="Top-level fields that differ from the version before.")
    findings: Findings
