"""How fast the kill matrix runs: on fresh processes per run against reused ones, with 1 and 2 jobs.

Runs the kill matrix (`run_kill_matrix`, as `spoc-harness run --kill-matrix --jobs N` does) for every combination of
`--modes` and `--jobs`, back to back in one invocation, and prints for each the wall-clock time, the CPU seconds
used (harness, workers, simulators and CMSs together: every process it started, once they have ended), the scenario
runs over the matrix, whether every defect was killed and the clean run was conformant, and, per job count, the
ratio fresh / reused. "fresh" starts a `spoc-harness run` subprocess, with its own simulators and reference CMS, per
run (the kill matrix before the reuse); "reused" runs defect after defect on one channel server and one reference
CMS per job, renewed between runs (a defect run writes results.json alone; the clean run writes every report). The
target is the whole matrix (every named defect plus the clean run) in at most 120 s with 2 jobs on a 2-core machine.

Beside the wall time it prints the CPU seconds per run and the CPU floor, the CPU seconds divided by the
cores: the wall time the matrix could not beat on this machine with every core its own. On a machine busier
than its cores before it began (load average above the core count), the wall time says more about
the others than about the matrix: the full matrix is then not judged against the target, and the CPU figures
are the ones to compare.

`--defects N` takes the first N named defects only (a sample; the clean run is always included), so a
comparison of both modes costs minutes, not a quarter of an hour. The machine's load average is printed
before and after each measurement: on a shared machine quote the ratios measured in the same invocation,
not absolute figures from different times.

    .venv/bin/python benchmarks/kill_matrix_speed.py [--defects N|all] [--jobs 1,2] [--modes fresh,reused]
        [--target 120] [--json]

Exit code 1 when a measured matrix missed a defect, the clean run was not conformant, or a full reused
matrix with 2 jobs, measured on a machine no busier than its cores, took longer than the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from conformance.campaign.killmatrix import run_kill_matrix, scenario_runs
from conformance.campaign.run_options import RunOptions
from simulators.reference_cms.defects import DEFECTS


@dataclass
class Measurement:
    mode: str
    jobs: int
    runs: int
    wall_seconds: float
    cpu_seconds: float
    ok: bool
    not_killed: list[str]
    load_before: float
    load_after: float
    cpu_per_run: float = 0.0
    cpu_floor_seconds: float = 0.0  # CPU seconds / cores: the least wall time on this machine
    scenario_runs: int = 0  # scenarios run over the matrix: every one in the clean run, the revealing ones per defect


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # every descendant waited for, recursively
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(mode: str, jobs: int, defects: list[str], work: Path) -> Measurement:
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    began = time.monotonic()
    outcome = run_kill_matrix(RunOptions(report_dir=work / f"{mode}-{jobs}"), jobs=jobs, quiet=True,
                              echo=lambda _: None, defects=defects, fresh=mode == "fresh")
    wall = time.monotonic() - began
    cpu = _cpu_seconds() - cpu_before
    return Measurement(mode=mode, jobs=jobs, runs=len(outcome.runs), wall_seconds=round(wall, 2),
                       cpu_seconds=round(cpu, 2), ok=outcome.ok,
                       not_killed=[row.defect for row in outcome.rows if not row.killed],
                       load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2),
                       cpu_per_run=round(cpu / max(len(outcome.runs), 1), 2),
                       cpu_floor_seconds=round(cpu / (os.cpu_count() or 1), 1),
                       scenario_runs=scenario_runs(None, []) + sum(
                           scenario_runs(name, DEFECTS[name].requirements) for name in defects))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--defects", default="all", help="'all' or the number of named defects to take (the first N)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated job counts")
    parser.add_argument("--modes", default="fresh,reused", help="comma-separated: fresh, reused")
    parser.add_argument("--target", type=float, default=120.0, help="wall seconds for the full matrix, reused, 2 jobs")
    parser.add_argument("--json", action="store_true", help="print one JSON object per measurement")
    args = parser.parse_args(argv)
    names = list(DEFECTS)
    if args.defects != "all":
        names = names[: int(args.defects)]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"fresh", "reused"}:
        parser.error("--modes takes fresh and reused")
    job_counts = [int(j) for j in args.jobs.split(",") if j.strip()]
    print(f"kill matrix: {len(names)} of {len(DEFECTS)} defects + the clean run, on {os.cpu_count()} cores",
          file=sys.stderr)
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="spoc-kill-bench-") as tmp:
        for jobs in job_counts:
            for mode in modes:
                measured = _measure(mode, jobs, names, Path(tmp))
                results.append(measured)
                if args.json:
                    print(json.dumps(asdict(measured)))
                else:
                    verdict = "all killed, clean conformant" if measured.ok else "NOT OK"
                    print(f"{mode:>6} jobs={jobs}: {measured.wall_seconds:7.1f} s wall, "
                          f"{measured.cpu_seconds:7.1f} s CPU for {measured.runs} runs "
                          f"({measured.scenario_runs} scenario runs) "
                          f"({measured.cpu_per_run:.2f} s a run; CPU floor {measured.cpu_floor_seconds:.1f} s wall); "
                          f"{verdict} (load {measured.load_before:.2f} -> {measured.load_after:.2f})")
    ok = all(m.ok for m in results)
    for jobs in job_counts:
        by_mode = {m.mode: m for m in results if m.jobs == jobs}
        if "fresh" in by_mode and "reused" in by_mode:
            fresh, reused = by_mode["fresh"], by_mode["reused"]
            print(f"jobs={jobs}: fresh / reused = {fresh.wall_seconds / reused.wall_seconds:.2f} wall, "
                  f"{fresh.cpu_seconds / reused.cpu_seconds:.2f} CPU")
    for measured in results:
        if measured.not_killed:
            print(f"{measured.mode} jobs={measured.jobs}: not killed: {', '.join(measured.not_killed)}")
    full = [m for m in results if m.mode == "reused" and m.jobs == 2 and len(names) == len(DEFECTS)]
    cores = os.cpu_count() or 1
    # The load before the matrix: during it, the matrix's own processes count too.
    if full and full[0].load_before > cores:
        print(f"the full matrix is not judged against the target {args.target:g} s: the machine was busier than its "
              f"{cores} cores before it began (load {full[0].load_before:.2f}); its CPU floor is "
              f"{full[0].cpu_floor_seconds:.1f} s")
    elif full and full[0].wall_seconds > args.target:
        print(f"the full matrix took {full[0].wall_seconds:.1f} s with 2 jobs, more than the target {args.target:g} s")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
