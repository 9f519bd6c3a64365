from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from app.core.models import utc_field


class Notification(SQLModel, table=True):
    """A death notification: the person, the death, who told us, and where the review stands."""

    __tablename__ = "notification"
    __table_args__ = (
        # One notification per person and death. NULL NHS numbers are distinct in both databases,
        # so people whose NHS number the notifier did not know are not held back by this.
        Index("uq_notification_nhs_number_date_of_death", "nhs_number", "date_of_death", unique=True),
        # The area's list, in the order it is paged.
        Index("ix_notification_area_list", "area_ods", "notified_on", "id"),
        # The area's worklist: open stages by live due date (a CASE over the two SLA columns), from the index.
        Index(
            "ix_notification_area_stage_due", "area_ods", "stage", "sla_due_ordinal", "sla_paused_since_ordinal", "id"
        ),
        # Reports: deaths notified in a period, and reviews completed in one with what their measures need.
        Index("ix_notification_notified_on", "notified_on", "id", "area_ods"),  # also every area's list
        Index("ix_notification_notified_month", "notified_month", "id"),  # lists by month, for national oversight
        Index("ix_notification_completed_on", "completed_on", "area_ods", "notified_on", "sla_outcome"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    area_ods: str = Field(foreign_key="area.ods_code", max_length=6)
    stage: str = Field(max_length=20)
    review_route: str = Field(max_length=30)
    closure_reason: str | None = Field(default=None, max_length=50)

    nhs_number: str | None = Field(default=None, max_length=10)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    date_of_birth: date
    date_of_death: date
    age_at_death: int
    sex: str = Field(max_length=20)
    ethnic_category: str = Field(max_length=1)
    learning_disability_level: str = Field(max_length=30)
    autism: bool
    lived_alone: bool | None = None
    out_of_area_placement: bool | None = None
    place_of_death: str = Field(max_length=20)
    died_in_england: bool
    national_data_opt_out: bool

    cause_of_death: dict[str, Any] = Field(sa_type=JSON)
    dnacpr_in_place: bool | None = None
    dnacpr_rationale: str | None = Field(default=None, sa_type=Text)
    other_processes: list[str] = Field(sa_type=JSON)
    notifier: dict[str, Any] = Field(sa_type=JSON)
    # ODS codes of organisations that cared for the person: their staff may not review this death.
    care_providers: list[str] = Field(default_factory=list, sa_type=JSON)

    notified_on: date
    # notified_on as YYYYMM. National oversight's lists are ordered by month, never by day; with this column and
    # its index (notified_month, id), any page of that order is an index range scan, not a sort of every row.
    notified_month: int
    received_at: datetime = utc_field()
    created_by: str = Field(max_length=80)

    # The review. `version` is the row version behind ETag / If-Match.
    version: int = 1
    reviewer_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id", index=True)
    stage_changed_at: datetime = utc_field()
    completed_on: date | None = None
    focused_review_requested_by_family: bool = False
    focused_review_done: bool = False
    open_bias_flags: int = 0  # raised, neither dismissed nor withdrawn: each requires a focused review
    focused_review_waiver: dict[str, Any] | None = Field(default=None, sa_type=JSON)

    # The hold-adjusted clock, kept current on every write so lists can filter and sort in SQL.
    # Day numbers (date.toordinal()) rather than dates: integer arithmetic is the same in both
    # databases. While a hold stops the clock, the live due date is
    # sla_due_ordinal + (today - sla_paused_since_ordinal); otherwise it is sla_due_ordinal.
    sla_due_ordinal: int
    sla_paused_since_ordinal: int | None = None
    sla_outcome: str | None = Field(default=None, max_length=10)  # met or missed, once completed
