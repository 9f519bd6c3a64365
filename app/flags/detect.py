"""Bias flags: learning disability recorded where it should never be, found in free text and codes.

Learning disabilities are not fatal conditions and should never be given as a cause of death on the
MCCD (recommendation 10 of the LeDeR response), nor as the reason for a DNACPR order (recommendations
10-12). The service looks for them itself, tolerating the spellings people actually type.

Pure functions: text in, evidence out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz.distance import Levenshtein


class FlagKind(StrEnum):
    learning_disability_as_cause_of_death = "learning_disability_as_cause_of_death"
    learning_disability_as_dnacpr_rationale = "learning_disability_as_dnacpr_rationale"


@dataclass(frozen=True)
class Evidence:
    source: str  # "mccd_part_1", "dnacpr_rationale" (at notification) or "findings_dnacpr_rationale"
    line: str | None  # "I(a)" to "I(d)" for the certificate
    term: str  # the condition recognised, in its standard form
    matched: str  # the words or code that matched, as written
    text: str  # the whole line or rationale, for the reader to judge


@dataclass(frozen=True)
class DetectedFlag:
    kind: FlagKind
    evidence: Evidence


# Phrases, written as normalised words (lower case, apostrophes dropped). Each word may be misspelt
# by the distance allowed for its length. The vocabulary is the ICD-10 (WHO 2019) titles and inclusion
# terms of the codes flagged below (F70-F79, F81.9, Q90.0-Q90.9), the older terms certificates still carry,
# and the abbreviations doctors write. Deliberately absent: conditions that come with a learning disability
# but are not one (epilepsy, cerebral palsy, autism, fragile X, global developmental delay), and
# abbreviations that mean other things on a certificate (MLD: metachromatic leukodystrophy; ID; DS).
_PHRASES: dict[str, list[tuple[str, ...]]] = {
    "learning disability": [
        ("learning", "disability"),
        ("learning", "disabilities"),
        ("learning", "disabled"),
        ("learning", "handicap"),  # F81.9 inclusion: learning handicap NOS
        ("learning", "disorder"),  # F81.9 inclusion: learning disorder NOS
        ("knowledge", "acquisition", "disability"),  # F81.9 inclusion
        ("disorder", "of", "scholastic", "skills"),  # F81.9: developmental disorder of scholastic skills
        ("intellectual", "disability"),
        ("intellectual", "disabilities"),
        ("intellectually", "disabled"),
        ("mental", "handicap"),
        ("mentally", "handicapped"),
        ("mental", "retardation"),  # ICD-10's own title for F70-F79 (mild, moderate, severe, profound, ...)
        ("mentally", "retarded"),
        ("mental", "subnormality"),  # F70-F73, F79 inclusion terms
        ("mentally", "subnormal"),
        ("mental", "deficiency"),  # F79 inclusion: mental deficiency NOS
        ("mentally", "deficient"),
        ("mentally", "defective"),
        ("feeble", "minded"),  # F70 inclusion: feeble-mindedness
        ("feeble", "mindedness"),
        ("feebleminded",),
        ("feeblemindedness",),
        ("imbecility",),  # older terms for moderate and profound mental retardation
        ("imbecile",),
        ("idiocy",),
        ("ld",),
        ("lds",),
        ("pmld",),  # profound and multiple learning disabilities
        ("sld",),  # severe learning disability
    ],
    "learning difficulties": [("learning", "difficulty"), ("learning", "difficulties")],
    "Down's syndrome": [
        ("downs", "syndrome"),
        ("down", "syndrome"),
        ("downs", "disease"),
        ("trisomy", "21"),  # Q90.0-Q90.2: trisomy 21 (meiotic nondisjunction, mosaicism, translocation)
        ("trisomy21",),
        ("t21",),
        ("mongolism",),  # the older index term for Q90
        ("downs",),  # "Downs, frailty": on a certificate or a DNACPR form, nothing else is meant
    ],
}
_ICD10 = re.compile(r"^(F7\d(\.\d+)?|F81\.9|Q90(\.\d+)?)$")
_ICD10_IN_TEXT = re.compile(r"\b(F7\d(?:\.\d+)?|F81\.9|Q90(?:\.\d+)?)\b", re.IGNORECASE)
# A phrase never runs across these: "learning, disability benefits" is not "learning disability".
_SEGMENTS = re.compile(r"[;,.:()\n]+")
# "Not because of his learning disability": a stated negation close before the words.
_NEGATIONS = frozenset({"not", "no", "without", "regardless", "irrespective"})
_NEGATION_REACH = 4
_ICD10_TERMS = {"F7": "learning disability", "F8": "learning difficulties", "Q9": "Down's syndrome"}
_APOSTROPHES = re.compile("[\\u2019'`]")  # typed and typographic (U+2019) apostrophes: Down's is Downs
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LINES = ["I(a)", "I(b)", "I(c)", "I(d)"]


def _tolerance(word: str) -> int:
    """Typing slips allowed in a word: none in short words (they collide with others), more in long ones."""
    if len(word) <= 5 or any(c.isdigit() for c in word):  # "trisomy 18" must not pass for "trisomy21"
        return 0
    return 1 if len(word) <= 8 else 2


def _alike(typed: str, word: str) -> bool:
    # Slips rarely change the first letter; requiring it keeps "yearning" from being "learning".
    return typed[:1] == word[:1] and Levenshtein.distance(typed, word) <= _tolerance(word)


# Phrases by their first word, so that a typed word that resembles no phrase's first word costs one look-up.
_STARTING_WITH: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    first: [(term, phrase) for term, phrases in _PHRASES.items() for phrase in phrases if phrase[0] == first]
    for first in {phrase[0] for phrases in _PHRASES.values() for phrase in phrases}
}
_VOCABULARY = sorted({word for phrases in _PHRASES.values() for phrase in phrases for word in phrase})


@lru_cache(maxsize=16384)
def _resembles(typed: str) -> frozenset[str]:
    """The phrase words `typed` may be a spelling of. Cached (bounded): free text repeats its words, and an
    import checks every row, so each distinct word is compared with the phrase words once."""
    return frozenset(word for word in _VOCABULARY if _alike(typed, word))


def _words(text: str) -> list[str]:
    return [w for w in _NON_WORD.split(_APOSTROPHES.sub("", text.lower())) if w]


def find_terms(text: str) -> list[tuple[str, str]]:
    """(standard term, words as found) for each mention in `text` that is not negated."""
    return list(_terms(text))


@lru_cache(maxsize=4096)
def _terms(text: str) -> tuple[tuple[str, str], ...]:
    # Cached (bounded): certificates and rationales repeat their wording from one notification to the next.
    found = set()
    for segment in _SEGMENTS.split(text):
        words = _words(segment)
        like = [_resembles(w) for w in words]
        for start, first in enumerate(like):
            for candidate in first:
                for term, phrase in _STARTING_WITH.get(candidate, ()):
                    end = start + len(phrase)
                    if end > len(words) or not all(p in like[i] for i, p in enumerate(phrase[1:], start + 1)):
                        continue
                    if _NEGATIONS & set(words[max(start - _NEGATION_REACH, 0) : start]):
                        continue
                    found.add((term, " ".join(words[start:end])))
    for code in _ICD10_IN_TEXT.findall(text):  # a code typed into the text: "1b Q90.9"
        coded = learning_disability_code(code.upper())
        if coded:
            found.add((coded, code.upper()))
    # One mention per term and spelling; "downs syndrome" already covers its own "downs".
    unique = sorted(found)
    return tuple((t, m) for t, m in unique if not any(t == t2 and m != m2 and m in m2.split() for t2, m2 in unique))


def learning_disability_code(code: str | None) -> str | None:
    """The standard term if an ICD-10 code is a learning disability (F70-F79, F81.9) or Down's (Q90)."""
    if code and _ICD10.match(code):
        return _ICD10_TERMS[code[:2]]
    return None


def detect(
    part_1: Sequence[dict[str, str | None]], rationales: Sequence[tuple[str, str | None]] = ()
) -> list[DetectedFlag]:
    """Flags for a certificate's Part I lines (text and optional ICD-10 code) and DNACPR rationales,
    each given with where it was recorded (e.g. `dnacpr_rationale` at notification)."""
    flags = []
    for index, line in enumerate(part_1[: len(_LINES)]):
        text = line.get("text") or ""
        for term, matched in find_terms(text):
            flags.append(_cause(_LINES[index], term, matched, text))
        code = line.get("icd10")
        term_for_code = learning_disability_code(code)
        if term_for_code and code:
            flags.append(_cause(_LINES[index], term_for_code, code, text))
    for source, rationale in rationales:
        for term, matched in find_terms(rationale or ""):
            flags.append(
                DetectedFlag(
                    FlagKind.learning_disability_as_dnacpr_rationale,
                    Evidence(source, None, term, matched, rationale or ""),
                )
            )
    return flags


def _cause(line: str, term: str, matched: str, text: str) -> DetectedFlag:
    return DetectedFlag(
        FlagKind.learning_disability_as_cause_of_death, Evidence("mccd_part_1", line, term, matched, text)
    )
