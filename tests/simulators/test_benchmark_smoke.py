"""The throughput benchmark runs end to end in its quick mode (the figures themselves are not judged here)."""

from __future__ import annotations

import functools
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "channel_throughput.py"


@functools.cache
def _benchmark_module() -> ModuleType:
    """The script as a module (it is no package's): registered first, as its dataclasses need."""
    spec = importlib.util.spec_from_file_location("channel_throughput", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# What wrk 4.1 prints with --latency (captured from a run against the bare endpoint).
_WRK_REPORT = """Running 1s test @ http://127.0.0.1:8793
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   211.27us   21.75us   0.92ms   98.89%
    Req/Sec    19.01k   215.22    19.29k    63.64%
  Latency Distribution
     50%  209.00us
     75%  213.00us
     90%  218.00us
     99%    1.33ms
  20801 requests in 1.10s, 20.71MB read
Requests/sec:  18915.35
Transfer/sec:     18.83MB
"""


def test_wrk_report_gives_the_count_the_time_and_the_percentiles() -> None:
    burst = _benchmark_module().parse_wrk(_WRK_REPORT, "", 0)
    assert (burst.count, burst.seconds) == (20801, pytest.approx(1.10))
    assert (burst.p50_ms, burst.p99_ms) == (pytest.approx(0.209), pytest.approx(1.33))


@pytest.mark.parametrize(("line", "reason"), [
    ("  Non-2xx or 3xx responses: 4343\n", "Non-2xx or 3xx responses: 4343"),
    ("  Socket errors: connect 0, read 2, write 0, timeout 0\n", "Socket errors: connect 0, read 2"),
])
def test_a_failed_send_fails_the_measurement(line: str, reason: str) -> None:
    report = _WRK_REPORT.replace("Requests/sec:", line + "Requests/sec:")
    with pytest.raises(RuntimeError, match=reason):
        _benchmark_module().parse_wrk(report, "", 0)


def test_wrk_that_could_not_run_is_reported_with_its_message() -> None:
    with pytest.raises(RuntimeError, match=r"exit 1.*Connection refused"):
        _benchmark_module().parse_wrk("", "unable to connect to 127.0.0.1:8793 Connection refused", 1)


def _load_generators() -> list[object]:
    wrk_missing = shutil.which("wrk") is None
    return ["python", pytest.param("wrk", marks=pytest.mark.skipif(wrk_missing, reason="wrk is not on PATH"))]


@pytest.mark.slow
@pytest.mark.parametrize("generator", _load_generators())
def test_quick_benchmark_reports_every_figure(tmp_path: Path, generator: str) -> None:
    out = tmp_path / "figures.json"
    sizing = ["--seconds", "1"] if generator == "wrk" else ["--messages", "300"]
    run = subprocess.run([sys.executable, str(SCRIPT), "--load-generator", generator, *sizing, "--warmup", "50",
                          "--rounds", "1", "--concurrency", "8,16", "--memory-messages", "800", "--chunk", "200",
                          "--json", str(out)], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ratio (send + pull delivery, peak against peak)" in run.stdout
    assert f"load generator: {'wrk' if generator == 'wrk' else 'Python'}" in run.stdout
    figures = json.loads(out.read_text())
    assert figures["load_generator"] == generator
    for name in ("bare", "pull", "push"):
        assert figures[name]["per_second"] > 0
        assert figures[name]["p99_ms"] >= figures[name]["p50_ms"] > 0
        assert figures[name]["server_cores"] > 0
        # The peak is the best of the levels measured, and says at which level it was reached.
        levels = figures["by_concurrency"]
        assert set(levels) == {"8", "16"}
        assert figures[name]["per_second"] == max(levels[level][name]["per_second"] for level in levels)
        assert str(figures[name]["concurrency"]) in levels
    assert figures["ratio"] == figures["pull"]["per_second"] / figures["bare"]["per_second"]
    assert set(figures["ratio_same_concurrency"]) == {"8", "16"}
    assert len(figures["ratio_by_round"]) == 1
    journaled = figures["memory"]["messages_journaled"]
    assert journaled == 800 if generator == "python" else journaled > 800
    assert figures["journal"]["ok"] is True
    # Each message is one journal entry; the acknowledgements one entry per acknowledging request,
    # which the recipient makes for a page of deliveries at a time. (wrk's sends still in flight
    # when it stops are journaled and delivered too, beyond the count of 201s it reports.)
    assert journaled < figures["journal"]["entries"] < 2 * journaled
