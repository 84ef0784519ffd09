"""The throughput benchmark runs end to end in its quick mode (the figures themselves are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "channel_throughput.py"


@pytest.mark.slow
def test_quick_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(SCRIPT), "--messages", "300", "--warmup", "50", "--rounds", "1",
                          "--concurrency", "8,16", "--memory-messages", "800", "--chunk", "200", "--json", str(out)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ratio (send + pull delivery, peak against peak)" in run.stdout
    figures = json.loads(out.read_text())
    for name in ("bare", "pull", "push"):
        assert figures[name]["per_second"] > 0
        assert figures[name]["p99_ms"] >= figures[name]["p50_ms"]
        # The peak is the best of the levels measured, and says at which level it was reached.
        levels = figures["by_concurrency"]
        assert set(levels) == {"8", "16"}
        assert figures[name]["per_second"] == max(levels[level][name]["per_second"] for level in levels)
        assert str(figures[name]["concurrency"]) in levels
    assert figures["ratio"] == figures["pull"]["per_second"] / figures["bare"]["per_second"]
    assert set(figures["ratio_same_concurrency"]) == {"8", "16"}
    assert figures["memory"]["messages_journaled"] == 800
    assert figures["journal"]["ok"] is True
    # Each message is one journal entry; the acknowledgements one entry per acknowledging request,
    # which the recipient makes for a page of deliveries at a time.
    assert 800 < figures["journal"]["entries"] < 2 * 800
