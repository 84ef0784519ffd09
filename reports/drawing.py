"""The report's pictures, drawn by a process of their own while the run does its other work.

Only the pictures drawn with matplotlib need it: an exchange's timeline (shown for each exchange a failed or
warned instance names) and a load run's two pictures. The article matrix and the deadline margins are
written as SVG directly, in a millisecond, so a run whose report shows neither never starts the process and
never loads matplotlib.

`start_drawer` starts a process that imports matplotlib and draws a first figure (reports.plots.prepare).
It then draws on request, in up to two steps, each a pickled tuple on its standard input:
- ("late", timelines): the timelines of the exchanges answered late, which the failed deadline checks will
  name, drawn while the checks run (`draw_late_early`, which starts the process once the campaign has
  answers that were late);
- ("all", shown, timelines, articles, load): every picture once the results are known; the process
  writes them all (pickled `DrawnPictures`) to its standard output and ends. A timeline drawn early is used
  only if it was drawn from the same timeline.
`start_drawing(results)` sends the second step from a thread (starting the process if the report needs it
and none runs), so that the caller writes results.json, JUnit and the bundle's other files meanwhile;
`pictures_of(results)` waits for them. Without a drawer, or when it fails, the same pictures are drawn in
this process, only slower.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import IO

from reports import plots
from reports.load_run import LoadRun
from reports.results import ArticleResult, ExchangeTimeline, Outcome, RunResults

__all__ = ["DrawnPictures", "draw_late_early", "pictured_timelines", "pictures_of", "start_drawer",
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
    thread: threading.Thread | None  # None: drawn already, in this process
    answer: list[DrawnPictures | None]


_drawer: subprocess.Popen[bytes] | None = None
_sending: threading.Thread | None = None  # the early request, written while the drawer may still prepare
_drawing: _Drawing | None = None


def start_drawer() -> subprocess.Popen[bytes]:
    """The drawing process (started once; one report per process)."""
    global _drawer
    if _drawer is None:
        _drawer = subprocess.Popen([sys.executable, "-c", "from reports.drawing import serve; serve()"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return _drawer


def _late(timelines: list[ExchangeTimeline]) -> list[ExchangeTimeline]:
    return [timeline for timeline in timelines if timeline.margin_seconds is not None and timeline.margin_seconds < 0]


def draw_late_early(timelines: list[ExchangeTimeline]) -> None:
    """Once the campaign has run: if some answers were late, start the drawer (if none runs) and have it draw
    their timelines now, which the failed deadline checks will name (a no-op when none was late, or when
    asked already)."""
    global _sending
    late = _late(timelines)
    if _sending is not None or not late:
        return
    drawer = start_drawer()
    request = pickle.dumps(("late", late))
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


def _needs_drawer(shown: list[ExchangeTimeline], results: RunResults) -> bool:
    """Whether any picture of `results` is drawn with matplotlib (a timeline, or the load pictures)."""
    return bool(shown) or results.load is not None


def start_drawing(results: RunResults) -> None:
    """Ask for every picture of `results` now; `pictures_of(results)` collects them."""
    global _drawer, _drawing, _sending
    shown = pictured_timelines(results)
    if not _needs_drawer(shown, results):
        _dismiss_drawer()
        _drawing = _Drawing(results, None, [draw_here(shown, results.timelines, results.articles, results.load)])
        return
    drawer, _drawer = _drawer or start_drawer(), None  # one report per drawer: the process ends after it
    sending, _sending = _sending, None
    answer: list[DrawnPictures | None] = []
    request = ("all", shown, results.timelines, results.articles, results.load)

    def ask() -> None:
        answer.append(_ask(drawer, sending, pickle.dumps(request)))

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
    if drawing.thread is not None:
        drawing.thread.join()
    drawn = drawing.answer[0] if drawing.answer else None
    if drawn is not None:
        return drawn
    # No drawer, or it failed: the same pictures, only slower.
    return draw_here(pictured_timelines(results), results.timelines, results.articles, results.load)


def _dismiss_drawer() -> None:
    """End a drawer the report turned out not to need (it holds nothing: killed, and waited for)."""
    global _drawer, _sending
    drawer, _drawer = _drawer, None
    sending, _sending = _sending, None
    if drawer is None:
        return
    drawer.kill()
    drawer.wait()
    if sending is not None:
        sending.join()  # its write fails on the closed pipe, and it ends


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
    requests, answers = source or sys.stdin.buffer, sink or sys.stdout.buffer
    plots.prepare()
    drawn: dict[str, tuple[ExchangeTimeline, str]] = {}
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:  # the run ended without a report
            return
        if request[0] == "late":
            # Likely wanted: a late answer fails a deadline check, whose instance names its exchange.
            for timeline in _late(request[1]):
                drawn[timeline.key] = (timeline, plots.timeline_svg(timeline))
            continue
        _, shown, timelines, articles, load = request
        ready = {key: svg for key, (timeline, svg) in drawn.items() if timeline in shown}
        pickle.dump(draw_here(shown, timelines, articles, load, timelines_drawn=ready), answers)
        answers.flush()
        if source is None:
            # The drawing process's work is done, and the harness waits for it to end: the interpreter's
            # teardown (matplotlib's objects, most of a second on a busy machine) is skipped.
            os._exit(0)
        return


def draw_here(shown: list[ExchangeTimeline], timelines: list[ExchangeTimeline], articles: list[ArticleResult],
              load: LoadRun | None, *, timelines_drawn: dict[str, str] | None = None) -> DrawnPictures:
    """Every picture, drawn in this process but for the timelines drawn already (`timelines_drawn`, by key)."""
    ready = timelines_drawn or {}
    return DrawnPictures(timelines={timeline.key: ready.get(timeline.key) or plots.timeline_svg(timeline)
                                    for timeline in shown},
                         matrix=plots.article_matrix_svg(articles) if articles else None,
                         margin=plots.margin_svg(timelines) if timelines else None,
                         load_throughput=plots.load_throughput_svg(load) if load is not None else None,
                         load_margin=plots.load_margin_svg(load) if load is not None else None)
