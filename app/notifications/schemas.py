"""What clients send and receive. Unknown fields are refused; text is bounded."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictBool, model_validator

from app.core.inputs import InputModel
from app.core.models import ODS_CODE_PATTERN
from app.core.types import Day, PastDay
from app.flags.detect import FlagKind
from app.flags.schemas import FlagEvidence, FlagPublic
from app.notifications.enums import (
    ClosureReason,
    EthnicCategory,
    EthnicGroup,
    LearningDisabilityLevel,
    OtherProcess,
    PlaceOfDeath,
    ReviewRoute,
    Sex,
    Stage,
)
from app.notifications.rules import normalise_icd10, normalise_nhs_number
from app.reviews.focused import FocusedReviewReason
from app.reviews.schemas import FocusedReview, HoldPublic
from app.sla.clock import SlaState
from app.sla.schemas import SlaView


class _Strict(InputModel):
    pass


NhsNumber = Annotated[
    str,
    Field(
        min_length=10,
        max_length=14,
        description="10 digits with a valid Modulus 11 check digit; spaces accepted, stored without.",
        examples=["943 476 5919"],
    ),
    AfterValidator(normalise_nhs_number),
]
Icd10Code = Annotated[str, Field(max_length=8, examples=["J69.0"]), AfterValidator(normalise_icd10)]


class CauseLine(_Strict):
    text: str = Field(min_length=1, max_length=500)
    icd10: Icd10Code | None = None


class CauseOfDeath(_Strict):
    """As on the Medical Certificate of Cause of Death."""

    part_1: list[CauseLine] = Field(
        min_length=1,
        max_length=4,
        description="Lines I(a) to I(d) in order: I(a) the immediate cause, the last line the underlying cause.",
    )
    part_2: list[CauseLine] = Field(
        default_factory=list, max_length=6, description="Conditions contributing to the death."
    )


class Dnacpr(_Strict):
    in_place: StrictBool | None = Field(description="Was a DNACPR order in place? null if not known.")
    rationale: str | None = Field(default=None, max_length=2000, description="The rationale as recorded.")

    @model_validator(mode="after")
    def _rationale_needs_order(self) -> Dnacpr:
        if self.rationale and self.in_place is not True:
            raise ValueError("a rationale is recorded only for a DNACPR order that was in place")
        return self


class Person(_Strict):
    nhs_number: NhsNumber | None = None
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: PastDay
    sex: Sex
    ethnic_category: EthnicCategory = Field(description="NHS Data Dictionary code; Z = not stated.")
    learning_disability_level: LearningDisabilityLevel
    autism: StrictBool
    lived_alone: StrictBool | None = None
    out_of_area_placement: StrictBool | None = None


class Death(_Strict):
    date_of_death: PastDay
    place_of_death: PlaceOfDeath
    died_in_england: StrictBool = True
    cause_of_death: CauseOfDeath
    dnacpr: Dnacpr | None = None
    other_processes: list[OtherProcess] = Field(
        default_factory=list, max_length=len(OtherProcess), description="Investigations under way."
    )


class Notifier(_Strict):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=100)
    organisation: str = Field(min_length=1, max_length=200)
    organisation_ods: str | None = Field(default=None, pattern=ODS_CODE_PATTERN)
    contact: str = Field(min_length=3, max_length=200, description="Email address or telephone number.")


class NotificationCreate(_Strict):
    area_ods: str = Field(pattern=ODS_CODE_PATTERN, description="The area responsible for the review.")
    notified_on: PastDay | None = Field(
        default=None,
        description="The UK date the programme was told of the death, if earlier than today "
        "(a notification recorded late). Defaults to today. Starts the six-month clock.",
    )
    person: Person
    death: Death
    national_data_opt_out: StrictBool = Field(
        default=False, description="The person registered a National Data Opt-Out: recorded, then closed."
    )
    notifier: Notifier
    care_providers: list[Annotated[str, Field(pattern=ODS_CODE_PATTERN)]] = Field(
        default_factory=list,
        max_length=20,
        description="ODS codes of organisations that cared for the person (their staff may not review).",
    )


class NotificationPublic(BaseModel):
    """The full record, for callers who may see identifiable data."""

    id: uuid.UUID
    area_ods: str
    stage: Stage
    review_route: ReviewRoute
    closure_reason: ClosureReason | None
    notified_on: Day
    received_at: datetime
    age_at_death: int
    version: int = Field(description="The row version; the same value as the ETag.")
    sla: SlaView | None = Field(description="The six-month clocks; null for an excluded notification.")
    person: Person
    death: Death
    national_data_opt_out: bool
    notifier: Notifier
    care_providers: list[str]
    ethnic_group: EthnicGroup
    reviewer_id: uuid.UUID | None
    stage_changed_at: datetime
    focused_review: FocusedReview
    hold: HoldPublic | None = Field(description="The hold the review is waiting on, if any.")
    flags: list[FlagPublic] = Field(description="Bias flags the service raised, with their evidence.")


class NotificationDeidentified(BaseModel):
    """For national oversight. Nothing that, with area and month, could single a person out: no names,
    NHS number, exact dates, exact age, free text, contacts or fine-grained ethnic category."""

    id: uuid.UUID
    area_ods: str
    stage: Stage
    review_route: ReviewRoute
    closure_reason: ClosureReason | None
    notified_month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2020-03"])
    month_of_death: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2020-03"])
    age_band: str = Field(examples=["25-34"], description="Age at death, in the bands the programme reports.")
    sex: Sex
    ethnic_group: EthnicGroup
    learning_disability_level: LearningDisabilityLevel
    autism: bool
    place_of_death: PlaceOfDeath
    sla_state: SlaState | None = Field(description="The hold-adjusted clock's state; null if excluded.")


class IntegratorDates(BaseModel):
    """`notifications:dates`: the days of the case's process (without it, months only)."""

    notified_on: Day
    received_at: datetime
    stage_changed_at: datetime
    sla: SlaView | None = Field(description="The six-month clocks with their due days; null if excluded.")
    hold_started_on: Day | None
    hold_expected_end_on: Day | None


