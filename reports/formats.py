"""The report formats of a run: each one handler that writes one file from the one results model.

Every format reads a `RunResults` (reports.results) and writes a file; none reads another format's
output, so adding one changes nothing for the others. `spoc-harness run` and the kill matrix write
every registered format into the report directory, and the evidence bundle carries each one marked
`in_bundle` (results.json is always in it: the bundle is built around it). CONTRIBUTING.md has the recipe
for a new format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from reports.html import write_html
from reports.junit import write_junit
from reports.results import RunResults, write_results

__all__ = ["REPORT_FORMATS", "RESULTS_JSON", "ReportFormat", "register_report_format", "write_report_files"]

Writer = Callable[[RunResults, Path], object]


@dataclass(frozen=True)
class ReportFormat:
    filename: str  # in the report directory, and the label the console summary shows
    write: Writer
    in_bundle: bool = True  # signed into the evidence bundle beside results.json


RESULTS_JSON = ReportFormat("results.json", write_results)
REPORT_FORMATS: list[ReportFormat] = [
    RESULTS_JSON,
    ReportFormat("junit.xml", write_junit),
    ReportFormat("report.html", write_html),
]


def register_report_format(report_format: ReportFormat) -> ReportFormat:
    """Add a format to every run's reports; a second format with the same file name is a programming error."""
    if any(f.filename == report_format.filename for f in REPORT_FORMATS):
        raise ValueError(f"a report format already writes {report_format.filename!r}")
    REPORT_FORMATS.append(report_format)
    return report_format


def write_report_files(results: RunResults, report_dir: Path,
                       formats: Iterable[ReportFormat] | None = None) -> dict[str, Path]:
    """Write each format (every registered one by default) into `report_dir`; returns file name -> path.

    results.json first: it is what the others summarise, and what a reader opens when one of them fails.
    """
    chosen = list(REPORT_FORMATS if formats is None else formats)
    chosen.sort(key=lambda f: f is not RESULTS_JSON)
    written: dict[str, Path] = {}
    for report_format in chosen:
        path = report_dir / report_format.filename
        report_format.write(results, path)
        written[report_format.filename] = path
    return written
