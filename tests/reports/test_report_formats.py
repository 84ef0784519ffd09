"""Report formats are handlers over the results model: a new one is written and signed like the others.

This follows CONTRIBUTING.md's recipe "Add a report format" step by step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.campaign.conformance_run import ConformanceRun
from conformance.campaign.reporting import write_reports
from conformance.campaign.run_options import RunOptions
from reports.evidence import load_manifest, verify_bundle
from reports.formats import REPORT_FORMATS, ReportFormat, register_report_format, write_report_files
from reports.results import RunResults


def write_verdict_line(results: RunResults, path: Path) -> Path:
    """The recipe's example: one line a shell script can read."""
    path.write_text(f"{results.verdict.value} {results.counts.checks.failed} failed\n", encoding="utf-8")
    return path


def test_the_default_formats_are_written_results_json_first(tmp_path: Path, sample_results: RunResults) -> None:
    written = write_report_files(sample_results, tmp_path)
    assert list(written) == ["results.json", "junit.xml", "report.html"]
    assert all(path.is_file() for path in written.values())


def test_a_new_format_is_written_listed_and_signed_into_the_bundle(tmp_path: Path,
                                                                 sample_results: RunResults) -> None:
    verdict_line = register_report_format(ReportFormat("verdict.txt", write_verdict_line))
    try:
        paths = write_reports(sample_results, ConformanceRun(RunOptions()), tmp_path)
    finally:
        REPORT_FORMATS.remove(verdict_line)
    assert paths["verdict.txt"].read_text(encoding="utf-8") == (
        f"{sample_results.verdict.value} {sample_results.counts.checks.failed} failed\n")
    bundle = tmp_path / "evidence"
    assert "verdict.txt" in {entry.name for entry in load_manifest(bundle).files}
    assert verify_bundle(bundle).intact
    # Edited after signing, the new file is caught like any other.
    (bundle / "verdict.txt").write_text("conformant 0 failed\n", encoding="utf-8")
    assert {p.file for p in verify_bundle(bundle).problems} == {"verdict.txt"}


def test_two_formats_cannot_write_the_same_file() -> None:
    with pytest.raises(ValueError, match=r"already writes 'junit\.xml'"):
        register_report_format(ReportFormat("junit.xml", write_verdict_line))
