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
