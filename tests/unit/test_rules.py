"""Intake rules as plain functions: NHS numbers, ICD-10 codes, age at death, scope."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.notifications.enums import ClosureReason, LearningDisabilityLevel, ReviewRoute, Stage
from app.notifications.rules import age_in_years, assess_scope, normalise_icd10, normalise_nhs_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9434765919", "9434765919"),
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        (" 9990000018 ", "9990000018"),
        ("9990000050", "9990000050"),  # 11 - (sum mod 11) = 11, so the check digit is 0
    ],
)
def test_valid_nhs_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_nhs_number(raw) == expected


TEN_DIGITS = "an NHS number has 10 digits"
CHECK_DIGIT = "the NHS number's check digit is wrong"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9434765918", CHECK_DIGIT),  # wrong check digit
        ("9990000140", CHECK_DIGIT),  # the check computes to 10: no valid number has these 9 digits
        ("9990000141", CHECK_DIGIT),
        ("943476591", TEN_DIGITS),
        ("94347659190", TEN_DIGITS),
        ("94347659I9", TEN_DIGITS),
        ("\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19", TEN_DIGITS),  # full-width digits
        ("", TEN_DIGITS),
    ],
)
def test_invalid_nhs_numbers_are_refused_without_echoing_them(raw: str, reason: str) -> None:
    # the caller's words: exactly these, never the number itself
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        normalise_nhs_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J69.0", "J69.0"),
        ("j690", "J69.0"),
        ("R13", "R13"),
        ("U07.1", "U07.1"),
        (" f72 ", "F72"),
        ("Q90.9", "Q90.9"),
    ],
)
def test_icd10_codes_are_normalised(raw: str, expected: str) -> None:
    assert normalise_icd10(raw) == expected


@pytest.mark.parametrize("raw", ["J6", "69.0", "JJ9.0", "J69.", "J69.00000", "pneumonia", ""])
def test_malformed_icd10_codes_are_refused(raw: str) -> None:
    message = "not an ICD-10 code (a letter, two digits, optionally a dot and up to 4 more)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        normalise_icd10(raw)


@pytest.mark.parametrize(
    ("born", "died", "age"),
    [
        (date(1970, 5, 20), date(2025, 5, 19), 54),
        (date(1970, 5, 20), date(2025, 5, 20), 55),
        (date(2000, 2, 29), date(2021, 2, 28), 20),  # a leap-day birthday comes on 1 March in other years
        (date(2000, 2, 29), date(2021, 3, 1), 21),
        (date(2025, 1, 1), date(2025, 1, 1), 0),
    ],
)
def test_age_in_completed_years(born: date, died: date, age: int) -> None:
    assert age_in_years(born, died) == age


def _scope(age: int, ld: str = "moderate", autism: bool = False, england: bool = True, opt_out: bool = False):
    return assess_scope(
        age_at_death=age,
        learning_disability=LearningDisabilityLevel(ld),
        autism=autism,
        died_in_england=england,
        national_data_opt_out=opt_out,
    )


@pytest.mark.parametrize(
    ("kwargs", "route", "stage", "reason"),
    [
        ({"age": 40}, ReviewRoute.leder, Stage.notified, None),
        ({"age": 18}, ReviewRoute.leder, Stage.notified, None),
        ({"age": 17}, ReviewRoute.child_death_review, Stage.notified, None),
        ({"age": 4}, ReviewRoute.child_death_review, Stage.notified, None),
        ({"age": 3}, ReviewRoute.child_death_review, Stage.excluded, ClosureReason.under_4),
        (
            {"age": 40, "england": False},
            ReviewRoute.leder,
            Stage.excluded,
            ClosureReason.died_outside_england,
        ),
        (
            {"age": 40, "ld": "none"},
            ReviewRoute.leder,
            Stage.excluded,
            ClosureReason.no_learning_disability_or_autism,
        ),
        ({"age": 40, "ld": "none", "autism": True}, ReviewRoute.leder, Stage.notified, None),
        (
            {"age": 12, "ld": "none", "autism": True},
            ReviewRoute.child_death_review,
            Stage.excluded,
            ClosureReason.autistic_child_without_learning_disability,
        ),
        ({"age": 40, "ld": "unknown"}, ReviewRoute.leder, Stage.notified, None),
        (
            {"age": 40, "opt_out": True},
            ReviewRoute.leder,
            Stage.excluded,
            ClosureReason.national_data_opt_out,
        ),
    ],
)
def test_scope_at_intake(kwargs: dict, route: ReviewRoute, stage: Stage, reason: ClosureReason | None) -> None:
    decision = _scope(**kwargs)
    assert (decision.route, decision.stage, decision.closure_reason) == (route, stage, reason)
