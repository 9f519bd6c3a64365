from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.inputs import InputModel
from app.core.types import Day
from app.notifications.enums import Stage


class ContactPreference(StrEnum):
    email = "email"
    telephone = "telephone"
    post = "post"
    no_contact = "no_contact"


class InvitationCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    relationship: str = Field(min_length=1, max_length=100, examples=["sister"])
    contact_preference: ContactPreference
    contact: str | None = Field(default=None, min_length=3, max_length=200, description="Address, email or number.")


class InvitationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    relationship: str
    contact_preference: ContactPreference
    contact: str | None
    created_at: datetime
    expires_at: datetime | None = Field(
        description="A fixed end, if any; otherwise the code works until the days after the review closes."
    )
    used_at: datetime | None = Field(description="The family's first sign-in.")
    last_visit_at: datetime | None = Field(description="The family's latest sign-in or page read.")
    revoked_at: datetime | None
    wants_summary: bool = Field(description="The family asked to receive the summary of the completed review.")


class InvitationCreated(BaseModel):
    invitation: InvitationPublic
    code: str = Field(description="Give this to the family. It is shown once and cannot be recovered.")


class SessionRequest(InputModel):
    code: str = Field(min_length=1, max_length=64)


class FamilySession(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105  (a token type, not a secret)
    expires_in: int


class TeamContact(BaseModel):
    """How to reach the local LeDeR team, as the area set it (any part may be missing)."""

    email: str | None
    phone: str | None = Field(description="As written in the UK, e.g. 0113 496 0000.")
    phone_e164: str | None = Field(description="For a tel: link.")
    postal_address: list[str] = Field(description="The address, line by line.")


class FamilyReview(BaseModel):
    """The review as a family sees it: plain words, no drafts, grades, notes or identifiers."""

    stage: Stage
    stage_in_words: str
    on_hold: bool
    hold_in_words: str | None
    expected_completion_on: Day | None = Field(description="When the review should be finished, if it is open.")
    completed_on: Day | None
    team: str = Field(description="Who to contact about the review.")
    team_contact: TeamContact | None = Field(description="How to reach them, if the area has said.")
    focused_review_requested: bool
    summary_requested: bool = Field(description="You asked to receive the summary when the review is complete.")
    summary_available: bool = Field(description="The summary is ready to read at /family/summary.")


class MessageKind(StrEnum):
    concern = "concern"
    went_well = "went_well"


class MessageCreate(InputModel):
    kind: MessageKind
    text: str = Field(min_length=1, max_length=5000)


class FamilyMessagePublic(BaseModel):
    """As the family sees what they sent."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: MessageKind
    text: str
    raised_at: datetime
    acknowledged: bool


class StaffMessagePublic(BaseModel):
    """As the coordinator and reviewer see it: with the deadline for acknowledging a concern."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    notification_id: uuid.UUID
    invitation_id: uuid.UUID
    kind: MessageKind
    text: str
    raised_at: datetime
    acknowledge_by: Day | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    overdue: bool = Field(description="A concern not acknowledged by its date.")


class SummaryChoice(InputModel):
    wants_summary: StrictBool


class SummaryRelease(InputModel):
    text: str = Field(min_length=1, max_length=20000, description="Written for the family, in plain words.")


class FamilySummaryPublic(BaseModel):
    """The released summary, as the family reads it."""

    text: str
    released_on: Day
    actions_agreed: int = Field(
        description="How many actions the review agreed for local services to improve care (the local team "
        "follows them up in its action plan). What they are is not shown here: they name services and staff."
    )


class StaffSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    text: str
    released_at: datetime
    released_by: str
    families_asked: int = Field(description="How many invited family members asked to receive it.")
