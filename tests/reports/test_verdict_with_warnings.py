"""A run whose checks passed only with warnings is never called plainly "conformant", in any output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reports.assemble import assemble_results
from reports.console import render_summary
from reports.html import write_html
from reports.junit import write_junit
from reports.results import Outcome, RunResults, RunSettings, SystemUnderTest, Verdict, VirtualTime, write_results

START = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


def _results(make_check: Any, catalogue: Any, *outcomes: Outcome) -> RunResults:
    checks = [make_check("art5.other_reply_within_7d", Outcome.PASSED, ("R-12",), articles=["Art 5(1)(c)"])]
    checks += [make_check(f"art4.request_content[{n}]", outcome, ("R-07",), articles=["Art 4(5)"],
                          message="reply carried no reason field; accepted")
               for n, outcome in enumerate(outcomes)]
    return assemble_results(
        checks, catalogue, started_at=START, finished_at=START + timedelta(seconds=5),
        virtual_time=VirtualTime.between(START, START + timedelta(days=8), "virtual"),
        sut=SystemUnderTest(kind="reference", url="http://127.0.0.1:8800/sut/v1", state="AT", defects=[]),
        settings=RunSettings(profile="full", time_mode="virtual", deadline_reading="elapsed", seed=7),
        scenarios={}, kill_matrix=None,
    )


def test_a_warning_makes_the_verdict_conformant_with_warnings(make_check: Any, catalogue: Any,
                                                                tmp_path: Path) -> None:
    results = _results(make_check, catalogue, Outcome.WARNING)
    assert results.verdict is Verdict.CONFORMANT_WITH_WARNINGS
    assert results.verdict.conformant
    assert "passed only with a warning: R-07" in results.verdict_reason
    written = json.loads(write_results(results, tmp_path / "results.json").read_text())
    assert written["verdict"] == "conformant with warnings"
    console = render_summary(results)
    assert console.startswith("Verdict: CONFORMANT WITH WARNINGS")
    assert "Warnings:" in console
    assert "R-07" in console.split("Warnings:")[1]
    junit = ET.parse(write_junit(results, tmp_path / "junit.xml")).getroot()
    properties = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert properties["verdict"] == "conformant with warnings"
    assert properties["warnings"] == "R-07"
    html = write_html(results, tmp_path / "report.html").read_text()
    assert 'class="banner v-conformant-with-warnings"' in html


def test_without_warnings_the_verdict_stays_conformant(make_check: Any, catalogue: Any) -> None:
    results = _results(make_check, catalogue, Outcome.PASSED)
    assert results.verdict is Verdict.CONFORMANT
    assert "warnings" not in render_summary(results).splitlines()[0].lower()
