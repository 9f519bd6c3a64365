"""Domain rules of intake, as plain functions: NHS numbers, ICD-10 codes, age and scope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.notifications.enums import ClosureReason, LearningDisabilityLevel, ReviewRoute, Stage

_NHS_NUMBER_SEPARATORS = re.compile(r"[\s-]")
_ICD10 = re.compile(r"^([A-Z][0-9]{2})(?:\.?([0-9A-Z]{1,4}))?$")


def normalise_nhs_number(raw: str) -> str:
    """Strip spaces and hyphens and check the Modulus 11 check digit.

    Weights 10..2 over the first nine digits; check = 11 - (sum mod 11), 11 becomes 0, and a result
    of 10 means the number is invalid. Raises ValueError without echoing the number.
    """
    digits = _NHS_NUMBER_SEPARATORS.sub("", raw)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise ValueError("an NHS number has 10 digits")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValueError("the NHS number's check digit is wrong")
    return digits


def normalise_icd10(raw: str) -> str:
    """An ICD-10 code as `A00` or `A00.0`-style (a dot is added if missing): J18.9, U07.1, F72."""
    match = _ICD10.match(raw.strip().upper())
    if not match:
        raise ValueError("not an ICD-10 code (a letter, two digits, optionally a dot and up to 4 more)")
    category, detail = match.groups()
    return f"{category}.{detail}" if detail else category


def age_in_years(born: date, died: date) -> int:
    """Completed years; someone born on 29 February turns a year older on 1 March in other years."""
    had_birthday = (died.month, died.day) >= (born.month, born.day)
    return died.year - born.year - (0 if had_birthday else 1)


# The bands used in LeDeR's published reports (children under 4 are out of scope but recorded).
_AGE_BANDS = [(0, 3), (4, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 74)]


def age_band(age: int) -> str:
    for low, high in _AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "75+"


@dataclass(frozen=True)
class ScopeDecision:
    route: ReviewRoute
    stage: Stage
    closure_reason: ClosureReason | None = None


def assess_scope(
    *,
    age_at_death: int,
    learning_disability: LearningDisabilityLevel,
    autism: bool,
    died_in_england: bool,
    national_data_opt_out: bool,
) -> ScopeDecision:
    """Who LeDeR reviews: people aged 4+ with a learning disability, and autistic adults, who die in
    England, unless they registered a National Data Opt-Out. Nothing out of scope is dropped: it is
    recorded closed (stage `excluded`) with the reason."""
    route = ReviewRoute.child_death_review if age_at_death < 18 else ReviewRoute.leder
    reason: ClosureReason | None = None
    has_ld = learning_disability is not LearningDisabilityLevel.none
    if age_at_death < 4:
        reason = ClosureReason.under_4
    elif not died_in_england:
        reason = ClosureReason.died_outside_england
    elif not has_ld and not autism:
        reason = ClosureReason.no_learning_disability_or_autism
    elif not has_ld and age_at_death < 18:
        reason = ClosureReason.autistic_child_without_learning_disability
    elif national_data_opt_out:
        reason = ClosureReason.national_data_opt_out
    if reason is not None:
        return ScopeDecision(route=route, stage=Stage.excluded, closure_reason=reason)
    return ScopeDecision(route=route, stage=Stage.notified)
