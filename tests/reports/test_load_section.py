"""The load section of results.json and report.html: a load run included with `run --load-results`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.commands.run import run
from reports.html import render_html
from reports.load_run import LoadResultsError, load_run_from_file
from reports.plots import load_margin_svg, load_throughput_svg
from reports.results import RunResults


def load_results_document(*, late: int = 0, states: bool = False) -> dict[str, Any]:
    """A load-results.json as `spoc-harness load` writes it (the fields the section reads)."""
    margins = [{"network_hours": 0.5 * n, "request_class": "urgent-direct", "margin_hours": 7.5 - 0.1 * n}
               for n in range(10)]
    margins += [{"network_hours": 6.0 + n, "request_class": "urgent-direct", "margin_hours": -2.0 - n}
                for n in range(late)]
    return {
        "tool": "spoc-harness load", "sut": "eu" if states else "reference", "state": "EU" if states else "AT",
        "defects": ["late-urgent-reply"] if late else [], "profile": None, "users": 30, "workers": 0,
        "duration_seconds": 10.0, "speed": 600.0, "offered_exchanges_per_second": 12.5,
        "achieved_exchanges_per_second": 12.0, "requests": 10 + late, "lost": 0, "duplicated": 0, "late": late,
        "open": 0, "errors": 0, "journal_chain": {"ok": True, "detail": ""},
        "verdict": "FAIL" if late else "PASS",
        "reasons": [f"{late} late"] if late else ["nothing lost or duplicated, every deadline met"],
        "deadlines": {"urgent-direct": {"met": 10, "late": late, "open": 0, "recorded": 0, "margin_hours_min": 6.6,
                                        "basis": "Art 5(1)(a)", "locust_events": {"events": 10, "failures": 0}}},
        "states": {"AT": {"sent": 6, "received": 5, "acknowledged": 5, "answered": 5, "met": 5, "late": 0,
                          "lost": 0, "duplicated": 0, "open": 0,
                          "answer_network_seconds": {"p50": 1900.0, "p95": 2100.0, "p99": 2100.0, "count": 5}},
                   "BE": {"sent": 4, "received": 5 + late, "acknowledged": 5, "answered": 5 + late, "met": 5,
                          "late": late, "lost": 0, "duplicated": 0, "open": 0,
                          "answer_network_seconds": {"p50": 1950.0, "p95": 2200.0, "p99": 2200.0, "count": 5}},
                   } if states else {},
        "series": {"throughput": [{"second": float(s), "accepted": 12.0, "answered": 11.0 if s else 0.0}
                                  for s in range(10)],
                   "margins": margins, "margins_binned": False},
    }


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "load-results.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_a_load_run_is_read_with_its_series_and_per_state_figures(tmp_path: Path) -> None:
    section = load_run_from_file(_write(tmp_path, load_results_document(late=2, states=True)))
    assert (section.verdict, section.late, section.lost) == ("FAIL", 2, 0)
    assert len(section.throughput) == 10
    assert len(section.margins) == 12
    assert section.states["BE"].late == 2
    assert section.states["AT"].answer_p50_network_seconds == 1900.0


def test_a_file_that_is_not_a_load_run_is_refused_saying_which(tmp_path: Path) -> None:
    other = tmp_path / "results.json"
    other.write_text(json.dumps({"verdict": "conformant"}), encoding="utf-8")
    with pytest.raises(LoadResultsError, match=r"not the load-results\.json of `spoc-harness load`"):
        load_run_from_file(other)
    outcome = CliRunner().invoke(run, ["--load-results", str(other), "--report-dir", str(tmp_path / "out")])
    assert outcome.exit_code == 2
    assert "--load-results" in outcome.output


def test_the_plots_show_throughput_and_the_late_answers_below_the_limit(tmp_path: Path) -> None:
    late = load_run_from_file(_write(tmp_path, load_results_document(late=3)))
    throughput = load_throughput_svg(late)
    margin = load_margin_svg(late)
    assert throughput is not None
    assert throughput.startswith("<svg")
    assert "requests accepted / s" in throughput
    assert "offered, mean 12.5 / s" in throughput
    assert margin is not None
    assert "late (3)" in margin
    assert "urgent-direct" in margin
    in_time = load_margin_svg(load_run_from_file(_write(tmp_path, load_results_document())))
    assert in_time is not None
    assert "late (" not in in_time


def test_the_report_shows_the_load_section_beside_the_conformance_verdict(
    sample_results: RunResults, tmp_path: Path,
) -> None:
    assert 'id="load"' not in render_html(sample_results)  # no load run included: no section
    sample_results.load = load_run_from_file(_write(tmp_path, load_results_document(late=2, states=True)))
    page = render_html(sample_results)
    section = page[page.index('<h2 id="load">'):]
    assert "failed" in section[:300]
    assert 'id="load-throughput"><svg' in section
    assert 'id="load-margin"><svg' in section
    assert "late (2)" in section
    assert "Per state (2 states)" in section
    # results.json carries the section, and reads back the same.
    again = RunResults.model_validate_json(sample_results.model_dump_json())
    assert again.load == sample_results.load


def test_the_console_summary_names_the_load_verdict_on_its_own_line(
    sample_results: RunResults, tmp_path: Path,
) -> None:
    from reports.console import render_summary

    assert "Load run:" not in render_summary(sample_results)
    sample_results.load = load_run_from_file(_write(tmp_path, load_results_document(late=2)))
    assert "Load run:        FAIL (2 late), 12 requests at 12/s" in render_summary(sample_results)
