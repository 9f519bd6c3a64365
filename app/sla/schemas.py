from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.types import Day
from app.sla.clock import SlaState


class ClockView(BaseModel):
    due_on: Day
    days_elapsed: int
    days_on_hold: int
    days_counted: int = Field(description="Days elapsed that count towards the six months.")
    days_remaining: int = Field(description="Negative once past due; for a finished review, what was left.")
    state: SlaState
    paused: bool = Field(description="On a hold that stops the clock: days_remaining does not fall.")


class SlaView(BaseModel):
    """The six-month standard for this review, on both clocks, as of today (UK date)."""

    notified_on: Day
    completed_on: Day | None
    state: SlaState = Field(description="The hold-adjusted clock's state, which the programme manages to.")
    hold_adjusted: ClockView
    raw: ClockView


class HoldArithmetic(BaseModel):
    reason: str
    started_on: Day
    ended_on: Day | None
    days: int = Field(description="Days on this hold up to its end, or up to today while it lasts.")


class SlaExplanation(SlaView):
    today: Day
    standard: str
    at_risk_days: int
    holds: list[HoldArithmetic]
    arithmetic: list[str] = Field(description="The due date worked out step by step, in words.")
