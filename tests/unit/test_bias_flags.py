"""Bias flag detection against realistic certificate lines and DNACPR rationales."""

from __future__ import annotations

import pytest

from app.flags import detect as detection
from app.flags.detect import Evidence, FlagKind, detect, find_terms, learning_disability_code


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    """Each test reads text afresh: a cached answer from another test (or another process, under mutation
    testing) must not stand in for the rule being tested."""
    detection._terms.cache_clear()
    detection._resembles.cache_clear()


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
    assert {(f.evidence.source, f.evidence.line, f.evidence.matched) for f in flagged} == {
        ("mccd_part_1", "I(b)", "learning disability"),
        ("mccd_part_1", "I(b)", "F72"),
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


# The misspelling tolerance, pinned word length by word length: none up to 5 letters or with a digit, one slip up
# to 8 letters, two beyond; the first letter never slips.
@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Downs syndrome", True),
        ("Dawn syndrome", False),  # "down" has 4 letters: no slips
        ("Down syndrom", True),  # "syndrome" (8 letters): one slip
        ("Down syndrme", True),
        ("Down syndr", False),  # three slips
        ("Down synxrxme", False),  # two slips in an 8-letter word
        ("Learning disabilty", True),  # "disability" (10 letters): two slips
        ("Learning dsabilty", True),
        ("Learning dsablty", False),  # three slips
        ("Learnin disability", True),  # "learning" (8 letters): one slip
        ("Lernin disability", False),  # two slips in an 8-letter word
        ("Mearning disability", False),  # the first letter never slips
        ("Mentl handicap", True),  # "mental" (6 letters): one slip
        ("Mntl handicap", False),
        ("Trisomy 21", True),
        ("Trisomy 12", False),  # a digit: no slips
        ("Trisomy21", True),
        ("Trisomy 2l", False),
    ],
)
def test_the_misspelling_tolerance(text, found):
    assert (find_terms(text) != []) is found, find_terms(text)


def test_words_are_read_in_any_case_and_apostrophes_are_dropped():
    assert find_terms("DOWN'S SYNDROME") == find_terms("downs syndrome") != []


def test_every_flag_carries_its_whole_evidence():
    flagged = detect(
        [{"text": None, "icd10": "F72"}, {"text": "Severe learning disability", "icd10": None}],
        [("dnacpr_rationale", "Down's syndrome"), ("findings_dnacpr_rationale", None)],
    )
    assert [(f.kind, f.evidence) for f in flagged] == [
        (
            FlagKind.learning_disability_as_cause_of_death,
            Evidence("mccd_part_1", "I(a)", "learning disability", "F72", ""),
        ),
        (
            FlagKind.learning_disability_as_cause_of_death,
            Evidence("mccd_part_1", "I(b)", "learning disability", "learning disability", "Severe learning disability"),
        ),
        (
            FlagKind.learning_disability_as_dnacpr_rationale,
            Evidence("dnacpr_rationale", None, "Down's syndrome", "downs syndrome", "Down's syndrome"),
        ),
    ]
