"""The campaign's scenarios: what the harness injects into the shared timeline, and when."""

from __future__ import annotations

from conformance.scenarios.base import SCENARIOS, Scenario, ScenarioContext, register, scenarios_for

__all__ = ["SCENARIOS", "Scenario", "ScenarioContext", "register", "scenarios_for"]
