"""The scenarios each named defect shows in (conformance/campaign/revealing.py): the names are sound, a wrong one
is refused, and a defect run asks for them on both of the kill matrix's paths.

That every defect is still killed with its narrower set is held by the kill matrix itself
(tests/conformance/test_kill_matrix.py, `test_defect_is_caught`), which runs every defect with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.campaign.killmatrix import defect_command
from conformance.campaign.revealing import REVEALING, check_revealing, revealing_scenarios
from conformance.campaign.run_options import RunOptions
from conformance.cli import cli
from conformance.scenarios.library import scenarios_for
from simulators.reference_cms.defects import DEFECTS


def test_the_revealing_scenarios_are_sound() -> None:
    assert check_revealing(REVEALING) == {}


@pytest.mark.parametrize(("revealing", "problem"), [
    ({"no-such-defect": ("outgoing.request-to-spoc",)}, "not a named defect"),
    ({"late-urgent-reply": ("incoming.no-such-scenario",)}, "not a scenario of the library"),
    ({"late-urgent-reply": ()}, "names no scenario"),
    # judge incoming requests only: an outgoing scenario would not even run under their profile.
    ({"late-urgent-reply": ("outgoing.request-to-spoc",)}, "gives no evidence on R-10, R-14"),
])
def test_a_wrong_name_is_refused(revealing: dict[str, tuple[str, ...]], problem: str) -> None:
    problems = check_revealing(revealing)
    assert len(problems) == 1
    assert any(problem in found for found in next(iter(problems.values())))


def test_a_defect_run_takes_fewer_scenarios_and_the_clean_run_all() -> None:
    assert revealing_scenarios(None) is None
    for defect, names in REVEALING.items():
        selected = [cls.name for cls in scenarios_for(DEFECTS[defect].requirements)]
        assert set(names) <= set(selected)
        assert revealing_scenarios(defect) == list(names)


def test_the_fresh_command_names_the_scenarios(tmp_path: Path) -> None:
    defect = next(iter(REVEALING))
    command = defect_command(RunOptions(), defect, list(DEFECTS[defect].requirements), tmp_path)
    assert command[command.index("--scenarios") + 1] == ",".join(REVEALING[defect])
    assert "--scenarios" not in defect_command(RunOptions(), None, [], tmp_path)


def test_run_refuses_an_unknown_scenario_before_the_campaign() -> None:
    answer = CliRunner().invoke(cli, ["run", "--scenarios", "incoming.no-such-scenario", "--quiet"])
    assert answer.exit_code == 2
    assert "incoming.no-such-scenario" in answer.output
