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


class AreaContact(SQLModel, table=True):
    """How families and readers of the annual report reach the area's LeDeR team."""

    __tablename__ = "area_contact"

    area_ods: str = Field(foreign_key="area.ods_code", primary_key=True, max_length=6)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)  # E.164, e.g. +441612345678
    postal_address: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1)
    updated_at: datetime = utc_field()
    updated_by: str = Field(max_length=80)
