"""What the report's pictures cost: report.html written with and without them, in the same run.

Reads a results.json (by default the one `make run` wrote), then renders report.html N times without
pictures (the baseline) and N times with them (article matrix, deadline margins, one timeline per
exchange a failed or warned instance names), and prints the median of each, the ratio and the
time added; then the same once each in a fresh interpreter, where importing matplotlib is paid too.
Also prints the page's size with pictures.

    .venv/bin/python benchmarks/report_speed.py [reports-out/results.json] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from reports.html import render_html
from reports.results import load_results

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=Path("reports-out/results.json"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
