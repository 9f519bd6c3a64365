"""The area's action plan: actions, the themes each answers, their updates, and each signed-off review's themes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.models import utc_field

_OPEN = text("status IN ('planned', 'in_progress')")  # app.actions.rules.OPEN_STATUSES


class PlanAction(SQLModel, table=True):
    """One action in an area's plan: from a signed-off review's SMART actions, or added by the coordinator.

    The review's findings stay frozen; this row is what lives on (status, due date, progress)."""

    __tablename__ = "plan_action"
    __table_args__ = (
        # The plan's list and the overdue counts: by area, open or not, oldest due first.
        Index("ix_plan_action_area_status_due", "area_ods", "status", "due_on", "id"),
        # Open actions only, by due date: the worker's overdue sweep and the dashboards' overdue counts read
        # this small index alone (index-only), not the plan's finished past.
        Index("ix_plan_action_open_due", "due_on", "area_ods", postgresql_where=_OPEN, sqlite_where=_OPEN),
        # One plan action per SMART action of a review (the sign-off hook and the data migration agree on it).
        UniqueConstraint("notification_id", "source_index", name="uq_plan_action_source"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    area_ods: str = Field(foreign_key="area.ods_code", max_length=6)
    notification_id: uuid.UUID | None = Field(default=None, foreign_key="notification.id", index=True)
    source_index: int | None = None  # its place in the review's findings.actions; null for area-level actions
    what: str = Field(sa_type=Text)
    owner_organisation: str = Field(max_length=200)
    due_on: date
    status: str = Field(max_length=20)
    closed_on: date | None = None  # the day it was completed or judged not achieved
    # The due date whose passing was announced (action.overdue): once per due date, across worker restarts.
    overdue_announced_for: date | None = None
    version: int = 1
    created_at: datetime = utc_field()
    created_by: str = Field(max_length=80)


class PlanActionTheme(SQLModel, table=True):
    """A theme an action answers (a row each, so the plan filters and the themes count by index)."""

    __tablename__ = "plan_action_theme"
    __table_args__ = (Index("ix_plan_action_theme_area_theme", "area_ods", "theme"),)

    action_id: uuid.UUID = Field(foreign_key="plan_action.id", primary_key=True)
    theme: str = Field(max_length=80, primary_key=True)
    area_ods: str = Field(max_length=6)


class PlanActionUpdate(SQLModel, table=True):
    """Progress: who changed what, when, and why."""

    __tablename__ = "plan_action_update"

    id: int | None = Field(default=None, primary_key=True)
    action_id: uuid.UUID = Field(foreign_key="plan_action.id", index=True)
    at: datetime = utc_field()
    by: str = Field(max_length=80)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    from_due_on: date
    to_due_on: date
    note: str = Field(sa_type=Text)
    evidence_reference: str | None = Field(default=None, max_length=500)


class ReviewTheme(SQLModel, table=True):
    """A theme a signed-off review raised, written at sign-off: the themes report counts these by index."""

    __tablename__ = "review_theme"
    __table_args__ = (Index("ix_review_theme_area_day", "area_ods", "signed_off_on", "theme"),)

    notification_id: uuid.UUID = Field(foreign_key="notification.id", primary_key=True)
    theme: str = Field(max_length=80, primary_key=True)
    area_ods: str = Field(max_length=6)
    signed_off_on: date
