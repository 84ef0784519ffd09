"""The kill matrix: proof that every check can fail.

For each named defect of the reference CMS, the campaign runs with only the checks of the requirements
the defect is meant to break, and only the scenarios the defect shows in (conformance/campaign/revealing.py);
the defect is "killed" when every one of them fails. One more run against
the clean reference CMS, with every check, must be conformant.

`jobs` workers run at a time. Each worker (conformance/campaign/killworker.py) starts one channel server and
one reference CMS and runs defect after defect on them, renewing both between runs to the state fresh
processes would have (the network reset with its clock back at its start, the CMS restarted in place with
the next defect on an empty store); the workers take the runs from one queue, the clean run (the longest)
first, then the defect runs with the most scenarios (`run_order`). A defect run writes results.json alone (its
requirements' outcomes are all the matrix reads of it); the clean run writes every report and its evidence
bundle. With `fresh=True`, or in the real time mode (a system clock cannot be put back), each run is instead
its own `spoc-harness run` subprocess with its own simulators and CMS, as a person would replay it.

Because the campaign's network time lies before 12 June 2027, the SIENA obligations of Art 13 would only
be graded as warnings (R-57); the defect runs therefore apply them from the campaign's start, which is
recorded in each run's settings. The clean run keeps the configured date.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from conformance.campaign.killworker import MARKER, Job, JobDone, WorkerConfig
from conformance.campaign.revealing import revealing_scenarios
from conformance.campaign.run_options import RunOptions
from conformance.settings import CampaignSettings
from reports.assemble import kill_row
from reports.console import render_summary
from reports.formats import write_report_files
from reports.results import KillRow, Outcome, RunResults, Verdict, load_results
from simulators.reference_cms.defects import DEFECTS

__all__ = ["DefectRun", "KillMatrixOutcome", "defect_command", "run_kill_matrix", "run_order", "scenario_runs"]

RUN_TIMEOUT = 900.0  # wall seconds one run may take, on fresh or on reused processes


@dataclass
class DefectRun:
    defect: str
    expected: list[str]
    results: RunResults | None
    returncode: int
    log: str
    seconds: float = 0.0  # wall time of the run, as its caller saw it (a worker's start-up included)

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
    # Reused processes: what a worker's full verification of its channel journal, once its runs were done, found
    # wrong (each defect run verified only the entries since the run before it).
    journal_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        clean_ok = self.clean is not None and self.clean.verdict is Verdict.CONFORMANT
        return clean_ok and all(row.killed for row in self.rows) and not self.journal_problems


def defect_command(options: RunOptions, defect: str | None, requirements: Sequence[str], report_dir: Path, *,
                   revealing_only: bool = True) -> list[str]:
    """The `spoc-harness run` command of one defect run (of the clean run when `defect` is None). A defect run
    takes only the scenarios its defect shows in (conformance/campaign/revealing.py) unless `revealing_only` is
    false, for a run that must see the whole campaign against the defective CMS."""
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
        scenarios = revealing_scenarios(defect) if revealing_only else None
        if scenarios is not None:
            args += ["--scenarios", ",".join(scenarios)]

        start = CampaignSettings().start_local.date()
        args += ["--siena-obligation-date", start.isoformat()]
    elif options.siena_obligation_date is not None:
        args += ["--siena-obligation-date", options.siena_obligation_date.isoformat()]
    return args


def _run_one(options: RunOptions, defect: str | None, requirements: Sequence[str], base: Path) -> DefectRun:
    report_dir = base / (defect or "clean")
    shutil.rmtree(report_dir, ignore_errors=True)
    env = {**os.environ, "PYTEST_ADDOPTS": ""}
    began = time.monotonic()
    completed = subprocess.run(
        defect_command(options, defect, requirements, report_dir), capture_output=True, text=True, env=env,
        timeout=RUN_TIMEOUT, check=False,
    )
    run = _results(defect, requirements, report_dir, completed.returncode,
                   (completed.stdout + completed.stderr)[-4000:])
    run.seconds = time.monotonic() - began
    return run


def _results(defect: str | None, requirements: Sequence[str], report_dir: Path, returncode: int,
             log: str) -> DefectRun:
    results_path = report_dir / "results.json"
    results = load_results(results_path) if results_path.exists() else None
    return DefectRun(defect or "clean", list(requirements), results, returncode, log)


Work = tuple[str | None, list[str]]


class _Worker:
    """One kill-matrix worker process (conformance/campaign/killworker.py) and its pipes."""

    def __init__(self, config: WorkerConfig, log_path: Path) -> None:
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("w", encoding="utf-8")
        env = {**os.environ, "PYTEST_ADDOPTS": "", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from conformance.campaign.killworker import main; main()",
             json.dumps(asdict(config))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env,
        )
        self._read()  # the worker's processes are up

    def _read(self) -> JobDone:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        for line in stdout:
            if line.startswith(MARKER):
                return JobDone(**json.loads(line[len(MARKER):]))
        raise RuntimeError(self._stopped())

    def run(self, job: Job, timeout: float = RUN_TIMEOUT) -> JobDone:
        stdin = self.process.stdin
        assert stdin is not None
        # A run that hangs ends its worker (as a fresh run's subprocess would be ended): no answer, a new worker.
        watchdog = threading.Timer(timeout, self.process.kill)
        watchdog.start()
        try:
            stdin.write(json.dumps(asdict(job)) + "\n")
            stdin.flush()
            return self._read()
        except BrokenPipeError:
            raise RuntimeError(self._stopped()) from None
        finally:
            watchdog.cancel()

    def _stopped(self) -> str:
        return f"the kill-matrix worker stopped (exit {self.process.wait()}):\n{self._tail()}"

    def _tail(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def close(self) -> JobDone | None:
        """End the worker; its last answer, the whole channel journal's verification (None if it gave none)."""
        last: JobDone | None = None
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()  # end of jobs: the worker verifies its journal, stops its processes, exits
            with contextlib.suppress(RuntimeError):
                last = self._read()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        return last


