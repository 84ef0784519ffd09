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
from conformance.ledger import ExchangeKind
from conformance.scenarios import generated, incoming, long_running, outgoing, procedures, received, refusal_grounds
from conformance.scenarios.base import SCENARIOS, Scenario
from conformance.selection import check_declarations, gives_evidence

__all__ = ["SCENARIO_MODULES", "ScenarioRequirementError", "gives_evidence_on", "load_scenarios", "scenarios_for"]

SCENARIO_MODULES: tuple[ModuleType, ...] = (
    incoming, outgoing, procedures, received, refusal_grounds, long_running, generated,
)


class ScenarioRequirementError(ValueError):
    """A scenario declares a requirement the catalogue does not hold, or one the model would not judge it by."""


def _check_requirements(scenarios: Mapping[str, type[Scenario]]) -> None:
    catalogue = load_catalogue()
    missing = sorted(name for name, cls in scenarios.items()
                     if not isinstance(getattr(cls, "flow", None), ExchangeKind))
    if missing:
        raise ScenarioRequirementError(f"scenarios without a flow (the kind of exchange they record): {missing}")
    problems = check_declarations(catalogue, {name: (cls.flow, cls.requirements) for name, cls in scenarios.items()})
    if problems:
        raise ScenarioRequirementError(f"scenarios declaring requirements wrongly: {problems}")


# On import, so that a misspelt requirement fails the first thing that loads the scenarios, not a run.
_check_requirements(SCENARIOS)


def load_scenarios() -> Mapping[str, type[Scenario]]:
    """Every registered scenario by name, in registration order (the modules above registered them)."""
    return MappingProxyType(SCENARIOS)


def gives_evidence_on(cls: type[Scenario], requirement_ids: Iterable[str]) -> bool:
    """Whether the scenario may record an exchange one of the requirements judges (conformance.selection)."""
    return gives_evidence(load_catalogue(), cls.flow, cls.requirements, cls.planned_profile(), requirement_ids)


def scenarios_for(requirement_ids: Iterable[str]) -> list[type[Scenario]]:
    """The scenarios giving evidence on any of the requirements, in registration order."""
    wanted = set(requirement_ids)
    return [cls for cls in load_scenarios().values() if gives_evidence_on(cls, wanted)]
