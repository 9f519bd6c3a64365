"""What a review must contain before it goes for sign-off. Pure: findings in, the missing items out."""

from __future__ import annotations

from app.core.errors import FieldError
from app.findings.schemas import Findings

SERIOUS_GRADES = range(4, 7)  # care fell short and significantly affected wellbeing, or worse


def missing_for_sign_off(findings: Findings, *, focused_review: bool) -> list[FieldError]:
    def missing(field: str, message: str) -> FieldError:
        return FieldError(field=f"findings.{field}", location="findings", message=message)

    problems = []
    if not findings.pen_portrait:
        problems.append(missing("pen_portrait", "a pen portrait is required"))
    evidence = findings.initial_review_evidence
    for name, what in (
        ("family_or_carer_spoken_to_on", "the family or a carer"),
        ("gp_records_seen_on", "the GP records"),
        ("other_professional_spoken_to_on", "another professional involved in the person's care"),
    ):
        if getattr(evidence, name) is None:
            problems.append(missing(f"initial_review_evidence.{name}", f"the initial review must include {what}"))
    if findings.grade is None:
        problems.append(missing("grade", "the care must be graded"))
    elif findings.grade in SERIOUS_GRADES:
        if not findings.contributory_factors:
            problems.append(missing("contributory_factors", f"grade {findings.grade} needs a contributory factor"))
        if not findings.actions:
            problems.append(missing("actions", f"grade {findings.grade} needs at least one action"))
    if focused_review and not findings.focused_review_findings:
        problems.append(missing("focused_review_findings", "a focused review needs its findings"))
    return problems


def changed_fields(before: Findings, after: Findings) -> list[str]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return sorted(name for name in new if old.get(name) != new.get(name))
