"""The image installs from requirements.lock; it must pin exactly what pyproject.toml pins, with hashes,
so the container and a developer's checkout cannot drift apart unnoticed."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.core.migrations import PROJECT_ROOT

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for every package in the lock."""
    text = (PROJECT_ROOT / "requirements.lock").read_text()
    entries: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = _PIN.match(block)
        if match:
            entries[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return entries


def test_the_lock_pins_every_runtime_dependency_at_pyprojects_version_with_hashes():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked()
    assert len(locked) > len(project["dependencies"])  # the transitive ones are locked too
    for line in project["dependencies"]:
        requirement = Requirement(line)
        pinned = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        assert pinned, f"{line}: pin it with =="
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is missing from requirements.lock: regenerate it"
        assert locked[name][0] == pinned[0], f"{name}: pyproject {pinned[0]}, lock {locked[name][0]}"
    assert all(hashes > 0 for _, hashes in locked.values())


def test_the_lock_holds_no_development_tool():
    dev = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert not {canonicalize_name(Requirement(line).name) for line in dev} & set(_locked())
