"""Reference data the reports set the service's own figures against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class AreaPopulation(SQLModel, table=True):
    """How many people with a learning disability live in an area, by NHS ethnic category.

    The denominator the annual report sets the deaths notified against, so that a group that dies
    without being notified (or is notified less than its share) shows. An admin loads it from a CSV;
    each load replaces the area's previous figures whole. A category with no row counts as 0.
    """

    __tablename__ = "area_population"
    __table_args__ = (CheckConstraint("people >= 0", name="people_not_negative"),)

    area_ods: str = Field(foreign_key="area.ods_code", primary_key=True, max_length=6)
    ethnic_category: str = Field(primary_key=True, max_length=1)
    people: int
    loaded_at: datetime = utc_field()
    loaded_by: str = Field(max_length=80)
