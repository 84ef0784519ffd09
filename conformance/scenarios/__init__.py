"""The campaign's scenarios: what the harness injects into the shared timeline, and when.

`library.load_scenarios()` loads every scenario module and returns the registry; `base` holds what the
modules share (Scenario, ScenarioContext, register). This package imports nothing, so that importing
`base` does not pull in every scenario.
"""