def scenario_runs(defect: str | None, requirements: Sequence[str]) -> int:
    """How many scenarios the run takes: every one for the clean run, else those of its requirements' selection
    the defect shows in (conformance/campaign/revealing.py)."""
    # Start-up time: the scenario library (a second to import) is loaded while the workers' processes start.
    from conformance.scenarios.library import load_scenarios, scenarios_for

    if defect is None:
        return len(load_scenarios())
    chosen = revealing_scenarios(defect)
    return len([cls for cls in scenarios_for(requirements) if chosen is None or cls.name in chosen])


def run_order(work: Sequence[Work]) -> list[int]:
    """The indices of `work` in the order the workers take them: the clean run first (every check, the longest),
    then the defect runs by falling number of scenarios (equal ones in the catalogue's order). The short runs come
    last, so that at the end no worker waits long for the other's last run."""

    def scenarios(index: int) -> float:
        defect, requirements = work[index]
        return math.inf if defect is None else scenario_runs(defect, requirements)

    return sorted(range(len(work)), key=scenarios, reverse=True)  # a stable sort, reversed or not


def _run_reusing(options: RunOptions, work: list[Work], base: Path, jobs: int) -> tuple[list[DefectRun], list[str]]:
    """The runs on `jobs` workers, each reusing one channel server and one reference CMS; and what the workers' full
    verifications of their channel journals, once their runs were done, found wrong."""
    journal_problems: list[str] = []
    pending: queue.Queue[tuple[int, Work]] = queue.Queue()
    ordered = threading.Event()
    done: dict[int, DefectRun] = {}
    lock = threading.Lock()

    def new_worker(number: int) -> _Worker:
        return _Worker(WorkerConfig.of(options, base / "workers" / str(number)), base / "workers" / f"{number}.log")

    def slot(number: int) -> None:
        worker: _Worker | None = None
        try:
            # Started before the runs are ordered; one that fails to start is started again for its first run,
            # which then reports the failure.
            with contextlib.suppress(RuntimeError):
                worker = new_worker(number)
            ordered.wait()
            while True:
                try:
                    index, (defect, requirements) = pending.get_nowait()
                except queue.Empty:
                    return
                report_dir = base / (defect or "clean")
                shutil.rmtree(report_dir, ignore_errors=True)
                began = time.monotonic()
                try:
                    if worker is None:
                        worker = new_worker(number)
                    answer = worker.run(Job(defect, requirements, str(report_dir)))
                    run = _results(defect, requirements, report_dir, answer.returncode, answer.log)
                except RuntimeError as exc:  # the worker died: this run has no results, the next gets a new one
                    run = DefectRun(defect or "clean", list(requirements), None, 2, str(exc)[-4000:])
                    if worker is not None:
                        worker.close()
                    worker = None
                run.seconds = time.monotonic() - began
                with lock:
                    done[index] = run
        finally:
            if worker is not None:
                journal = worker.close()
                if journal is None or journal.returncode != 0:
                    with lock:
                        journal_problems.append(f"worker {number}: the channel journal failed its full verification: "
                                                f"{journal.log if journal is not None else 'no answer'}")

    threads = [threading.Thread(target=slot, args=(n,), name=f"kill-matrix-{n}") for n in range(min(jobs, len(work)))]
    for thread in threads:
        thread.start()
    try:
        for index in run_order(work):
            pending.put((index, work[index]))
    finally:
        ordered.set()  # also when the ordering failed: the workers then find no run and stop
    for thread in threads:
        thread.join()
    return [done[index] for index in range(len(work))], journal_problems


def run_kill_matrix(
    options: RunOptions,
    *,
    jobs: int = 2,
    echo: Callable[[str], None] = print,
    quiet: bool = False,
    defects: Sequence[str] | None = None,
    include_clean: bool = True,
    fresh: bool = False,
) -> KillMatrixOutcome:
    """Run the defects (all, or `options.defects`, or `defects`) and the clean CMS; write results.json.

    `fresh`: every run in its own `spoc-harness run` subprocess instead of on reused processes."""
    names = list(defects or options.defects or DEFECTS)
    report_dir = options.report_dir or Path("reports-out")
    base = report_dir / "kill-matrix"
    base.mkdir(parents=True, exist_ok=True)
    work: list[Work] = [(name, list(DEFECTS[name].requirements)) for name in names]
    if include_clean:
        work.insert(0, (None, []))
    journal_problems: list[str] = []
    if fresh or options.time_mode == "real":
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            runs = list(pool.map(lambda job: _run_one(options, job[0], job[1], base), work))
    else:
        runs, journal_problems = _run_reusing(options, work, base, jobs)
    for problem in journal_problems:
        echo(problem)
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
    outcome = KillMatrixOutcome(rows, clean, runs, journal_problems)
    if clean is not None:
        clean.kill_matrix = rows
        write_report_files(clean, report_dir)
        echo(render_summary(clean, report_paths={"results.json": str(report_dir / "results.json"),
                                                 "kill-matrix runs": str(base)}))
    else:
        echo("the clean reference run produced no results")
    return outcome
