"""The notification's vocabularies (domain.md). Stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    notified = "notified"
    allocated = "allocated"
    initial_review = "initial_review"
    focused_review = "focused_review"
    awaiting_sign_off = "awaiting_sign_off"
    completed = "completed"
    on_hold = "on_hold"
    excluded = "excluded"


class ReviewRoute(StrEnum):
    leder = "leder"
    # 4 to 17: reviewed through the Child Death Overview Process; LeDeR keeps the core data.
    child_death_review = "child_death_review"


class ClosureReason(StrEnum):
    under_4 = "under_4"
    died_outside_england = "died_outside_england"
    no_learning_disability_or_autism = "no_learning_disability_or_autism"
    autistic_child_without_learning_disability = "autistic_child_without_learning_disability"
    national_data_opt_out = "national_data_opt_out"


class Sex(StrEnum):
    female = "female"
    male = "male"
    indeterminate = "indeterminate"
    not_known = "not_known"


class EthnicCategory(StrEnum):
    """NHS Data Dictionary ethnic category codes."""

    A = "A"  # White: British
    B = "B"  # White: Irish
    C = "C"  # White: any other White background
    D = "D"  # Mixed: White and Black Caribbean
    E = "E"  # Mixed: White and Black African
    F = "F"  # Mixed: White and Asian
    G = "G"  # Mixed: any other mixed background
    H = "H"  # Asian or Asian British: Indian
    J = "J"  # Asian or Asian British: Pakistani
    K = "K"  # Asian or Asian British: Bangladeshi
    L = "L"  # Asian or Asian British: any other Asian background
    M = "M"  # Black or Black British: Caribbean
    N = "N"  # Black or Black British: African
    P = "P"  # Black or Black British: any other Black background
    R = "R"  # Other ethnic groups: Chinese
    S = "S"  # Other ethnic groups: any other ethnic group
    Z = "Z"  # Not stated


class EthnicGroup(StrEnum):
    white = "white"
    mixed = "mixed"
    asian = "asian"
    black = "black"
    other = "other"
    not_stated = "not_stated"


def _grouped(codes: str, group: EthnicGroup) -> dict[EthnicCategory, EthnicGroup]:
    return {EthnicCategory(code): group for code in codes}


# The census groups the programme reports by.
ETHNIC_GROUP: dict[EthnicCategory, EthnicGroup] = {
    **_grouped("ABC", EthnicGroup.white),
    **_grouped("DEFG", EthnicGroup.mixed),
    **_grouped("HJKL", EthnicGroup.asian),
    **_grouped("MNP", EthnicGroup.black),
    **_grouped("RS", EthnicGroup.other),
    **_grouped("Z", EthnicGroup.not_stated),
}


class LearningDisabilityLevel(StrEnum):
    mild = "mild"
    moderate = "moderate"
    severe = "severe"
    profound_and_multiple = "profound_and_multiple"
    unknown = "unknown"  # a learning disability whose level is not known
    none = "none"  # no learning disability (in scope only as an autistic adult)


class PlaceOfDeath(StrEnum):
    hospital = "hospital"
    home = "home"
    care_home = "care_home"
    hospice = "hospice"
    other = "other"


class OtherProcess(StrEnum):
    """Investigations under way that may justify a review taking longer (the hold reasons)."""

    coroner_investigation = "coroner_investigation"
    police_investigation = "police_investigation"
    safeguarding_adults_review = "safeguarding_adults_review"
    safeguarding_adults_enquiry = "safeguarding_adults_enquiry"
    serious_case_review = "serious_case_review"
    domestic_homicide_review = "domestic_homicide_review"
    serious_incident_investigation = "serious_incident_investigation"
    child_death_review = "child_death_review"
    family_requested_delay = "family_requested_delay"
