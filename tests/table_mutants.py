"""Mutants of the data tables mutmut does not mutate: the policy table, integrator scopes, the stage table.

`scripts/mutation.sh` loads this as a pytest plugin (`-p tests.table_mutants`) with LEDER_TABLE_MUTANT naming one
mutant; the plugin changes that one cell in place before any test runs, so every module that imported the table
sees the change. `python -m tests.table_mutants` lists every mutant, one per line. Never loaded by the suite.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator

from app.auth.policy import INTEGRATOR_SCOPE, POLICY, Action, Role, Scope
from app.notifications.enums import Stage
from app.reviews.stages import TRANSITIONS, Edge, Move


def all_mutants() -> Iterator[str]:
    for action in Action:
        for role in Role:
            yield f"policy {action.value} toggle {role.value}"
    for action in INTEGRATOR_SCOPE:
        yield f"scope {action.value} remove"
        for scope in [None, *Scope]:
            if scope != INTEGRATOR_SCOPE[action]:
                yield f"scope {action.value} set {scope.value if scope else 'none'}"
    for frm, to in TRANSITIONS:
        yield f"stage {frm.value}>{to.value} remove"
        yield f"stage {frm.value}>{to.value} flip_reason"
        for role in (Role.coordinator, Role.reviewer):
            yield f"stage {frm.value}>{to.value} toggle {role.value}"
    for frm in Stage:
        for to in Stage:
            if frm != to and (frm, to) not in TRANSITIONS:
                yield f"stage {frm.value}>{to.value} add coordinator"
                yield f"stage {frm.value}>{to.value} add reviewer"


def apply(mutant: str) -> None:
    table, key, change, *arg = mutant.split()
    if table == "policy":
        POLICY[Action(key)] = POLICY[Action(key)] ^ {Role(arg[0])}
    elif table == "scope":
        if change == "remove":
            del INTEGRATOR_SCOPE[Action(key)]
        else:
            INTEGRATOR_SCOPE[Action(key)] = None if arg[0] == "none" else Scope(arg[0])
    else:
        frm, to = (Stage(name) for name in key.split(">"))
        edge = TRANSITIONS.get((frm, to))
        if change == "remove":
            del TRANSITIONS[(frm, to)]
        elif change == "flip_reason" and edge:
            TRANSITIONS[(frm, to)] = dataclasses.replace(edge, needs_reason=not edge.needs_reason)
        elif change == "toggle" and edge:
            TRANSITIONS[(frm, to)] = dataclasses.replace(edge, roles=edge.roles ^ {Role(arg[0])})
        elif change == "add":
            TRANSITIONS[(frm, to)] = Edge(Move.send_back, frozenset({Role(arg[0])}))
        else:
            raise ValueError(mutant)


def pytest_configure() -> None:
    mutant = os.environ.get("LEDER_TABLE_MUTANT")
    if mutant:
        apply(mutant)


if __name__ == "__main__":
    sys.stdout.write("".join(f"{m}\n" for m in all_mutants()))
