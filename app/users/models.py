from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class StaffUser(SQLModel, table=True):
    """A person who works in the service. Role and area are read from here on every request,
    so a change (deactivation above all) takes effect at once, whatever tokens are out there."""

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(
            "(role IN ('coordinator', 'reviewer') AND area_ods IS NOT NULL)"
            " OR (role IN ('national', 'admin') AND area_ods IS NULL)",
            name="role_area",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    role: str = Field(max_length=20)
    area_ods: str | None = Field(default=None, foreign_key="area.ods_code", index=True, max_length=6)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    active: bool = True
    # The `sub` of this person at the external identity provider (NHS CIS2), when they sign in there.
    external_subject: str | None = Field(default=None, max_length=255, unique=True)
    created_at: datetime = utc_field()
