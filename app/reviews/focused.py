"""When a focused review is required (policy of 2021, and our design for the bias flags)."""

from __future__ import annotations

from enum import StrEnum

from app.notifications.enums import ETHNIC_GROUP, EthnicCategory, EthnicGroup

# "Black, Asian or minority ethnic": the census groups other than White and Not stated.
_MINORITY_GROUPS = frozenset({EthnicGroup.asian, EthnicGroup.black, EthnicGroup.mixed, EthnicGroup.other})


class FocusedReviewReason(StrEnum):
    family_requested = "family_requested"
    bias_flag = "bias_flag"
    minority_ethnic_background = "minority_ethnic_background"


def focused_review_reasons(
    ethnic_category: EthnicCategory, family_requested: bool, open_bias_flags: int = 0
) -> list[FocusedReviewReason]:
    reasons = []
    if family_requested:
        reasons.append(FocusedReviewReason.family_requested)
    if open_bias_flags:
        reasons.append(FocusedReviewReason.bias_flag)
    if ETHNIC_GROUP[ethnic_category] in _MINORITY_GROUPS:
        reasons.append(FocusedReviewReason.minority_ethnic_background)
    return reasons
