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

import pickle
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports.load_run import LoadRun
from reports.private_files import private_dir, write_private_text
from reports.results import ArticleResult, BasisStatus, CheckResult, Evidence, ExchangeTimeline, Outcome, RunResults

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
_drawer: subprocess.Popen[bytes] | None = None


def prepare_in_background() -> None:
    """Compile the template in a daemon thread and start a process that prepares the pictures.

    `spoc-harness run` calls it as it starts, so that writing the report does not begin by paying over a
    second for matplotlib (three on a first run, which builds its font cache): the process imports it and
    draws a first figure (reports.plots.prepare) on a core of its own while the network starts and the
    campaign runs, which mostly wait; then it draws the report's pictures (`_serve_drawing`). `render_html`
    waits for the template rather than race the thread through it.
    """
    global _preparing, _drawer
    if _preparing is None:
        _preparing = threading.Thread(target=lambda: _environment().get_template("report.html.j2"),
                                      name="report-template", daemon=True)
        _preparing.start()
    if _drawer is None:
        _drawer = subprocess.Popen([sys.executable, "-c", "from reports.html import _serve_drawing; _serve_drawing()"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _serve_drawing() -> None:
    """The drawing process: prepare, then draw the one request read from stdin (pickled by this module)."""
    # Start-up time: matplotlib (half a second) loads in the drawing process, not in the harness.
    from reports import plots

    plots.prepare()
    request = sys.stdin.buffer.read()
    if request:  # nothing at all: the run ended without a report
        pickle.dump(_draw_here(*pickle.loads(request)), sys.stdout.buffer)


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


_PLOTTED = (Outcome.FAILED, Outcome.WARNING, Outcome.ACCEPTED_DEVIATION)


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


def _pictures(results: RunResults, checks: list[CheckResult]) -> dict[str, object]:
    by_key = {timeline.key: timeline for timeline in results.timelines}
    # An exchange whose request never reached the SUT has nothing to draw; its finding says so in words.
    drawable = {key for key, timeline in by_key.items() if timeline.received_at is not None}
    wanted = [finding.instance for check in checks if check.outcome in _PLOTTED
              for finding in check.instances if finding.outcome in _PLOTTED and finding.instance in drawable]
    shown = [by_key[key] for key in dict.fromkeys(wanted)]
    drawn = _draw(shown, results.timelines, results.articles, results.load)
    return {
        "load_throughput_svg": Markup(drawn.load_throughput) if drawn.load_throughput else None,
        "load_margin_svg": Markup(drawn.load_margin) if drawn.load_margin else None,
        "timelines": by_key,
        "timeline_svgs": {key: Markup(svg) for key, svg in drawn.timelines.items()},
        "matrix_svg": Markup(drawn.matrix) if drawn.matrix else None,
        "margin_svg": Markup(drawn.margin) if drawn.margin else None,
    }


@dataclass(frozen=True)
class _Drawn:
    timelines: dict[str, str]
    matrix: str | None
    margin: str | None
    load_throughput: str | None
    load_margin: str | None


def _draw(shown: list[ExchangeTimeline], timelines: list[ExchangeTimeline], articles: list[ArticleResult],
          load: LoadRun | None) -> _Drawn:
    """The pictures, by the prepared process when there is one (else, or if it failed, here)."""
    global _drawer
    drawer, _drawer = _drawer, None  # one report per preparation: the process ends after it
    if drawer is not None:
        try:
            out, _ = drawer.communicate(pickle.dumps((shown, timelines, articles, load)), timeout=300)
            if drawer.returncode == 0 and out:
                drawn = pickle.loads(out)  # from our own child, which ran this module's code
                if isinstance(drawn, _Drawn):
                    return drawn
        except (OSError, subprocess.SubprocessError, pickle.PickleError, EOFError):
            drawer.kill()
    return _draw_here(shown, timelines, articles, load)  # the same pictures, only slower


def _draw_here(shown: list[ExchangeTimeline], timelines: list[ExchangeTimeline],
               articles: list[ArticleResult], load: LoadRun | None) -> _Drawn:
    # Start-up time: matplotlib (half a second) loads only when pictures are drawn in this process.
    from reports import plots

    return _Drawn(timelines={timeline.key: plots.timeline_svg(timeline) for timeline in shown},
                  matrix=plots.article_matrix_svg(articles) if articles else None,
                  margin=plots.margin_svg(timelines) if timelines else None,
                  load_throughput=plots.load_throughput_svg(load) if load is not None else None,
                  load_margin=plots.load_margin_svg(load) if load is not None else None)


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
        **(_pictures(results, checks) if pictures else _NO_PICTURES),
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
