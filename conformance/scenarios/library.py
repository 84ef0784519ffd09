"""The scenario library: every scenario module, loaded once, and the registry they fill.

A scenario module registers its scenarios (`@register`) when it is imported; this module imports each
of them, in a stable order, and is the one way to the registry (`load_scenarios`, `scenarios_for`).
A new scenario module goes into SCENARIO_MODULES: tests/conformance/test_scenario_library.py fails on a
module that registers scenarios and is not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType, ModuleType

from conformance.catalogue import load_catalogue
from conformance.scenarios import generated, incoming, long_running, outgoing, procedures, received, refusal_grounds
from conformance.scenarios.base import SCENARIOS, Scenario

__all__ = ["SCENARIO_MODULES", "ScenarioRequirementError", "load_scenarios", "scenarios_for"]

SCENARIO_MODULES: tuple[ModuleType, ...] = (
    incoming, outgoing, procedures, received, refusal_grounds, long_running, generated,
)


class ScenarioRequirementError(ValueError):
    """A scenario names a requirement ID the catalogue does not hold."""


def _check_requirements(scenarios: Mapping[str, type[Scenario]]) -> None:
    known = {requirement.id for requirement in load_catalogue().all()}
    unknown = {name: sorted(cls.requirements - known) for name, cls in scenarios.items() if cls.requirements - known}
    if unknown:
        raise ScenarioRequirementError(f"scenarios naming requirements the catalogue does not hold: {unknown}")


# On import, so that a misspelt requirement fails the first thing that loads the scenarios, not a run.
_check_requirements(SCENARIOS)


def load_scenarios() -> Mapping[str, type[Scenario]]:
    """Every registered scenario by name, in registration order (the modules above registered them)."""
    return MappingProxyType(SCENARIOS)


def scenarios_for(requirement_ids: Iterable[str]) -> list[type[Scenario]]:
    """The scenarios giving evidence on any of the requirements, in registration order."""
    wanted = set(requirement_ids)
    return [cls for cls in load_scenarios().values() if cls.requirements & wanted]
