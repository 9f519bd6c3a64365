"""The action plan's rules, pure: which themes a review raised, what an update needs, what counts as overdue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from app.core.errors import FieldError
from app.findings.rules import SERIOUS_GRADES
from app.findings.schemas import ActionStatus, ContributoryFactor, Findings
from app.flags.detect import FlagKind

OPEN_STATUSES = frozenset({ActionStatus.planned, ActionStatus.in_progress})
FINISHED_STATUSES = frozenset({ActionStatus.completed, ActionStatus.not_achieved})


class Theme(StrEnum):
    """Every theme a review can raise and an action can answer."""

    dnacpr = "dnacpr"
    mental_capacity_act = "mental_capacity_act"
    grade_4_to_6 = "grade_4_to_6"


ALL_THEMES: tuple[str, ...] = (
    *(f"contributory_factor.{f.value}" for f in ContributoryFactor),
    *(f"bias_flag.{k.value}" for k in FlagKind),
    *(t.value for t in Theme),
)


def themes_of(findings: Findings, bias_flag_kinds: Iterable[str]) -> list[str]:
    """The themes a signed-off review raised: its contributory factors, its bias flags (not dismissed),
    a DNACPR concern, a Mental Capacity Act concern, and a grade of 4 to 6."""
    themes = {f"contributory_factor.{f.value}" for f in findings.contributory_factors}
    themes |= {f"bias_flag.{kind}" for kind in bias_flag_kinds if kind in FlagKind.__members__}
    dnacpr = findings.dnacpr
    if dnacpr.in_place and (dnacpr.appropriate is False or dnacpr.correctly_completed is False):
        themes.add(Theme.dnacpr.value)
    if (
        findings.mental_capacity_act_applied is False
        or ContributoryFactor.mental_capacity_act_not_applied in findings.contributory_factors
    ):
        themes.add(Theme.mental_capacity_act.value)
    if findings.grade in SERIOUS_GRADES:
        themes.add(Theme.grade_4_to_6.value)
    return sorted(themes)


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """Past its due date and not finished."""
    return ActionStatus(status) in OPEN_STATUSES and due_on < today


def update_problems(
    current: ActionStatus,
    current_due_on: date,
    *,
    to_status: ActionStatus | None,
    due_on: date | None,
    due_on_reason: str | None,
    note: str,
) -> list[FieldError]:
    """What is wrong with an update, as field errors (empty: it may be applied).

    Every update carries a note: for `completed` it says what was done, for `not_achieved` why not.
    An update that changes neither status nor due date is a progress note. A finished action stays
    finished (a new action answers what is still to do). Moving the due date needs its own reason."""

    def problem(field: str, message: str) -> FieldError:
        return FieldError(field=field, location="body", message=message)

    problems = []
    if current in FINISHED_STATUSES:
        problems.append(problem("status", f"the action is {current.value}: a finished action is not reopened"))
    if not note.strip():
        what = {
            ActionStatus.completed: "what was done",
            ActionStatus.not_achieved: "why the action was not achieved",
        }.get(to_status or current, "the progress made")
        problems.append(problem("note", f"is required: say {what}"))
    if due_on is not None and due_on != current_due_on and not (due_on_reason and due_on_reason.strip()):
        problems.append(problem("due_on_reason", "is required to move the due date"))
    if due_on_reason and (due_on is None or due_on == current_due_on):
        problems.append(problem("due_on_reason", "is only for moving the due date"))
    return problems
