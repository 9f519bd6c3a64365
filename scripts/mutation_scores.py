"""Mutation score per module from mutmut's results in mutants/ (run by scripts/mutation.sh).

Killed (including timeouts: a mutant that hangs the tests is caught) over every mutant mutmut ran; surviving
mutants are listed for a person to judge (kill with a test, or explain as equivalent in docs/contributing.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mutmut.stats import status_by_exit_code

CAUGHT = {"killed", "timeout", "caught by type check"}


def main() -> int:
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results: run scripts/mutation.sh code", file=sys.stderr)
        return 1
    for meta in metas:
        results = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = {name: status_by_exit_code[code] for name, code in results.items()}
        ran = {name: status for name, status in statuses.items() if status != "not checked"}
        caught = sum(status in CAUGHT for status in ran.values())
        module = str(meta.relative_to("mutants")).removesuffix(".meta")
        score = f"{100 * caught / len(ran):.1f}%" if ran else "n/a"
        print(f"{module}: {caught}/{len(ran)} caught ({score})")
        for name, status in sorted(ran.items()):
            if status not in CAUGHT:
                print(f"    {status}: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
