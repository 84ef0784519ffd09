"""Verdicts do not depend on the machine's load: the same runs, quiet and beside CPU-burning processes.

Vendors certify in CI on shared, loaded runners. The campaign steps the network clock on the SUT's
quiescence signal (not on a quiet period measured in real time), so every check instance must come out
the same, and as many of them, whether the machine is idle or busy. The clean campaign (every check)
and a sample of timing-sensitive defect runs (each narrowed to the requirements it breaks) run quiet,
then again with more CPU burners than the machine has cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.campaign.killmatrix import DefectRun, KillMatrixOutcome, run_kill_matrix
from conformance.campaign.run_options import RunOptions

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Answers due within hours, copies due "immediately", a fallback channel during an outage: the checks a
# step settled too early or too late would turn.
SAMPLE = ("late-copy", "late-urgent-reply", "no-fallback-on-siena-outage")


@contextmanager
def cpu_burners(count: int) -> Iterator[None]:
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _matrix(report_dir: Path) -> KillMatrixOutcome:
    return run_kill_matrix(RunOptions(report_dir=report_dir), jobs=2, quiet=True, echo=lambda _: None,
                           defects=SAMPLE)


def _instances(run: DefectRun) -> Counter[tuple[str, str]]:
    assert run.results is not None, f"{run.defect}: no results (exit {run.returncode})\n{run.log}"
    return Counter((check.id, check.outcome.value) for check in run.results.checks)


def test_every_check_instance_is_the_same_on_a_loaded_machine(tmp_path: Path) -> None:
    quiet = _matrix(tmp_path / "quiet")
    with cpu_burners((os.cpu_count() or 2) + 1):
        loaded = _matrix(tmp_path / "loaded")
    assert [r.defect for r in loaded.runs] == [r.defect for r in quiet.runs]
    for calm, busy in zip(quiet.runs, loaded.runs, strict=True):
        expected, seen = _instances(calm), _instances(busy)
        assert seen == expected, (
            f"{calm.defect}: check instances differ under load; only quiet: {sorted((expected - seen).elements())}; "
            f"only loaded: {sorted((seen - expected).elements())}"
        )
    assert all(row.killed for row in quiet.rows), [row.defect for row in quiet.rows if not row.killed]
    assert quiet.clean is not None
    assert loaded.clean is not None
    for clean in (quiet.clean, loaded.clean):
        extra = clean.settings.model_extra or {}
        assert extra["settling"] == "quiescence-signal"
        assert extra["settle_timeouts"] == 0
