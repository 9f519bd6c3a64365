"""Every small breakdown and two-way table, published exactly as recorded in data/disclosure_golden.json.

The properties in test_disclosure_tables.py (the house rule per line, and the integer-programming attack) say
whether a publication is safe; they cannot say whether it hides more than it needs to, and hiding more is a
change too (a count that was published goes missing). This file pins every publication of breakdowns of three
cells and of 2x2 tables over counts at the edges of the rules, and of 2,000 seeded tables from 2x2 to 4x4, so any
change to the rules shows here.
After a deliberate change, look at the differences, then regenerate:
    LEDER_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_disclosure_golden.py
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

from app.reports.disclosure import protect, protect_table

GOLDEN = Path(__file__).parent / "data" / "disclosure_golden.json"
EDGES = (0, 1, 7, 8, 9, 12, 13, 30)  # zero, small, the suppression edge, rounding edges, larger


def _publications() -> dict[str, object]:
    found: dict[str, object] = {}
    for cells in itertools.product(EDGES, repeat=3):
        published = protect(dict(enumerate(cells)))
        found[f"breakdown {cells}"] = [list(published.cells.values()), published.total]
    for values in itertools.product((0, 1, 8, 13, 30), repeat=4):
        table = protect_table({0: dict(enumerate(values[:2])), 1: dict(enumerate(values[2:]))}, [0, 1])
        found[f"2x2 {values}"] = _plain(table)
    generate = random.Random(2026)  # seeded: the same tables every run
    for n in range(2000):
        height, width = generate.randint(2, 4), generate.randint(2, 4)
        counts = [generate.choice((0, 0, 1, 2, 3, 8, 9, 13, 30)) for _ in range(height * width)]
        rows = {r: dict(enumerate(counts[r * width : (r + 1) * width])) for r in range(height)}
        found[f"{height}x{width} #{n} {tuple(counts)}"] = _plain(protect_table(rows, list(range(width))))
    return found


def _plain(table) -> list[object]:
    return [
        [list(row.values()) for row in table.cells.values()],
        list(table.row_totals.values()),
        list(table.column_totals.values()),
        table.total,
    ]


def test_every_publication_is_as_recorded():
    found = _publications()
    if os.environ.get("LEDER_REGENERATE_GOLDEN") == "1":
        lines = [f"{json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}" for key, value in found.items()]
        GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n")  # one publication a line: readable diffs
    recorded = json.loads(GOLDEN.read_text())
    changed = sorted(key for key in found if found[key] != recorded.get(key))
    assert changed == [], f"{len(changed)} publications changed, e.g. {changed[:3]}"
    assert set(recorded) == set(found)
