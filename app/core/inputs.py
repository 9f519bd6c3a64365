"""The base of every model a caller sends: unknown fields refused, text trimmed, control characters refused.

A NUL byte in a name or a cause of death was stored on SQLite and, inside JSON on PostgreSQL, made that
area's annual report fail for everyone; other control characters break the CSVs, pages and logs the text
reaches. Text may hold line breaks and tabs (a narrative has paragraphs), nothing else below space, no DEL,
no C1 controls and no lone surrogates (which PostgreSQL cannot store). `tests/test_input_models.py` checks
that every request body is built from this base, so no route can forget it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# Unicode's controls (category Cc: U+0000-001F, U+007F-009F) and surrogates (Cs: U+D800-DFFF), less tab, line
# feed and carriage return. A character class, not a loop over unicodedata.category: this runs on every string
# of every request, and the regular expression engine scans a string in C (tests/unit/test_inputs.py checks the
# class against unicodedata for every code point).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    return _CONTROL_CHARACTER.search(text) is not None


def _check(value: Any) -> None:
    if isinstance(value, str):
        if has_control_characters(value):
            raise ValueError("contains a control character (only line breaks and tabs are allowed in text)")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check(item)
    # A raw JSON object (a batch's items) is checked when it is validated as the model it must be.


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _check(value)  # nested models check their own fields
        return value
