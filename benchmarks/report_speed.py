"""What the report's pictures cost: report.html written with and without them, in the same run.

Reads a results.json (by default the one `make run` wrote), then renders report.html N times without
pictures (the baseline) and N times with them (article matrix, deadline margins, one timeline per
exchange a failed or warned instance names), and prints the median of each, the ratio and the
time added; then the same once each in a fresh interpreter, where importing matplotlib is paid too.
Also prints the page's size with pictures, and what writing each report format costs.

`--against DIR` instead times whole runs, as `make run` makes them (`spoc-harness run --sut reference`,
once `.venv` exists): this checkout's against the one in DIR (e.g. `git worktree add /tmp/base main`), run
in turn, `--runs` of each, and prints the medians, their ratio, the load average and the sizes of
results.json, junit.xml and report.html. On a busy machine the ratio is the figure to compare, since both
sides see the same load.

    .venv/bin/python benchmarks/report_speed.py [reports-out/results.json] [--runs 5]
    .venv/bin/python benchmarks/report_speed.py --against /tmp/base [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reports.formats import REPORT_FORMATS
from reports.html import render_html
from reports.results import load_results

HERE = Path(__file__).resolve().parents[1]
_REPORTS = ("results.json", "junit.xml", "report.html")

_COLD = """
import sys, time
from pathlib import Path
from reports.results import load_results
results = load_results(Path(sys.argv[1]))
began = time.perf_counter()
from reports.html import render_html
render_html(results, pictures=sys.argv[2] == "1")
print(time.perf_counter() - began)
"""


def _median_seconds(results_path: Path, pictures: bool, runs: int) -> tuple[float, int]:
    results = load_results(results_path)
    times, size = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        size = len(render_html(results, pictures=pictures).encode("utf-8"))
        times.append(time.perf_counter() - began)
    return statistics.median(times), size


def _cold_seconds(results_path: Path, pictures: bool) -> float:
    done = subprocess.run([sys.executable, "-c", _COLD, str(results_path), "1" if pictures else "0"],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _whole_run(tree: Path, report_dir: Path) -> float:
    """Wall seconds of one `spoc-harness run --sut reference` with the code of `tree`, from its start-up on."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", "run", "--sut", "reference",
                    "--report-dir", str(report_dir), "--quiet"], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                   capture_output=True, check=False)
    return time.perf_counter() - began


def _sizes(report_dir: Path) -> str:
    return ", ".join(f"{name} {(report_dir / name).stat().st_size / 1e6:.2f} MB" for name in _REPORTS
                     if (report_dir / name).is_file())


def compare_runs(baseline: Path, runs: int) -> None:
    """This checkout's whole runs against the baseline's, in turn; medians, ratio and report sizes."""
    times: dict[str, list[float]] = {"baseline": [], "this": []}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="report-speed-") as tmp:
        dirs = {"baseline": Path(tmp) / "baseline", "this": Path(tmp) / "this"}
        trees = {"baseline": baseline.resolve(), "this": HERE}
        for number in range(runs):
            for side in ("baseline", "this") if number % 2 == 0 else ("this", "baseline"):
                times[side].append(_whole_run(trees[side], dirs[side]))
                loads.append(os.getloadavg()[0])
                print(f"run {number + 1} {side:<8} {times[side][-1]:6.2f} s   load average {loads[-1]:.2f}")
        base, this = statistics.median(times["baseline"]), statistics.median(times["this"])
        print(f"whole run   baseline {base:6.2f} s   this {this:6.2f} s   ratio {this / base:5.2f}   "
              f"(median of {runs} each; load average {min(loads):.2f}-{max(loads):.2f})")
        for side in ("baseline", "this"):
            print(f"reports     {side:<8} {_sizes(dirs[side])}")


def time_formats(results_path: Path) -> None:
    """What writing each report format costs from a loaded results.json (pictures drawn in this process)."""
    results = load_results(results_path)
    with tempfile.TemporaryDirectory(prefix="report-speed-") as tmp:
        for report_format in REPORT_FORMATS:
            began = time.perf_counter()
            report_format.write(results, Path(tmp) / report_format.filename)
            took = time.perf_counter() - began
            size = (Path(tmp) / report_format.filename).stat().st_size
            print(f"format {report_format.filename:<14} {took * 1000:7.0f} ms   {size / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=Path("reports-out/results.json"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="a checkout to time whole runs against (see above)")
    args = parser.parse_args()
    if args.against is not None:
        compare_runs(args.against, args.runs)
        return
    if not args.results.is_file():
        sys.exit(f"{args.results}: no such results.json (run `make run` first, or give one)")
    results = load_results(args.results)
    plotted = sum(1 for check in results.checks for finding in check.instances
                  if finding.outcome.value in ("failed", "warning", "accepted_deviation"))
    print(f"{args.results}: {len(results.checks)} checks, {len(results.timelines)} timelines, "
          f"{plotted} failed/warned instances")
    _median_seconds(args.results, True, 1)  # warm: matplotlib and the template loaded once
    base, base_size = _median_seconds(args.results, False, args.runs)
    with_pictures, size = _median_seconds(args.results, True, args.runs)
    print(f"warm   baseline {base * 1000:7.0f} ms   with pictures {with_pictures * 1000:7.0f} ms   "
          f"ratio {with_pictures / base:5.2f}   added {(with_pictures - base) * 1000:6.0f} ms")
    cold_base, cold = _cold_seconds(args.results, False), _cold_seconds(args.results, True)
    print(f"cold   baseline {cold_base * 1000:7.0f} ms   with pictures {cold * 1000:7.0f} ms   "
          f"ratio {cold / cold_base:5.2f}   added {(cold - cold_base) * 1000:6.0f} ms")
    print(f"size   {size / 1e6:.2f} MB with pictures ({(size - base_size) / 1e3:.0f} kB of them)")
    time_formats(args.results)


if __name__ == "__main__":
    main()
