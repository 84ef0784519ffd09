"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets).

Everything taken from the run (messages, raw excerpts, names) is escaped by jinja2's autoescape;
the template never marks run data as safe. The only markup passed through is the SVG matplotlib
writes (reports.plots), which escapes the text it draws.

Pictures are drawn only where someone will look: the article-by-outcome matrix, the deadline
margins, a load run's throughput and margins (when one is included), and the timeline of each
exchange that a failed, warned or accepted-deviation instance names (linked from that instance).
Passed checks stay collapsed.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports.drawing import pictures_of, start_drawer
from reports.private_files import private_dir, write_private_text
from reports.results import BasisStatus, CheckResult, Evidence, ExchangeTimeline, Outcome, RunResults

__all__ = ["prepare_in_background", "render_html", "write_html"]

_OUTCOME_ORDER = {
    outcome: rank
    for rank, outcome in enumerate(
        (
            Outcome.FAILED,
            Outcome.ACCEPTED_DEVIATION,
            Outcome.WARNING,
            Outcome.INCONCLUSIVE,
            Outcome.PASSED,
            Outcome.NOT_APPLICABLE,
            Outcome.DECLARATION,
        )
    )
}
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _anchor(prefix: str, identifier: str) -> str:
    return f"{prefix}-{_ANCHOR_UNSAFE.sub('_', identifier)}"


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else ""


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours or days else []
    parts += [f"{minutes:02d} min", f"{secs:02d} s"]
    return " ".join(parts)


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["when"] = _when
    environment.filters["duration"] = _duration
    environment.globals["anchor"] = _anchor
    return environment


_preparing: threading.Thread | None = None


def prepare_in_background(*, drawer: bool = False) -> None:
    """Compile the template in a daemon thread; with `drawer`, also start the process that draws the pictures.

    `spoc-harness run` calls it as it starts. `drawer` when the report is known to need matplotlib's pictures
    (a load section), so that writing the report does not begin by paying over a second for matplotlib
    (three on a first run, which builds its font cache): the drawing process (reports.drawing) imports it and
    draws a first figure on a core of its own. Otherwise the drawer starts only once the run turns out to need
    it (reports.drawing), and a conformant run never loads matplotlib. `render_html` waits for the template
    rather than race the thread through it.
    """
    global _preparing
    if _preparing is None:
        _preparing = threading.Thread(target=lambda: _environment().get_template("report.html.j2"),
                                      name="report-template", daemon=True)
        _preparing.start()
    if drawer:
        start_drawer()


def _wait_for_preparation() -> None:
    preparing = _preparing
    if preparing is not None and preparing is not threading.current_thread():
        preparing.join()


_BRIEF = (Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.DECLARATION)


def _cited_steps(results: RunResults) -> dict[str, Evidence]:
    """Every step a check cites, once, in network-time order: the page's Evidence section."""
    cited = {ref for check in results.checks for ref in check.evidence}
    return dict(sorted(((ref, step) for ref, step in results.evidence.items() if ref in cited),
                       key=lambda item: (item[1].at, item[0])))


def _raw_steps(results: RunResults) -> set[str]:
    """The steps whose raw exchange the page shows: those a check that did not simply pass cites."""
    cited = {ref for check in results.checks if check.outcome not in _BRIEF for ref in check.evidence}
    return {ref for ref in cited
            if results.evidence[ref].request is not None or results.evidence[ref].response is not None}


def _sorted_checks(checks: list[CheckResult]) -> list[CheckResult]:
    # Failed checks first, then the ones an evaluator should look at; execution order within each.
    return sorted(checks, key=lambda check: _OUTCOME_ORDER[check.outcome])


def _late_by(timeline: ExchangeTimeline | None) -> str | None:
    if timeline is None or timeline.answered_at is None:
        return None
    due = timeline.due.get(timeline.reading)
    if due is None or timeline.answered_at <= due:
        return None
    minutes = round((timeline.answered_at - due).total_seconds() / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or "under a minute"


def _pictures(results: RunResults) -> dict[str, object]:
    drawn = pictures_of(results)
    return {
        "load_throughput_svg": Markup(drawn.load_throughput) if drawn.load_throughput else None,
        "load_margin_svg": Markup(drawn.load_margin) if drawn.load_margin else None,
        "timelines": {timeline.key: timeline for timeline in results.timelines},
        "timeline_svgs": {key: Markup(svg) for key, svg in drawn.timelines.items()},
        "matrix_svg": Markup(drawn.matrix) if drawn.matrix else None,
        "margin_svg": Markup(drawn.margin) if drawn.margin else None,
    }


_NO_PICTURES: dict[str, object] = {"timelines": {}, "timeline_svgs": {}, "matrix_svg": None, "margin_svg": None,
                                   "load_throughput_svg": None, "load_margin_svg": None}


def _optional(results: RunResults, name: str) -> object:
    # Sections other parts of the harness may add to results.json (the applicability coverage matrix):
    # shown when present, so the report needs no change the day they appear.
    return getattr(results, name, None)


def render_html(results: RunResults, *, pictures: bool = True) -> str:
    """The report page; `pictures=False` leaves the plots out (the benchmark's baseline)."""
    _wait_for_preparation()
    template = _environment().get_template("report.html.j2")
    checks = _sorted_checks(results.checks)
    unverified_verdicts = [
        check
        for check in results.checks
        if check.basis_status is BasisStatus.UNVERIFIED and check.outcome in (Outcome.FAILED, Outcome.WARNING)
    ]
    return template.render(
        results=results,
        failed_checks=[check for check in checks if check.outcome is Outcome.FAILED],
        deviation_checks=[check for check in checks if check.outcome is Outcome.ACCEPTED_DEVIATION],
        other_checks=[check for check in checks if check.outcome not in (Outcome.FAILED, Outcome.ACCEPTED_DEVIATION)],
        late_by=_late_by,
        coverage_matrix=_optional(results, "coverage_matrix"),
        load_section=results.load,
        **(_pictures(results) if pictures else _NO_PICTURES),
        unverified_verdicts=unverified_verdicts,
        settings_extra=sorted((results.settings.model_extra or {}).items()),
        outcomes=list(Outcome),
        steps_of=results.evidence_of,
        curl_of=results.curl_of,
        all_steps=_cited_steps(results),
        raw_steps=_raw_steps(results),
    )


def write_html(results: RunResults, path: Path) -> Path:
    """Write the self-contained HTML report of `results` to `path`; returns the path."""
    private_dir(path.parent)
    write_private_text(path, render_html(results))
    return path
