"""The scenario library: every scenario module, loaded once, and the registry they fill.

A scenario module registers its scenarios (`@register`) when it is imported; this module imports each
of them, in a stable order, and is the one way to the registry (`load_scenarios`, `scenarios_for`).
A new scenario module goes into SCENARIO_MODULES: tests/conformance/test_scenario_library.py fails on a
module that registers scenarios and is not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType, ModuleType

from conformance.scenarios import generated, incoming, long_running, outgoing, procedures, received, refusal_grounds
from conformance.scenarios.base import SCENARIOS, Scenario

__all__ = ["SCENARIO_MODULES", "load_scenarios", "scenarios_for"]

SCENARIO_MODULES: tuple[ModuleType, ...] = (
    incoming, outgoing, procedures, received, refusal_grounds, long_running, generated,
)


def load_scenarios() -> Mapping[str, type[Scenario]]:
    """Every registered scenario by name, in registration order (the modules above registered them)."""
    return MappingProxyType(SCENARIOS)


def scenarios_for(requirement_ids: Iterable[str]) -> list[type[Scenario]]:
    """The scenarios giving evidence on any of the requirements, in registration order."""
    wanted = set(requirement_ids)
    return [cls for cls in load_scenarios().values() if cls.requirements & wanted]
