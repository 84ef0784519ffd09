from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports.html import render_html, write_html
from reports.results import RunResults

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'  # as in conftest.py


def test_report_is_self_contained_and_escaped(sample_results: RunResults, tmp_path: Path) -> None:
    path = write_html(sample_results, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")

    assert page.startswith("<!DOCTYPE html>")
    assert 5_000 < len(page) < 200_000
    assert "<script" not in page.lower()  # nothing the run produced can inject markup
    assert "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert html.unescape("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") == HOSTILE
    assert "&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;" in page  # raw excerpt escaped too
    # no external assets: every src/href is an in-page anchor
    assert re.findall(r'\b(?:src|href)="(?!#)[^"]*"', page) == []
    assert "@import" not in page
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page (the plots' clip paths)


def test_banner_counts_and_failed_check_first(sample_results: RunResults) -> None:
    page = render_html(sample_results)
    assert 'class="banner v-not-conformant"' in page
    assert "not conformant: R-10 failed" in page
    failed_at = page.index('id="check-art5.urgent_direct_reply_within_8h_night_"')
    other_at = page.index('id="check-art5.other_reply_within_7d"')
    assert failed_at < other_at
    failed_section = page[failed_at:other_at]
    for expected in (
        "Art 5(1)(a): at the latest within 8 hours",
        "SIENA-2",
        "seed 7",
        "spoc-harness run --sut reference --check &#39;art5.urgent*&#39; --seed 7",
        "curl -X POST",
    ):
        assert expected in failed_section


def test_unverified_readings_are_flagged(sample_results: RunResults) -> None:
    page = render_html(sample_results)
    assert "1 failed or warned check(s) rest on an unverified reading" in page
    row = page[page.index('id="req-R-07"') :]
    row = row[: row.index("</tr>")]
    assert "unverified reading" in row
    assert "partly verified" in page[page.index('id="req-R-16"') :]


def test_kill_matrix_declarations_and_traceability(sample_results: RunResults) -> None:
    page = render_html(sample_results)
    kill = page[page.index('id="kill-matrix"') : page.index('id="declarations"')]
    assert "late_urgent_reply" in kill
    assert "killed" in kill
    assert "survived" in kill
    assert "the delayed reply is also late" in kill
    declarations = page[page.index('id="declarations"') :]
    assert "R-02" in declarations
    assert "a notification to the Commission; nothing crosses a channel" in declarations
    trace = page[page.index('id="traceability"') : page.index('id="kill-matrix"')]
    assert "Urgent request answered at night" in trace
    assert "Not covered by this run (1)" in page


def test_no_kill_matrix_section_without_one(sample_results: RunResults, sample_builder: Any) -> None:
    results = sample_results.model_copy(update={"kill_matrix": None})
    assert 'id="kill-matrix"' not in render_html(results)
    aborted = render_html(sample_builder(aborted=True))
    assert "The run aborted:</strong> SUT stopped answering" in aborted


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless chromium not installed")
def test_renders_in_a_browser(sample_results: RunResults, tmp_path: Path) -> None:
    page = write_html(sample_results, tmp_path / "report.html")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1280,2400",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert shot.stat().st_size > 10_000


def test_passed_checks_leave_their_raw_exchanges_and_curl_lines_to_results_json(
    sample_results: RunResults,
) -> None:
    from reports.results import Evidence, Outcome, Reproduce

    passed = next(c for c in sample_results.checks if c.outcome is Outcome.PASSED)
    sample_results.evidence["ev-passed"] = Evidence(at=sample_results.started_at, channel="SIENA",
                                                    summary="request sent", request="RAW-PASSED-EXCERPT")
    sample_results.curl_lines["curl-passed"] = "curl PASSED-CURL"
    passed.evidence = ["ev-passed"]
    passed.reproduce = Reproduce(seed=7, command="spoc-harness run --profile R-12", curl=["curl-passed"])
    page = render_html(sample_results)
    assert "request sent" in page
    assert "spoc-harness run --profile R-12" in page
    assert "RAW-PASSED-EXCERPT" not in page
    assert "curl PASSED-CURL" not in page
    assert "Raw exchanges and curl lines of passed checks: results.json and the evidence bundle." in page


def test_applicability_matrix_shows_exchanges_and_what_none_exercised(sample_results: RunResults) -> None:
    from reports.results import ApplicabilityCoverage, RequirementApplicability, TargetCoverage

    row = RequirementApplicability(
        requirement="R-03", article="Art 4(1) §3", why=HOSTILE, flows=["outgoing_request"],
        dimensions={"urgency": ["urgent", "non_urgent"]}, pairs=[], generated=True,
        targets=[TargetCoverage(kind="value", values={"urgency": "non_urgent"}, exchanges=["outgoing.da[1]"]),
                 TargetCoverage(kind="value", values={"urgency": "urgent"}, exchanges=[])],
        uncovered=["urgency=urgent"],
    )
    results = sample_results.model_copy(update={"applicability": ApplicabilityCoverage(
        exchanges=3, generated_exchanges=1, uncovered=1, requirements=[row])})
    page = render_html(results)
    section = page[page.index('id="applicability"'):]
    assert "1 of 2" in section
    assert "outgoing.da[1]" in section
    assert "<strong>urgency=urgent</strong>" in section
    assert HOSTILE not in section
    assert "&lt;script&gt;alert" in section
    assert 'id="applicability"' not in render_html(sample_results)


def test_a_report_without_timelines_starts_no_drawing_process(sample_results: RunResults) -> None:
    """The article matrix and the margins are plain SVG: only a timeline or a load picture needs matplotlib."""
    import reports.drawing as drawing
    import reports.html as report_html

    report_html.prepare_in_background()
    drawing.draw_late_early(sample_results.timelines)
    page = render_html(sample_results)
    assert drawing._drawer is None
    assert "<svg" in page
