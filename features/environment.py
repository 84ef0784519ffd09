"""behave hooks: one conformance campaign per run, for the requirements of the selected scenarios.

By default the reference network is started (channel simulators and the reference CMS, real
subprocesses on free loopback ports, the same helper `spoc-harness run` uses) and stopped at the
end. User data (`behave -D key=value`) points the scenarios elsewhere:

    -D sut=reference|URL        the SUT test interface of a vendor CMS (default: the reference CMS)
    -D channels=URL -D credentials=FILE   the simulators a vendor CMS is connected to
    -D defect=NAME[,NAME]       run the reference CMS with named defects (`spoc-harness defects`)
    -D seed=N                   the seed of the generated data (the same seed replays the same run)
    -D time_mode=virtual|real|declared, -D deadline_reading=elapsed|reg1182,
    -D siena_obligation_date=YYYY-MM-DD, -D manual_timeout=SECONDS, -D work_dir=DIR

The campaign runs once, lazily, at the first step that needs it, and injects only the campaign
scenarios the selected Gherkin scenarios' requirement tags need (`--tags`, `--name` and
`file:line` selections all narrow it). Steps then assert on the same check functions the pytest
suite runs (conformance.evaluation). A scenario whose requirement tags were not all asserted by its
steps fails in `after_scenario`: the tags are the promise the scenario makes to its reader.
"""

from __future__ import annotations

from typing import Any

from conformance.evaluation import GherkinRun, options_from_userdata
from conformance.gherkin import requirement_tags


def _selected_requirements(context: Any) -> set[str]:
    """Requirement IDs tagged on the scenarios this run will execute (after every selection option)."""
    selected: set[str] = set()
    for feature in context._runner.features:
        for scenario in feature.walk_scenarios():
            if scenario.should_run(context.config):
                selected |= set(requirement_tags(scenario.effective_tags))
    return selected


def before_all(context: Any) -> None:
    options = options_from_userdata(dict(context.config.userdata))
    context.harness = GherkinRun(options, _selected_requirements(context))


def before_scenario(context: Any, scenario: Any) -> None:
    context.want = {}
    context.scope = None
    context.asserted = set()


def after_scenario(context: Any, scenario: Any) -> None:
    if scenario.status.name != "passed":
        return
    promised = set(requirement_tags(scenario.effective_tags))
    unchecked = sorted(promised - context.asserted, key=lambda r: int(r.removeprefix("R-")))
    if unchecked:
        harness: GherkinRun = context.harness
        named = ", ".join(f"{r} ({harness.article(r)})" for r in unchecked)
        raise AssertionError(f"the scenario is tagged {named} but none of its steps asserted it")


def after_all(context: Any) -> None:
    harness: GherkinRun | None = getattr(context, "harness", None)
    if harness is not None:
        harness.close()
