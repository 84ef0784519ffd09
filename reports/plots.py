"""The report's pictures, as inline SVG (text kept as text, no external assets): drawn with matplotlib, but
for the article matrix and the deadline margins, written directly.

- `timeline_svg`: one incoming request in the receiving state's local time: receipt, the Art 5(1) due
  time under each reading (the judged one solid), the Art 6(3) §2 suspension, delay notices, the
  answer and the copies; night, weekends, public holidays and clock changes shaded; lateness in red.
- `article_matrix_svg`: articles by outcome (how many requirements of each article have each outcome).
- `margin_svg`: how much of its limit each answered request used; over 100 % is late.
- `load_throughput_svg`, `load_margin_svg`: a load run's throughput over wall time and deadline margin
  over network time (the load section, and load-report.html beside a load run).

Only these are drawn, and the report asks for timelines only where a check failed or warned, so that
writing a report stays fast. Figures are closed as soon as they are written.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from reports.load_run import LoadRun
from reports.results import ArticleResult, ExchangeTimeline, Outcome

__all__ = ["OUTCOME_COLOURS", "article_matrix_svg", "load_margin_svg", "load_throughput_svg", "margin_svg",
           "prepare", "timeline_svg"]

OUTCOME_COLOURS: dict[Outcome, str] = {
    Outcome.FAILED: "#b3261e",
    Outcome.ACCEPTED_DEVIATION: "#8e5bb5",
    Outcome.WARNING: "#e0a030",
    Outcome.INCONCLUSIVE: "#9a86c4",
    Outcome.PASSED: "#3b8f50",
    Outcome.NOT_APPLICABLE: "#b0b6bb",
    Outcome.DECLARATION: "#d5d9dc",
}
_LATE = "#b3261e"
_NIGHT_START, _NIGHT_END = time(22, 0), time(6, 0)
_LANES = ("request", "clarification", "delay notice", "answer", "copy / other")


@cache
def _matplotlib() -> Any:
    # Imported on first use: a report without pictures (or --help) never pays for matplotlib. Figures are
    # made without pyplot (no global figure registry, nothing to close, no GUI backend looked up).
    import matplotlib

    matplotlib.rcParams.update({
        "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
        "svg.hashsalt": "spoc-harness",  # stable ids, so the same run gives the same report
        "font.size": 9,
        "font.family": "sans-serif",
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
    return matplotlib


def prepare() -> None:
    """Import matplotlib and draw a first figure (fonts, the SVG backend): what the first picture of a
    process pays on top of its drawing, about a second (three on a first run, which builds the font cache)."""
    figure, axes = _figure(1, 1, left=0.1, right=0.1, bottom=0.1, top=0.1)
    axes.text(0.5, 0.5, "prepared")
    _svg(figure)


def _figure(width: float, height: float, left: float, right: float, bottom: float, top: float) -> tuple[Any, Any]:
    """A figure with one axes, margins in inches (fixed, so no second layout pass is needed)."""
    _matplotlib()
    # Start-up time: matplotlib loads only when a picture is drawn.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    return figure, figure.add_subplot()


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prolog or DOCTYPE inside the HTML


def _lane(event_kind: str) -> int:
    if event_kind in ("request",):
        return 0
    if event_kind.startswith("clarification"):
        return 1
    if event_kind == "delay_notice":
        return 2
    if event_kind in ("answer", "reply", "refusal"):
        return 3
    return 4


def _span(timeline: ExchangeTimeline) -> tuple[datetime, datetime]:
    moments = [e.at for e in timeline.events] + list(timeline.due.values())
    if timeline.received_at is not None:
        moments.append(timeline.received_at)
    start, end = min(moments), max(moments)
    pad = max(timedelta(hours=1), (end - start) * 0.06)
    return start - pad, end + pad


def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first, last = start.astimezone(zone).date() - timedelta(days=1), end.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def _shade_calendar(axes: Any, start: datetime, end: datetime, zone: ZoneInfo, holidays: set[str]) -> None:
    labelled: set[str] = set()

    def band(left: datetime, right: datetime, colour: str, label: str, alpha: float) -> None:
        left, right = max(left, start), min(right, end)
        if left < right:
            axes.axvspan(left, right, color=colour, alpha=alpha, lw=0,
                         label=None if label in labelled else label, zorder=0)
            labelled.add(label)

    for day in _local_days(start, end, zone):
        midnight, next_midnight = _at(day, time(0), zone), _at(day + timedelta(days=1), time(0), zone)
        if day.isoformat() in holidays:
            band(midnight, next_midnight, "#f2c14e", "public holiday", 0.25)
        elif day.weekday() >= 5:
            band(midnight, next_midnight, "#9ecae1", "weekend", 0.25)
        band(_at(day, _NIGHT_START, zone), _at(day + timedelta(days=1), _NIGHT_END, zone), "#3f4a5a", "night", 0.12)
    _mark_clock_changes(axes, start, end, zone)


def _mark_clock_changes(axes: Any, start: datetime, end: datetime, zone: ZoneInfo) -> None:
    moment = start.replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        moment += timedelta(hours=1)
        now = moment.astimezone(zone).utcoffset()
        if now != offset:
            axes.axvline(moment, color="#6a3d9a", ls="-.", lw=1.2, zorder=1)
            axes.annotate(f"clock change {_hours(offset)}→{_hours(now)}", (moment, len(_LANES) - 0.45),
                          color="#6a3d9a", fontsize=8, ha="left", va="top", xytext=(3, 0),
                          textcoords="offset points")
            offset = now


def _hours(offset: timedelta | None) -> str:
    hours = (offset or timedelta(0)).total_seconds() / 3600
    return f"UTC{hours:+.0f}"


def timeline_svg(timeline: ExchangeTimeline) -> str:
    """The exchange's timeline as an inline SVG element."""
    _matplotlib()
    # Start-up time: matplotlib loads only when a picture is drawn.
    import matplotlib.dates as mdates

    zone = ZoneInfo(timeline.timezone)
    start, end = _span(timeline)
    figure, axes = _figure(11, 3.0, left=1.1, right=2.1, bottom=0.75, top=0.35)
    _shade_calendar(axes, start, end, zone, set(timeline.public_holidays))
    for suspension in timeline.suspensions:
        axes.axvspan(suspension.start, suspension.end, ymin=0.05, ymax=0.95, facecolor="none", hatch="///",
                     edgecolor="#7a7a7a", lw=0, label="suspended (Art 6(3) §2)", zorder=1)
    judged_due = timeline.due.get(timeline.reading)
    for reading, due in sorted(timeline.due.items()):
        judged = reading == timeline.reading
        axes.axvline(due, color="#202124", ls="-" if judged else ":", lw=1.6 if judged else 1.1, zorder=2,
                     label=f"due ({reading}{', judged' if judged else ', other reading'})")
    answered = timeline.answered_at
    if answered is not None and judged_due is not None and answered > judged_due:
        axes.axvspan(judged_due, answered, color=_LATE, alpha=0.22, lw=0, zorder=1,
                     label=f"late by {_delta(answered - judged_due)}")
    for event in timeline.events:
        lane = _lane(event.kind)
        late = event.kind == "answer" and judged_due is not None and event.at > judged_due
        axes.plot([event.at], [lane], marker="D" if event.kind == "answer" else "o", ms=8 if late else 6,
                  color=_LATE if late else "#1f4e79", zorder=3, ls="none")
        axes.annotate(event.message_id or event.kind, (event.at, lane), xytext=(4, 5), textcoords="offset points",
                      fontsize=7, color=_LATE if late else "#3c4043")
    if timeline.received_at is not None:
        axes.axvline(timeline.received_at, color="#1f4e79", lw=1, ls="--", zorder=2, label="receipt")
    axes.set_yticks(range(len(_LANES)), _LANES)
    axes.set_ylim(-0.6, len(_LANES) - 0.4)
    axes.set_xlim(start, end)
    locator = mdates.AutoDateLocator(tz=zone, minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b\n%H:%M", tz=zone))  # type: ignore[no-untyped-call]
    axes.set_xlabel(f"local time of the receiving state ({timeline.timezone})")
    verdict = f"late by {_delta(answered - judged_due)}" if (
        answered and judged_due and answered > judged_due) else "in time" if answered else "no answer"
    axes.set_title(f"{timeline.key}: {verdict}", loc="left", fontsize=10,
                   color=_LATE if verdict.startswith("late") else "#202124")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    axes.grid(axis="x", color="#e0e0e0", lw=0.5)
    return _svg(figure)


def _delta(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes
                                                                                    else [])
    return " ".join(parts) or "0 min"


_MATRIX_OUTCOMES = (Outcome.FAILED, Outcome.ACCEPTED_DEVIATION, Outcome.WARNING, Outcome.INCONCLUSIVE,
                    Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.DECLARATION)


def article_matrix_svg(articles: Sequence[ArticleResult]) -> str:
    """Articles (rows) by outcome (columns): how many of each article's requirements have each outcome.

    Written as SVG directly, not with matplotlib: a grid of cells and labels needs no layout engine, and this
    picture is drawn once the checks have run, on the way to the report (a millisecond instead of a few
    hundred)."""
    rows = list(articles)
    labels = [f"{a.article} {a.title or ''}".strip()[:48] for a in rows]
    # Sizes in points (1/72 inch), as the other pictures' SVG gives them.
    left = 72 * (0.3 + 0.065 * max((len(label) for label in labels), default=6))
    cell_width, cell_height, top, bottom = 72 * 4.5 / len(_MATRIX_OUTCOMES), 72 * 0.26, 25.0, 68.0
    width, height = left + cell_width * len(_MATRIX_OUTCOMES) + 7.2, top + cell_height * len(rows) + bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.1f}pt" height="{height:.1f}pt" '
             f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="sans-serif" font-size="9" fill="#202124">',
             f'<text x="{left:.1f}" y="{top - 9:.1f}" font-size="10">Requirements by article and outcome</text>']
    for y, (article, label) in enumerate(zip(rows, labels, strict=True)):
        middle = top + cell_height * (y + 0.5)
        parts.append(f'<text x="{left - 4:.1f}" y="{middle + 3:.1f}" text-anchor="end">{escape(label)}</text>')
        for x, outcome in enumerate(_MATRIX_OUTCOMES):
            count = article.counts.get(outcome)
            fill = f'fill="{OUTCOME_COLOURS[outcome]}" fill-opacity="0.95"' if count else 'fill="none"'
            parts.append(f'<rect x="{left + cell_width * x + 0.5:.1f}" y="{top + cell_height * y + 0.5:.1f}" '
                         f'width="{cell_width - 1:.1f}" height="{cell_height - 1:.1f}" {fill} stroke="#e3e5e8" '
                         'stroke-width="0.6"/>')
            if count:
                dark = outcome in (Outcome.FAILED, Outcome.ACCEPTED_DEVIATION, Outcome.PASSED)
                parts.append(f'<text x="{left + cell_width * (x + 0.5):.1f}" y="{middle + 3:.1f}" '
                             f'text-anchor="middle" font-size="8" font-weight="bold" '
                             f'fill="{"white" if dark else "#202124"}">{count}</text>')
    base = top + cell_height * len(rows) + 10
    for x, outcome in enumerate(_MATRIX_OUTCOMES):
        centre = left + cell_width * (x + 0.5)
        parts.append(f'<text x="{centre:.1f}" y="{base:.1f}" text-anchor="end" '
                     f'transform="rotate(-25 {centre:.1f} {base:.1f})">{outcome.value.replace("_", " ")}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _tick_step(span: float, most: int = 8) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving at most `most` intervals over `span`."""
    magnitude = 10 ** math.floor(math.log10(span / most)) if span > 0 else 1.0
    return next(magnitude * factor for factor in (1, 2, 2.5, 5, 10) if span / (magnitude * factor) <= most)


def margin_svg(timelines: Sequence[ExchangeTimeline]) -> str | None:
    """Share of its Art 5(1) limit each answered request used (judged reading); None when none was answered.

    Written as SVG directly, as the article matrix is: bars on one scale need no layout engine, and so a run
    whose report shows no exchange's timeline never loads matplotlib at all."""
    used: list[tuple[str, float]] = []
    for timeline in timelines:
        due = timeline.due.get(timeline.reading)
        if timeline.answered_at is None or due is None or timeline.received_at is None:
            continue
        limit = (due - timeline.received_at).total_seconds()
        if limit > 0:
            used.append((timeline.key, 100 * (timeline.answered_at - timeline.received_at).total_seconds() / limit))
    if not used:
        return None
    used.sort(key=lambda pair: pair[1])
    # Sizes in points (1/72 inch): 7.5 in wide, a fifth of an inch a request; the largest share at the top.
    # The labels' column as wide as the longest label needs (about 3.9 pt a character at 7 pt).
    left = max(165.6, 8 + 3.9 * max(len(key) for key, _ in used))
    row, right, top, bottom = 14.4, 14.4, 25.2, 50.4
    width, height = left + 360.0, top + row * (len(used) + 0.4) + bottom
    plot_width = width - left - right
    highest = max(110.0, max(share for _, share in used) * 1.05)

    def x_of(share: float) -> float:
        return left + plot_width * share / highest

    axis_y = top + row * (len(used) + 0.4)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.1f}pt" height="{height:.1f}pt" '
             f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="sans-serif" font-size="9" fill="#202124">',
             f'<text x="{left:.1f}" y="{top - 9:.1f}" font-size="10">Deadline margin per answered request</text>']
    for number, (key, share) in enumerate(reversed(used)):
        middle = top + row * (number + 0.7)
        colour = _LATE if share > 100 else "#e0a030" if share > 90 else "#3b8f50"
        parts.append(f'<text x="{left - 4:.1f}" y="{middle + 2.5:.1f}" text-anchor="end" font-size="7">'
                     f'{escape(key)}</text>')
        parts.append(f'<rect x="{left:.1f}" y="{middle - 4.5:.1f}" width="{x_of(share) - left:.2f}" height="9" '
                     f'fill="{colour}"><title>{escape(key)}: {share:.1f} %</title></rect>')
    step = _tick_step(highest)
    parts.append(f'<line x1="{left:.1f}" y1="{axis_y:.1f}" x2="{width - right:.1f}" y2="{axis_y:.1f}" '
                 'stroke="#202124" stroke-width="0.8"/>')
    parts.append(f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{axis_y:.1f}" stroke="#202124" '
                 'stroke-width="0.8"/>')
    for index in range(int(highest // step) + 1):
        tick = x_of(index * step)
        parts.append(f'<line x1="{tick:.1f}" y1="{axis_y:.1f}" x2="{tick:.1f}" y2="{axis_y + 3.5:.1f}" '
                     'stroke="#202124" stroke-width="0.8"/>')
        parts.append(f'<text x="{tick:.1f}" y="{axis_y + 13:.1f}" text-anchor="middle">{index * step:g}</text>')
    limit_x = x_of(100)
    parts.append(f'<line x1="{limit_x:.1f}" y1="{top:.1f}" x2="{limit_x:.1f}" y2="{axis_y:.1f}" stroke="#202124" '
                 'stroke-width="1.2"/>')
    parts.append(f'<text x="{limit_x + 3:.1f}" y="{top + 8:.1f}" font-size="8">limit</text>')
    parts.append(f'<text x="{left + plot_width / 2:.1f}" y="{axis_y + 30:.1f}" text-anchor="middle">share of the '
                 'Art 5(1) limit used before the answer (%); over 100 % is late</text>')
    parts.append("</svg>")
    return "\n".join(parts)


_CLASS_COLOURS = ("#1f4e79", "#e0a030", "#3b8f50", "#8e5bb5", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def load_throughput_svg(run: LoadRun) -> str | None:
    """Requests accepted and answers seen per wall second over the load run; None when nothing was sent."""
    if not run.throughput:
        return None
    _matplotlib()
    figure, axes = _figure(9, 2.8, left=0.8, right=1.9, bottom=0.6, top=0.35)
    seconds = [point.second for point in run.throughput]
    axes.step(seconds, [point.accepted for point in run.throughput], where="post", color="#1f4e79", lw=1.4,
              label="requests accepted / s")
    axes.step(seconds, [point.answered for point in run.throughput], where="post", color="#3b8f50", lw=1.4,
              label="answers seen / s")
    axes.axhline(run.offered_exchanges_per_second, color="#7a7a7a", ls=":", lw=1,
                 label=f"offered, mean {run.offered_exchanges_per_second:g} / s")
    axes.set_xlabel("wall seconds since the first exchange")
    axes.set_ylabel("per wall second")
    axes.set_ylim(bottom=0)
    axes.set_title("Throughput", loc="left", fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    axes.grid(axis="y", color="#e0e0e0", lw=0.5)
    return _svg(figure)


def load_margin_svg(run: LoadRun) -> str | None:
    """Network hours left before the Art 5(1) limit at each answer, over network time, by request class."""
    if not run.margins:
        return None
    _matplotlib()
    figure, axes = _figure(9, 3.0, left=0.8, right=1.9, bottom=0.6, top=0.35)
    classes = sorted({point.request_class for point in run.margins})
    for index, name in enumerate(classes):
        points = [p for p in run.margins if p.request_class == name]
        axes.scatter([p.network_hours for p in points], [p.margin_hours for p in points], s=9,
                     color=_CLASS_COLOURS[index % len(_CLASS_COLOURS)], label=name, zorder=3)
    late = [p for p in run.margins if p.margin_hours < 0]
    if late:
        axes.scatter([p.network_hours for p in late], [p.margin_hours for p in late], s=30, facecolors="none",
                     edgecolors=_LATE, linewidths=1.2, label=f"late ({len(late)})", zorder=4)
    axes.axhline(0, color=_LATE, ls="--", lw=1.1)
    axes.annotate("limit", (0, 0), xycoords=("axes fraction", "data"), xytext=(2, 3), textcoords="offset points",
                  fontsize=8, color=_LATE)
    axes.set_xlabel("network hours since the first receipt")
    axes.set_ylabel("hours left at the answer")
    title = "Deadline margin (Art 5(1), network time)"
    axes.set_title(title + (": smallest per class and time bin" if run.margins_binned else ""), loc="left",
                   fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    axes.grid(axis="y", color="#e0e0e0", lw=0.5)
    return _svg(figure)
