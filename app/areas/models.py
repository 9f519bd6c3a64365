from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class Area(SQLModel, table=True):
    """A commissioning area (CCG, since 2022 an ICB), identified by its ODS code."""

    __tablename__ = "area"

    ods_code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=200)
    region: str | None = Field(default=None, max_length=100)
    created_at: datetime = utc_field()
