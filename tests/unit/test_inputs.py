"""The control-character rule of every request body (app/core/inputs.py), against Unicode's own categories."""

from __future__ import annotations

import sys
import unicodedata

from app.core.inputs import has_control_characters


def test_the_character_class_is_exactly_unicodes_controls_and_surrogates_less_tab_and_line_breaks():
    for code_point in range(sys.maxunicode + 1):
        character = chr(code_point)
        expected = unicodedata.category(character) in ("Cc", "Cs") and character not in "\t\n\r"
        assert has_control_characters(f"a{character}b") is expected, hex(code_point)


def test_text_with_line_breaks_and_tabs_is_fine_and_one_control_anywhere_is_not():
    assert not has_control_characters("Joan's care\r\n\tWard 4 — été ✓")
    assert has_control_characters("Joan\x00")
    assert has_control_characters("\x1bJoan")
    assert has_control_characters("Jo\x85an")  # NEL, a C1 control
    assert not has_control_characters("")
