"""A kill-matrix worker's run has the options of the `spoc-harness run` command a fresh run gets.

The reused path (conformance/campaign/killworker.py) builds its RunOptions in the worker; the fresh path
hands `spoc-harness run` a command line (`killmatrix.defect_command`). Both must ask for the same run: the
command line is parsed here with the `run` command's own parser and compared, option by option, with what
the worker builds from its configuration after the JSON trip to the worker process.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest

from conformance.campaign.killmatrix import defect_command
from conformance.campaign.killworker import WorkerConfig, defect_options
from conformance.campaign.run_options import RunOptions
from conformance.commands.run import run as run_command


@pytest.mark.parametrize(("defect", "requirements"), [(None, []), ("late-urgent-reply", ["R-10", "R-14"])])
@pytest.mark.parametrize("base", [
    RunOptions(),
    RunOptions(seed=7, time_mode="declared", deadline_reading="reg1182", real_wait=5.0,
               siena_obligation_date=date(2027, 6, 12)),
], ids=["defaults", "every-option"])
def test_a_worker_run_asks_for_what_the_fresh_command_asks_for(
    tmp_path: Path, defect: str | None, requirements: list[str], base: RunOptions,
) -> None:
    key = tmp_path / "lab.key"
    key.write_text("a key file; only its path is passed on here", encoding="utf-8")
    base.signing_key = key
    out = tmp_path / "out"
    travelled = WorkerConfig(**json.loads(json.dumps(asdict(WorkerConfig.of(base, tmp_path / "work")))))
    built = defect_options(travelled.options(), defect, requirements, out)

    command = defect_command(base, defect, requirements, out)
    assert command[3] == "run"
    parsed = run_command.make_context("run", command[4:]).params

    assert built.sut == parsed["sut"] == "reference"
    assert built.defects == list(parsed["defects"])
    assert built.profile == parsed["profile"]
    assert built.scenarios == (parsed["scenarios"].split(",") if parsed["scenarios"] is not None else None)
    assert (built.scenarios is None) == (defect is None), "a defect run takes the scenarios its defect shows in"
    assert built.time_mode == parsed["time_mode"]
    assert built.deadline_reading == parsed["deadline_reading"]
    assert built.seed == parsed["seed"]
    assert built.real_wait == parsed["real_wait"]
    assert built.signing_key == parsed["signing_key"] == key
    assert built.siena_obligation_date == parsed["siena_obligation_date"]
    assert built.report_dir == parsed["report_dir"]
    assert built.work_dir == parsed["report_dir"] / "run-data"
    assert built.manual_timeout == parsed["manual_timeout"]
    assert parsed["deviations"] is None
    assert built.deviations is None
