from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.models import utc_field

# For reviewers registered without one (by an administrator, or before profiles existed).
DEFAULT_MAX_ACTIVE_REVIEWS = 10


class ReviewerProfile(SQLModel, table=True):
    """What allocation needs to know about a reviewer beyond their staff record."""

    __tablename__ = "reviewer_profile"

    user_id: uuid.UUID = Field(foreign_key="staff_user.id", primary_key=True)
    # ODS codes of the organisations the reviewer works for: they may not review care given there.
    organisations: list[str] = Field(sa_type=JSON)
    max_active_reviews: int
    version: int = 1  # behind the reviewer's ETag
    created_at: datetime = utc_field()
