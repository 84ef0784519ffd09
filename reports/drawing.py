"""The report's pictures, drawn by a process of their own while the run does its other work.

`start_drawer` starts a process that imports matplotlib and draws a first figure (reports.plots.prepare)
while the network starts and the campaign runs, which mostly wait. It then draws on request, in up to two
steps, each a pickled tuple on its standard input:
- ("margin", timelines): the deadline-margin picture, which needs only the campaign's timelines, so it is
  drawn while the checks run (`draw_margin_early`), and then the timelines of the exchanges answered late,
  which the failed deadline checks will name;
- ("all", shown, timelines, articles, load): every other picture once the results are known; the process
  writes them all (pickled `DrawnPictures`) to its standard output and ends. A picture drawn early is used
  only if it was drawn from the same timeline(s).
`start_drawing(results)` sends the second step from a thread, so that the caller writes results.json,
JUnit and the bundle's other files meanwhile; `pictures_of(results)` waits for them. Without a drawer, or
when it fails, the same pictures are drawn in this process, only slower.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import IO

from reports.load_run import LoadRun
from reports.results import ArticleResult, ExchangeTimeline, Outcome, RunResults

__all__ = ["DrawnPictures", "draw_margin_early", "pictured_timelines", "pictures_of", "start_drawer",
           "start_drawing"]

_PLOTTED = (Outcome.FAILED, Outcome.WARNING, Outcome.ACCEPTED_DEVIATION)


@dataclass(frozen=True)
class DrawnPictures:
    timelines: dict[str, str]
    matrix: str | None
    margin: str | None
    load_throughput: str | None
    load_margin: str | None


@dataclass
class _Drawing:
    """A request for all of one results' pictures, answered in a thread."""

    results: RunResults
    thread: threading.Thread
    answer: list[DrawnPictures | None]


_drawer: subprocess.Popen[bytes] | None = None
_sending: threading.Thread | None = None  # the early margin request, written while the drawer may still prepare
_drawing: _Drawing | None = None


