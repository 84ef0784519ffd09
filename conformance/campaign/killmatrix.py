"""The kill matrix: proof that every check can fail.

For each named defect of the reference CMS, the campaign runs with only the checks of the requirements
the defect is meant to break; the defect is "killed" when every one of them fails. One more run against
the clean reference CMS, with every check, must be conformant. Each run is its own `spoc-harness run`
subprocess (its own simulators and CMS on free ports), `jobs` at a time.

Because the campaign's network time lies before 12 June 2027, the SIENA obligations of Art 13 would only
be graded as warnings (R-57); the defect runs therefore apply them from the campaign's start, which is
recorded in each run's settings. The clean run keeps the configured date.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from conformance.campaign.run_options import RunOptions
from conformance.settings import CampaignSettings
from reports.assemble import kill_row
from reports.console import render_summary
from reports.formats import write_report_files
from reports.results import KillRow, Outcome, RunResults, Verdict, load_results
from simulators.reference_cms.defects import DEFECTS

__all__ = ["DefectRun", "KillMatrixOutcome", "defect_command", "run_kill_matrix"]


@dataclass
class DefectRun:
    defect: str
    expected: list[str]
    results: RunResults | None
    returncode: int
    log: str

    @property
    def failed(self) -> list[str]:
        if self.results is None:
            return []
        return [r.id for r in self.results.requirements if r.outcome is Outcome.FAILED]


@dataclass
class KillMatrixOutcome:
    rows: list[KillRow]
    clean: RunResults | None
    runs: list[DefectRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        clean_ok = self.clean is not None and self.clean.verdict is Verdict.CONFORMANT
        return clean_ok and all(row.killed for row in self.rows)


def defect_command(options: RunOptions, defect: str | None, requirements: Sequence[str], report_dir: Path) -> list[str]:
    args = [sys.executable, "-c", "from conformance.cli import main; main()", "run", "--sut", "reference",
            "--report-dir", str(report_dir), "--quiet", "--profile", ",".join(requirements) if requirements else "all",
            "--time-mode", options.time_mode, "--deadline-reading", options.deadline_reading]
    if options.seed is not None:
        args += ["--seed", str(options.seed)]
    if options.real_wait is not None:
        args += ["--real-wait", f"{options.real_wait:g}"]
    if options.signing_key is not None:  # every run's bundle signed by the lab's key, not an ephemeral one
        args += ["--signing-key", str(options.signing_key)]
    if defect is not None:
        args += ["--defect", defect]

        start = CampaignSettings().start_local.date()
        args += ["--siena-obligation-date", start.isoformat()]
    elif options.siena_obligation_date is not None:
        args += ["--siena-obligation-date", options.siena_obligation_date.isoformat()]
    return args


def _run_one(options: RunOptions, defect: str | None, requirements: Sequence[str], base: Path) -> DefectRun:
    report_dir = base / (defect or "clean")
    shutil.rmtree(report_dir, ignore_errors=True)
    env = {**os.environ, "PYTEST_ADDOPTS": ""}
    completed = subprocess.run(
        defect_command(options, defect, requirements, report_dir), capture_output=True, text=True, env=env,
        timeout=900, check=False,
    )
    results_path = report_dir / "results.json"
    results = load_results(results_path) if results_path.exists() else None
    return DefectRun(defect or "clean", list(requirements), results, completed.returncode,
                     (completed.stdout + completed.stderr)[-4000:])


def run_kill_matrix(
    options: RunOptions,
    *,
    jobs: int = 2,
    echo: Callable[[str], None] = print,
    quiet: bool = False,
    defects: Sequence[str] | None = None,
    include_clean: bool = True,
) -> KillMatrixOutcome:
    """Run the defects (all, or `options.defects`, or `defects`) and the clean CMS; write results.json."""
    names = list(defects or options.defects or DEFECTS)
    report_dir = options.report_dir or Path("reports-out")
    base = report_dir / "kill-matrix"
    base.mkdir(parents=True, exist_ok=True)
    work: list[tuple[str | None, list[str]]] = [(name, list(DEFECTS[name].requirements)) for name in names]
    if include_clean:
        work.insert(0, (None, []))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda job: _run_one(options, job[0], job[1], base), work))
    clean = next((r.results for r in runs if r.defect == "clean"), None)
    rows: list[KillRow] = []
    for item in runs:
        if item.defect == "clean":
            continue
        rows.append(kill_row(item.defect, item.expected, item.failed))
        if not quiet:
            status = "killed" if rows[-1].killed else f"MISSED {', '.join(rows[-1].missed)}"
            echo(f"  {item.defect:<45} {status}")
        if item.results is None:
            echo(f"  {item.defect}: the run produced no results (exit {item.returncode}):\n{item.log}")
    outcome = KillMatrixOutcome(rows, clean, runs)
    if clean is not None:
        clean.kill_matrix = rows
        write_report_files(clean, report_dir)
        echo(render_summary(clean, report_paths={"results.json": str(report_dir / "results.json"),
                                                 "kill-matrix runs": str(base)}))
    else:
        echo("the clean reference run produced no results")
    return outcome
