"""Bias flag detection against realistic certificate lines and DNACPR rationales."""

from __future__ import annotations

import pytest

from app.flags.detect import FlagKind, detect, find_terms, learning_disability_code

POSITIVE_LINES = [
    ("Down's syndrome", "Down's syndrome"),
    ("Downs syndrome", "Down's syndrome"),
    ("Down\u2019s Syndrome", "Down's syndrome"),  # typographic apostrophe
    ("Down syndrome with early onset dementia", "Down's syndrome"),
    ("Trisomy 21", "Down's syndrome"),
    ("Severe learning disability", "learning disability"),
    ("Profound learning disabilities", "learning disability"),
    ("learning dissability", "learning disability"),  # misspelt
    ("Learing disabilty", "learning disability"),  # two slips
    ("Learning difficulties", "learning difficulties"),
    ("learning dificulties", "learning difficulties"),
    ("Intellectual disability", "learning disability"),
    ("Cerebral palsy and learning disability", "learning disability"),
    ("Downs syndrom", "Down's syndrome"),
    ("Severe LD", "learning disability"),
    ("PMLD", "learning disability"),
    ("T21", "Down's syndrome"),
    ("Trisomy21", "Down's syndrome"),
    ("Downs, frailty", "Down's syndrome"),
    ("Down's, dementia", "Down's syndrome"),
    ("Severe mental retardation", "learning disability"),
    ("Mentally handicapped", "learning disability"),
    ("1b Q90.9", "Down's syndrome"),
    ("Moderate learning disability (F71)", "learning disability"),
]


@pytest.mark.parametrize(("text", "term"), POSITIVE_LINES)
def test_recognised_terms(text, term):
    assert term in [t for t, _ in find_terms(text)]


NEGATIVE_LINES = [
    "Aspiration pneumonia",
    "Aspiration pneumonia; cerebral palsy",
    "Bronchopneumonia",
    "Swallowing difficulties",
    "Breathing difficulties",
    "Physical disability",
    "Epilepsy",
    "Sepsis secondary to urinary tract infection",
    "Breakdown of pressure ulcer",
    "Town syndrome",  # not a condition, and short words get no slips
    "Learning",
    "Disability",
    "Trisomy 18",  # Edwards' syndrome, not Down's
    "Delirium; mental health deterioration",
    "Decision not based on learning disability",
    "Not because of his Down's syndrome",
    "Learning, disability benefits were in place",
    "Yearning disability",  # a slip would not change the first letter
    "Gowns syndrome",
    "Old age",  # "ld" only as a word of its own
]


@pytest.mark.parametrize("text", NEGATIVE_LINES)
def test_other_conditions_are_not_flagged(text):
    assert find_terms(text) == []


@pytest.mark.parametrize(
    ("code", "term"),
    [("F70", "learning disability"), ("F72.1", "learning disability"), ("F79", "learning disability"),
     ("F81.9", "learning difficulties"), ("Q90", "Down's syndrome"), ("Q90.9", "Down's syndrome"),
     ("F81.0", None), ("F80", None), ("Q91.0", None), ("J69.0", None), ("G80.9", None), (None, None)],
)  # fmt: skip
def test_icd10_codes(code, term):
    assert learning_disability_code(code) == term


def test_the_issues_two_examples():
    # "1a Bronchopneumonia 1b Down's syndrome" is a flag; "aspiration pneumonia; cerebral palsy" is not.
    flagged = detect([{"text": "Bronchopneumonia"}, {"text": "Down's syndrome"}])
    assert [(f.kind, f.evidence.line, f.evidence.term) for f in flagged] == [
        (FlagKind.learning_disability_as_cause_of_death, "I(b)", "Down's syndrome")
    ]
    assert detect([{"text": "Aspiration pneumonia; cerebral palsy"}]) == []


def test_evidence_names_the_line_words_and_code():
    flagged = detect([{"text": "Sepsis", "icd10": "A41.9"}, {"text": "Severe learning disability", "icd10": "F72"}])
    assert {(f.evidence.line, f.evidence.matched) for f in flagged} == {
        ("I(b)", "learning disability"),
        ("I(b)", "F72"),
    }
    assert all(f.evidence.text == "Severe learning disability" for f in flagged)


@pytest.mark.parametrize(
    ("rationale", "flagged"),
    [
        ("Down's syndrome", True),
        ("Learning disabilities and poor quality of life", True),
        ("Severe learning difficulties", True),
        ("Frailty and recurrent aspiration; CPR would not be successful", False),
        ("Advanced metastatic cancer", False),
        (None, False),
    ],
)
def test_dnacpr_rationales(rationale, flagged):
    kinds = {f.kind for f in detect([{"text": "Pneumonia"}], [("dnacpr_rationale", rationale)])}
    assert (FlagKind.learning_disability_as_dnacpr_rationale in kinds) == flagged
    assert FlagKind.learning_disability_as_cause_of_death not in kinds