def start_drawer() -> subprocess.Popen[bytes]:
    """The drawing process (started once; one report per process)."""
    global _drawer
    if _drawer is None:
        _drawer = subprocess.Popen([sys.executable, "-c", "from reports.drawing import serve; serve()"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return _drawer


def draw_margin_early(timelines: list[ExchangeTimeline]) -> None:
    """Have the drawer draw the margin picture now (a no-op without a drawer, or when asked already)."""
    global _sending
    drawer = _drawer
    if drawer is None or _sending is not None or not timelines:
        return
    request = pickle.dumps(("margin", timelines))
    # A thread: the pipe holds 64 kB, and the drawer reads only once it has prepared.
    _sending = threading.Thread(target=_write, args=(drawer, request), name="report-margin", daemon=True)
    _sending.start()


def pictured_timelines(results: RunResults) -> list[ExchangeTimeline]:
    """The timelines the report draws: of each exchange a failed, warned or accepted-deviation instance names."""
    by_key = {timeline.key: timeline for timeline in results.timelines}
    # An exchange whose request never reached the SUT has nothing to draw; its finding says so in words.
    drawable = {key for key, timeline in by_key.items() if timeline.received_at is not None}
    # The report's order: failed checks first, then accepted deviations, then warnings; execution order within.
    order = (Outcome.FAILED, Outcome.ACCEPTED_DEVIATION, Outcome.WARNING)
    checks = sorted((check for check in results.checks if check.outcome in order),
                    key=lambda check: order.index(check.outcome))
    wanted = [finding.instance for check in checks if check.outcome in _PLOTTED
              for finding in check.instances if finding.outcome in _PLOTTED and finding.instance in drawable]
    return [by_key[key] for key in dict.fromkeys(wanted)]


def start_drawing(results: RunResults) -> None:
    """Ask for every picture of `results` now; `pictures_of(results)` collects them."""
    global _drawer, _drawing, _sending
    drawer, _drawer = _drawer, None  # one report per preparation: the process ends after it
    sending, _sending = _sending, None
    answer: list[DrawnPictures | None] = []
    request = ("all", pictured_timelines(results), results.timelines, results.articles, results.load)

    def ask() -> None:
        answer.append(_ask(drawer, sending, pickle.dumps(request)) if drawer is not None else None)

    thread = threading.Thread(target=ask, name="report-pictures", daemon=True)
    thread.start()
    _drawing = _Drawing(results, thread, answer)


def pictures_of(results: RunResults) -> DrawnPictures:
    """The pictures of `results`: those asked for with `start_drawing`, else drawn now."""
    global _drawing
    if _drawing is None or _drawing.results is not results:
        start_drawing(results)
    drawing = _drawing
    assert drawing is not None
    _drawing = None
    drawing.thread.join()
    drawn = drawing.answer[0] if drawing.answer else None
    if drawn is not None:
        return drawn
    # No drawer, or it failed: the same pictures, only slower.
    return draw_here(pictured_timelines(results), results.timelines, results.articles, results.load)


def _write(drawer: subprocess.Popen[bytes], request: bytes) -> None:
    try:
        assert drawer.stdin is not None
        drawer.stdin.write(request)
        drawer.stdin.flush()
    except OSError:  # the drawer died: the final request finds out and draws here
        pass


def _ask(drawer: subprocess.Popen[bytes], sending: threading.Thread | None, request: bytes) -> DrawnPictures | None:
    if sending is not None:
        sending.join()  # the margin request goes first, whole
    try:
        out, _ = drawer.communicate(request, timeout=300)
        if drawer.returncode == 0 and out:
            drawn = pickle.loads(out)  # from our own child, which ran this module's code
            if isinstance(drawn, DrawnPictures):
                return drawn
    except (OSError, ValueError, subprocess.SubprocessError, pickle.PickleError, EOFError):
        drawer.kill()
    return None


def serve(source: IO[bytes] | None = None, sink: IO[bytes] | None = None) -> None:
    """The drawing process: prepare, then answer the requests read from stdin (pickled by this module)."""
    # Start-up time: matplotlib (half a second) loads in the drawing process, not in the harness.
    from reports import plots

    requests, answers = source or sys.stdin.buffer, sink or sys.stdout.buffer
    plots.prepare()
    early: tuple[list[ExchangeTimeline], str | None] | None = None
    drawn: dict[str, tuple[ExchangeTimeline, str]] = {}
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:  # the run ended without a report
            return
        if request[0] == "margin":
            early = (request[1], plots.margin_svg(request[1]))
            # Likely wanted: a late answer fails a deadline check, whose instance names its exchange.
            for timeline in request[1]:
                if timeline.margin_seconds is not None and timeline.margin_seconds < 0:
                    drawn[timeline.key] = (timeline, plots.timeline_svg(timeline))
            continue
        _, shown, timelines, articles, load = request
        margin = early[1] if early is not None and early[0] == timelines else None
        ready = {key: svg for key, (timeline, svg) in drawn.items() if timeline in shown}
        pickle.dump(draw_here(shown, timelines, articles, load, margin=margin, timelines_drawn=ready), answers)
        answers.flush()
        if source is None:
            # The drawing process's work is done, and the harness waits for it to end: the interpreter's
            # teardown (matplotlib's objects, most of a second on a busy machine) is skipped.
            os._exit(0)
        return


def draw_here(shown: list[ExchangeTimeline], timelines: list[ExchangeTimeline], articles: list[ArticleResult],
              load: LoadRun | None, *, margin: str | None = None,
              timelines_drawn: dict[str, str] | None = None) -> DrawnPictures:
    """Every picture, drawn in this process but for those drawn already (`margin`, `timelines_drawn` by key)."""
    # Start-up time: matplotlib (half a second) loads only when pictures are drawn in this process.
    from reports import plots

    ready = timelines_drawn or {}
    return DrawnPictures(timelines={timeline.key: ready.get(timeline.key) or plots.timeline_svg(timeline)
                                    for timeline in shown},
                         matrix=plots.article_matrix_svg(articles) if articles else None,
                         margin=margin or (plots.margin_svg(timelines) if timelines else None),
                         load_throughput=plots.load_throughput_svg(load) if load is not None else None,
                         load_margin=plots.load_margin_svg(load) if load is not None else None)
