"""How fast `make run` is once .venv exists: whole `spoc-harness run --sut reference` runs, wall and CPU.

Each run is the command `make run` starts, in a fresh process, with its reports written to a temporary
directory; its wall time is measured from the start of the process to its exit, its CPU time is the
process's own and its children's (the channel server, the reference CMS and the drawing process, each
waited for before the command exits). Beside them it prints the campaign's own wall time, read from the
run's results.json (`settings.campaign_wall_clock_seconds`): the difference is what the command spends
around the campaign (start-up, imports, collecting the checks, the checks, the reports, the stop).
The target is 6 s wall (median). The load average is printed with every run: on a shared machine compare
two versions back to back (`--against`), never with older figures.

    .venv/bin/python benchmarks/run_speed.py [--runs 5] [--target 6] [--json]
    .venv/bin/python benchmarks/run_speed.py --against /tmp/base [--runs 5]

`--against DIR` runs the checkout in DIR (e.g. `git worktree add /tmp/base main`) and this one in turn,
alternating which goes first, and prints both medians and their ratios (wall and CPU).

Exit code 1 when the median wall time of this checkout's runs is above the target or a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunFigures:
    side: str
    wall_seconds: float
    cpu_seconds: float
    campaign_wall_seconds: float
    exit_code: int
    load_average: float


def _one_run(tree: Path, report_dir: Path, side: str) -> RunFigures:
    """One `spoc-harness run --sut reference --quiet` with the code of `tree`, as `make run` starts it."""
    command = [sys.executable, "-c", "from conformance.cli import main; main()", "run", "--sut", "reference",
               "--report-dir", str(report_dir), "--quiet"]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4: the command's own CPU time and that of the children it waited for (network, drawing process).
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    campaign = 0.0
    results = report_dir / "results.json"
    if results.is_file():
        settings = json.loads(results.read_text(encoding="utf-8")).get("settings", {})
        campaign = float(settings.get("campaign_wall_clock_seconds", 0.0))
    return RunFigures(side=side, wall_seconds=round(wall, 3), cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3),
                      campaign_wall_seconds=campaign, exit_code=process.returncode,
                      load_average=round(os.getloadavg()[0], 2))


def _median(rows: list[RunFigures], field: str) -> float:
    return float(statistics.median(float(getattr(row, field)) for row in rows))


def _summary(side: str, rows: list[RunFigures]) -> str:
    wall, cpu, campaign = (_median(rows, f) for f in ("wall_seconds", "cpu_seconds", "campaign_wall_seconds"))
    around = statistics.median(row.wall_seconds - row.campaign_wall_seconds for row in rows)  # of each run's
    return (f"{side:<8} median of {len(rows)}: {wall:6.2f} s wall, {cpu:6.2f} s CPU; campaign {campaign:5.2f} s wall, "
            f"around it {around:5.2f} s (min wall {min(r.wall_seconds for r in rows):.2f} s, "
            f"max {max(r.wall_seconds for r in rows):.2f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target", type=float, default=6.0, help="wall-clock seconds a whole run may take (median)")
    parser.add_argument("--against", type=Path, help="a checkout to run in turn with this one (see above)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    args = parser.parse_args(argv)
    trees = {"this": HERE} | ({"baseline": args.against.resolve()} if args.against is not None else {})
    rows: dict[str, list[RunFigures]] = {side: [] for side in trees}
    with tempfile.TemporaryDirectory(prefix="run-speed-") as tmp:
        for number in range(args.runs):
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for side in order:
                row = _one_run(trees[side], Path(tmp) / side, side)
                rows[side].append(row)
                if args.json:
                    print(json.dumps({"run": number + 1, **asdict(row)}), flush=True)
                else:
                    print(f"run {number + 1} {side:<8} {row.wall_seconds:6.2f} s wall {row.cpu_seconds:6.2f} s CPU, "
                          f"campaign {row.campaign_wall_seconds:5.2f} s, exit {row.exit_code}, "
                          f"load average {row.load_average:.2f}", flush=True)
    for side, side_rows in rows.items():
        print(_summary(side, side_rows))
    if "baseline" in rows:
        for field in ("wall_seconds", "cpu_seconds"):
            ratio = _median(rows["this"], field) / _median(rows["baseline"], field)
            print(f"ratio this/baseline, {field.removesuffix('_seconds')}: {ratio:.2f}")
        around = [statistics.median(r.wall_seconds - r.campaign_wall_seconds for r in rows[side])
                  for side in ("this", "baseline")]
        print(f"ratio this/baseline, wall around the campaign: {around[0] / around[1]:.2f}")
    failed = any(row.exit_code != 0 or row.campaign_wall_seconds == 0.0 for row in rows["this"])
    return 1 if failed or _median(rows["this"], "wall_seconds") > args.target else 0


if __name__ == "__main__":
    sys.exit(main())
