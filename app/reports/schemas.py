from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

# As counted, or as published: 0, `*` (1 to 7, or hidden so that another cannot be worked out), or a
# multiple of 5.
Count = Annotated[int | Literal["*"], Field(description="A count; `*` where disclosure control suppressed it.")]
Share = Annotated[float | None, Field(description="A percentage to 1 decimal place, from the figures shown.")]


class Progress(BaseModel):
    """The programme's progress measures; each is defined in docs/reports.md and app.reports.progress."""

    notified: Count
    open: Count = Field(description="Open at the end of the period's last day.")
    unallocated: Count
    unallocated_share: Share
    on_hold: Count
    in_progress: Count = Field(description="Allocated, in initial review or in focused review.")
    awaiting_sign_off: Count
    open_past_six_months: Count = Field(description="Open, and notified more than six months before the end.")
    completed: Count = Field(description="Signed off in the period.")
    completed_within_six_months: Count = Field(description="Raw clock: holds do not extend it.")
    completed_within_six_months_share: Share
    completed_within_six_months_hold_adjusted: Count = Field(description="Time on hold does not count.")
    completed_within_six_months_hold_adjusted_share: Share
    median_days_to_completion: float | None = Field(
        description="Over those completed; withheld from published figures when fewer than 8 were."
    )


class AreaProgress(Progress):
    area_ods: str
    area_name: str
    overdue_actions: Count = Field(
        default=0,
        description="Actions of the area's plan past their due date and unfinished, today (app/actions); "
        "disclosure-controlled as the other counts when they are.",
    )


class Dashboard(BaseModel):
    period: str = Field(examples=["2020-Q1"])
    starts_on: date
    ends_on: date
    generated_at: datetime = Field(description="When these figures were counted.")
    to_date: bool = Field(
        description="The period had not ended when the figures were counted: they run from `starts_on` to the "
        "day of `generated_at`, not to `ends_on`."
    )
    disclosure_controlled: bool = Field(
        description="Counts of 1 to 7 shown as `*`, others rounded to the nearest 5, and shares from those."
    )
    areas: list[AreaProgress]
    england: Progress | None = Field(description="Every area together; for national and admin callers.")
