"""A kill-matrix worker: one channel server and one reference CMS, campaign after campaign.

Started by the kill matrix (conformance/campaign/killmatrix.py), one per job slot, as
`python -c "from conformance.campaign.killworker import main; main()" CONFIG` with CONFIG the JSON of
`WorkerConfig`. It starts the pair of processes once, then reads one `Job` per line on stdin. Before each
job it renews the pair (`started.renew`: the network reset with its clock back at its start, the CMS
restarted in place with the job's defect on an empty store), runs the campaign in this process exactly as
`spoc-harness run --sut reference --defect NAME --profile REQS` would (the same options, the same checks) and
answers with one `MARKER` line on stdout; when stdin ends, one more, the whole channel journal's verification
(`JobDone.returncode` 0 when sound). A defect run writes results.json alone into the job's report
directory (the matrix reads nothing else of it: no report page, JUnit or evidence bundle per defect); the clean
run writes every report, as `spoc-harness run` does. Anything
else a check or a library prints on stdout is passed over by the parent.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from conformance.campaign.conformance_run import ConformanceRun
from conformance.campaign.processes import started
from conformance.campaign.revealing import revealing_scenarios
from conformance.campaign.run_options import RunOptions
from conformance.campaign.runner import Endpoints
from conformance.campaign.session import run_session
from conformance.settings import CampaignSettings

__all__ = ["MARKER", "Job", "JobDone", "WorkerConfig", "defect_options", "main"]

MARKER = "kill-matrix-worker:"


@dataclass(frozen=True)
class WorkerConfig:
    """The options every job of the matrix shares, and where the worker keeps its processes' data."""

    work_dir: str
    time_mode: str = "virtual"
    deadline_reading: str = "elapsed"
    seed: int | None = None
    real_wait: float | None = None
    signing_key: str | None = None
    siena_obligation_date: str | None = None  # the clean run's; defect runs use the campaign's start

    @classmethod
    def of(cls, options: RunOptions, work_dir: Path) -> WorkerConfig:
        return cls(work_dir=str(work_dir), time_mode=options.time_mode, deadline_reading=options.deadline_reading,
                   seed=options.seed, real_wait=options.real_wait,
                   signing_key=str(options.signing_key) if options.signing_key else None,
                   siena_obligation_date=options.siena_obligation_date.isoformat()
                   if options.siena_obligation_date else None)

    def options(self) -> RunOptions:
        return RunOptions(
            time_mode=self.time_mode, deadline_reading=self.deadline_reading, seed=self.seed,
            real_wait=self.real_wait, signing_key=Path(self.signing_key) if self.signing_key else None,
            siena_obligation_date=date.fromisoformat(self.siena_obligation_date)
            if self.siena_obligation_date else None,
        )


@dataclass(frozen=True)
class Job:
    defect: str | None  # None: the clean reference CMS
    requirements: list[str]
    report_dir: str


@dataclass(frozen=True)
class JobDone:
    defect: str | None
    returncode: int  # as `spoc-harness run` exits: 0 conformant, 1 not, 2 the run could not be made
    log: str = ""
    renew_seconds: float = 0.0  # wall time to renew the processes before the run
    run_seconds: float = 0.0  # wall time of the run (campaign, checks, reports)


def defect_options(base: RunOptions, defect: str | None, requirements: list[str], report_dir: Path) -> RunOptions:
    """The options `spoc-harness run` builds from `killmatrix.defect_command`'s command line."""
    siena = base.siena_obligation_date
    if defect is not None:
        # Art 13 SIENA obligations apply from the campaign's start in a defect run (module docstring of killmatrix).
        siena = CampaignSettings().start_local.date()
    return RunOptions(
        sut="reference", defects=[defect] if defect else [], profile=",".join(requirements) if requirements else "all",
        scenarios=revealing_scenarios(defect),
        time_mode=base.time_mode, deadline_reading=base.deadline_reading, seed=base.seed, report_dir=report_dir,
        siena_obligation_date=siena, work_dir=report_dir / "run-data", real_wait=base.real_wait,
        signing_key=base.signing_key,
    )


def _answer(done: JobDone) -> None:
    sys.stdout.write(MARKER + json.dumps(asdict(done)) + "\n")
    sys.stdout.flush()


def _run_job(network: Any, base: RunOptions, job: Job) -> JobDone:
    began = time.monotonic()
    network.renew([job.defect] if job.defect else [])
    renewed = time.monotonic()
    report_dir = Path(job.report_dir)
    options = defect_options(base, job.defect, job.requirements, report_dir)
    simulators, cms = network.simulators, network.cms
    endpoints = Endpoints(simulators.url, simulators.control_token, cms.url, cms.sut_token)
    # What the run prints is its log, as a fresh `spoc-harness run --quiet` subprocess's output is (the summary
    # with its verdict line): a reader of the matrix sees the same text whichever way the run was made.
    printed: list[str] = []
    outcome = run_session(options, quiet=True, echo=printed.append, write=True, endpoints=endpoints,
                          results_only=job.defect is not None)
    return JobDone(job.defect, outcome.exit_code, "\n".join(printed), renew_seconds=round(renewed - began, 3),
                   run_seconds=round(time.monotonic() - renewed, 3))


def main() -> None:
    config = WorkerConfig(**json.loads(sys.argv[1]))
    base = config.options()
    settings = ConformanceRun(base).settings
    network = started(Path(config.work_dir), state=settings.sut_state, start=settings.start_utc, keep=True,
                      sut_token=secrets.token_urlsafe(24), reusable=True)
    with network:
        _answer(JobDone(None, 0, "ready"))
        for line in sys.stdin:
            if not line.strip():
                continue
            job = Job(**json.loads(line))
            try:
                done = _run_job(network, base, job)
            except Exception:
                text = traceback.format_exc()
                sys.stderr.write(text)
                done = JobDone(job.defect, 2, text[-4000:])
            _answer(done)
        _answer(_whole_journal(network))


def _whole_journal(network: Any) -> JobDone:
    """The last answer, once stdin ends: the channel journal verified in full, every run's segment. A defect run
    verifies only the entries since the run before it (`ConformanceRun.journal_since_verified`); an entry of an
    earlier segment edited since is seen here."""
    try:
        found = network.simulators.verify_journal()
    except Exception:
        return JobDone(None, 2, traceback.format_exc()[-4000:])
    return JobDone(None, 0 if found.get("ok") is True else 1, json.dumps(found))
