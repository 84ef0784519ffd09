from __future__ import annotations

from pathlib import Path

from reports.console import check_details, render_summary
from reports.results import RunResults


def test_summary_names_verdict_counts_failures_and_paths(sample_results: RunResults) -> None:
    text = render_summary(
        sample_results,
        report_paths={"results.json": Path("out/results.json"), "report.html": "out/report.html"},
        public_key_sha256="ab" * 32,
    )
    lines = text.splitlines()
    assert lines[0] == "Verdict: NOT CONFORMANT"
    assert lines[1].startswith("  not conformant: R-10 failed")
    assert "SUT: reference CMS of AT at http://127.0.0.1:8800/sut/v1 with defects late_urgent_reply" in text
    assert "Checks: 6 total: 2 passed, 1 failed, 1 warning, 1 inconclusive, 1 not applicable, 0 declaration" in text
    failed_line = next(line for line in lines if line.startswith("  R-10 "))
    assert "Art 5(1)(a)" in failed_line
    assert "art5.urgent_direct_reply_within_8h[night]: Sent urgent REQUEST SIENA-1" in failed_line
    warning_line = next(line for line in lines if line.startswith("  R-07 "))
    assert "reply carried no reason field" in warning_line
    assert "Kill matrix: 1 of 2 defects killed" in text
    assert "  wrong_language: MISSED R-16" in text
    assert "  results.json   out/results.json" in text
    assert f"Evidence bundle: reports-out/evidence (signing key sha256 {'ab' * 32})" in text


def test_check_details_tell_the_whole_story(sample_results: RunResults) -> None:
    failed = sample_results.failed_checks()[0]
    text = check_details(sample_results, failed)
    assert text.startswith("art5.urgent_direct_reply_within_8h[night]: FAILED - An urgent request")
    assert "requirements: R-10 (Art 5(1)(a)); basis: verified" in text
    assert "2026-03-02T09:00:00+00:00 SIENA REQUEST SIENA-1 DE-SPOC -> AT-SPOC: urgent request" in text
    assert "(seed 7)" in text
    warning = next(c for c in sample_results.checks if c.outcome.value == "warning")
    assert "[UNVERIFIED reading of the directive]" in check_details(sample_results, warning)


def test_summary_names_the_applicable_values_no_exchange_exercised(sample_results: RunResults) -> None:
    from reports.console import render_summary
    from reports.results import ApplicabilityCoverage, RequirementApplicability, TargetCoverage

    row = RequirementApplicability(
        requirement="R-03", article="Art 4(1) §3", why="copy owed", flows=["outgoing_request"],
        dimensions={"urgency": ["urgent"]}, generated=True,
        targets=[TargetCoverage(kind="value", values={"urgency": "urgent"})], uncovered=["urgency=urgent"])
    results = sample_results.model_copy(update={"applicability": ApplicabilityCoverage(
        exchanges=4, generated_exchanges=2, uncovered=1, requirements=[row])})
    assert ("Applicability: 4 exchanges (2 generated), 1 applicable value(s) or pair(s) not exercised: "
            "R-03 urgency=urgent") in render_summary(results)
    assert "Applicability" not in render_summary(sample_results)
