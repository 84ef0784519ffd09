"""Every named defect is switched somewhere in the reference CMS, through its constant."""

from __future__ import annotations

import ast
from pathlib import Path

from simulators.reference_cms import defects
from simulators.reference_cms.defects import DEFECTS, Defect

CMS_DIR = Path(defects.__file__).parent


def _constants() -> dict[str, Defect]:
    return {name: value for name, value in vars(defects).items() if isinstance(value, Defect)}


def test_every_registered_defect_has_one_constant() -> None:
    constants = _constants()
    assert sorted(d.name for d in constants.values()) == sorted(DEFECTS)
    assert all(DEFECTS[d.name] is d for d in constants.values())


def test_every_defect_is_asked_for_by_the_cms() -> None:
    asked: set[str] = set()
    for path in CMS_DIR.glob("*.py"):
        if path.name == "defects.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "active"
                    and node.args and isinstance(node.args[0], ast.Name)):
                asked.add(node.args[0].id)
    assert asked, "no `defects.active(...)` call found: the scan looks in the wrong place"
    assert set(_constants()) - asked == set(), "defects the reference CMS never switches on"
    assert asked - set(_constants()) == set(), "`active(...)` called with something other than a defect constant"
