from __future__ import annotations

import re

from app.families.codes import code_hash, new_code, normalise


def test_codes_are_grouped_readable_and_distinct():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)


def test_the_way_a_code_is_typed_does_not_matter():
    assert normalise(" abcd-efgh jk0m ") == "ABCDEFGHJK0M"
    assert code_hash("7Q2M-XK4P-0000-1111-ABCD") == code_hash("7q2m xk4p oooo iiii abcd")
    assert code_hash("7Q2M-XK4P-0000-1111-ABCD") != code_hash("7Q2M-XK4P-0000-1111-ABCE")


def test_processes_a_relative_may_be_part_of_are_not_named_to_the_family():
    from app.families.words import HOLD_WORDS
    from app.notifications.enums import OtherProcess

    for process in (OtherProcess.police_investigation, OtherProcess.safeguarding_adults_enquiry,
                    OtherProcess.domestic_homicide_review):  # fmt: skip
        words = HOLD_WORDS[process].lower()
        assert "police" not in words
        assert "safeguarding" not in words
        assert "homicide" not in words