class IntegratorIdentity(BaseModel):
    """`notifications:identity`: who the person was (the person's own dates come with it) and who notified."""

    person: Person
    date_of_death: Day
    age_at_death: int
    notifier: Notifier
    national_data_opt_out: bool


class FlagWithEvidence(BaseModel):
    id: uuid.UUID
    kind: FlagKind
    evidence: FlagEvidence
    open: bool = Field(description="Neither dismissed nor withdrawn.")


class IntegratorClinical(BaseModel):
    """`notifications:clinical`: the death as certified, and the bias flags with the words they were raised on."""

    place_of_death: PlaceOfDeath
    died_in_england: bool
    cause_of_death: CauseOfDeath
    dnacpr: Dnacpr | None
    other_processes: list[OtherProcess]
    flags: list[FlagWithEvidence]


class HoldSummary(BaseModel):
    id: uuid.UUID
    reason: OtherProcess
    reference: str | None
    stage_before: Stage


class FocusedReviewSummary(BaseModel):
    required: bool
    reasons: list[FocusedReviewReason]
    outstanding: list[FocusedReviewReason]
    done: bool


class IntegratorReview(BaseModel):
    """`notifications:review`: how the review is being worked: who reviews, what it waits on and why."""

    reviewer_id: uuid.UUID | None
    care_providers: list[str]
    focused_review: FocusedReviewSummary
    hold: HoldSummary | None


class NotificationForIntegrator(BaseModel):
    """For an integrator client: what `notifications:read` needs to keep a system in step, no more. Each further
    block is null unless the client was granted its own scope (docs/integrators.md, "Scopes")."""

    id: uuid.UUID
    area_ods: str
    stage: Stage
    review_route: ReviewRoute
    closure_reason: ClosureReason | None
    version: int = Field(description="The row version; the same value as the ETag.")
    nhs_number: str | None
    notified_month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-09"])
    due_month: str | None = Field(
        pattern=r"^\d{4}-\d{2}$", description="The month the hold-adjusted clock falls due; null if excluded."
    )
    sla_state: SlaState | None = Field(description="The hold-adjusted clock's state; null if excluded.")
    flags: list[FlagKind] = Field(description="The kinds of the open bias flags, without their evidence.")
    dates: IntegratorDates | None = Field(description="Only with `notifications:dates`.")
    identity: IntegratorIdentity | None = Field(description="Only with `notifications:identity`.")
    clinical: IntegratorClinical | None = Field(description="Only with `notifications:clinical`.")
    review: IntegratorReview | None = Field(description="Only with `notifications:review`.")


NotificationView = NotificationPublic | NotificationDeidentified | NotificationForIntegrator


class NotificationPage(BaseModel):
    items: list[NotificationView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
