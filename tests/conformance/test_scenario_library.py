"""Every scenario module is loaded by the library: a module left out would silently never run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conformance.ledger import ExchangeKind
from conformance.scenarios import library
from conformance.scenarios.base import Scenario
from conformance.scenarios.library import SCENARIO_MODULES, ScenarioRequirementError, load_scenarios

SCENARIOS_DIR = Path(library.__file__).parent


def _registers_scenarios(path: Path) -> bool:
    """Whether the module calls `register` (the registry's one entrance), as a decorator or directly."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and any(
                isinstance(d, ast.Name) and d.id == "register" for d in node.decorator_list):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "register":
            return True
    return False


def test_every_module_that_registers_scenarios_is_loaded() -> None:
    registering = {f"conformance.scenarios.{path.stem}" for path in SCENARIOS_DIR.glob("*.py")
                   if _registers_scenarios(path)}
    loaded = {module.__name__ for module in SCENARIO_MODULES}
    assert registering, "no scenario module found: the scan looks in the wrong place"
    assert registering - loaded == set(), "scenario modules missing from library.SCENARIO_MODULES"


def test_every_loaded_scenario_comes_from_a_listed_module() -> None:
    loaded = {module.__name__ for module in SCENARIO_MODULES}
    scenarios = load_scenarios()
    assert scenarios
    assert {cls.__module__ for cls in scenarios.values()} <= loaded


def test_a_scenario_naming_an_unknown_requirement_fails_when_the_library_loads() -> None:
    class Misspelt(Scenario):
        name = "misspelt"
        title = "names R-1O with a letter O"
        flow = ExchangeKind.INCOMING_REQUEST
        requirements = frozenset({"R-10", "R-1O"})

    with pytest.raises(ScenarioRequirementError, match="R-1O"):
        library._check_requirements({"misspelt": Misspelt})
    library._check_requirements(dict(load_scenarios()))  # the real library passes
