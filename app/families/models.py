from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Text, false
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class FamilyInvitation(SQLModel, table=True):
    """An invitation for one bereaved relative or carer to follow one review.

    The code is shown once and only its hash is kept. It signs the family in again and again for the life of
    the review; revoking it, reissuing it, or its expiry (some days after the review closes) ends every session
    made with it at once: family principals are checked against this row on every request.
    """

    __tablename__ = "family_invitation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    name: str = Field(max_length=200)
    relationship: str = Field(max_length=100)
    contact_preference: str = Field(max_length=20)
    contact: str | None = Field(default=None, max_length=200)
    code_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field()
    created_by: str = Field(max_length=80)
    # A fixed end, if any (invitations made before codes lasted for the review had one); see sessions.py.
    expires_at: datetime | None = utc_field(nullable=True, default=None)
    used_at: datetime | None = utc_field(nullable=True, default=None)  # the first sign-in
    last_visit_at: datetime | None = utc_field(nullable=True, default=None)
    revoked_at: datetime | None = utc_field(nullable=True, default=None)
    revoked_by: str | None = Field(default=None, max_length=80)
    # The family's choice: send them the summary once the review is complete.
    wants_summary: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class FamilyMessage(SQLModel, table=True):
    """What a family tells the review: a concern (which must be acknowledged in time) or what went well."""

    __tablename__ = "family_message"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notification.id", index=True)
    invitation_id: uuid.UUID = Field(foreign_key="family_invitation.id", index=True)
    kind: str = Field(max_length=20)
    text: str = Field(sa_type=Text)
    raised_at: datetime = utc_field()
    acknowledge_by: date | None = None  # concerns only: a number of working days after raising
    acknowledged_at: datetime | None = utc_field(nullable=True, default=None)
    acknowledged_by: str | None = Field(default=None, max_length=80)


class FamilySummary(SQLModel, table=True):
    """The summary of a completed review that the coordinator releases to the families who asked for it."""

    __tablename__ = "family_summary"

    notification_id: uuid.UUID = Field(foreign_key="notification.id", primary_key=True)
    text: str = Field(sa_type=Text)
    released_at: datetime = utc_field()
    released_by: str = Field(max_length=80)


class FamilySessionRecord(SQLModel, table=True):
    """One signed-in visit: the token names it (claim `sid`), so sign-out or an idle spell ends it at once."""

    __tablename__ = "family_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    invitation_id: uuid.UUID = Field(foreign_key="family_invitation.id", index=True)
    started_at: datetime = utc_field()
    last_seen_at: datetime = utc_field()
    ends_at: datetime = utc_field()  # the absolute limit, fixed when it starts
    idle_seconds: int
    ended_at: datetime | None = utc_field(nullable=True, default=None)
