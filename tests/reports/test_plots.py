"""The report's pictures: a late exchange's timeline, linked from its failed instance and drawn inline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from reports.html import render_html
from reports.plots import margin_svg, timeline_svg
from reports.results import ExchangeTimeline, InstanceFinding, Outcome, RunResults, TimelineEvent, VirtualTime
from tests.reports.conftest import HOSTILE

RECEIVED = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # Sun 29 Mar 01:30 CET, half an hour before the clock change


def _timeline(key: str = "incoming.urgent-direct-dst", answered_after: timedelta = timedelta(hours=24),
              ) -> ExchangeTimeline:
    answered = RECEIVED + answered_after
    return ExchangeTimeline(
        key=key, scenario="incoming", title="urgent request at night across the clock change", labels=["night", "dst"],
        timezone="Europe/Vienna", counterpart="SPOC-CZ", urgent=True, availability="DIRECT", received_at=RECEIVED,
        due={"elapsed": RECEIVED + timedelta(hours=8), "reg1182": RECEIVED + timedelta(hours=8, minutes=30)},
        reading="elapsed",
        suspensions=[VirtualTime.between(RECEIVED + timedelta(hours=1), RECEIVED + timedelta(hours=2))],
        answered_at=answered, margin_seconds=(RECEIVED + timedelta(hours=8) - answered).total_seconds(),
        events=[TimelineEvent(at=RECEIVED, kind="request", label="request", message_id="SIENA-1"),
                TimelineEvent(at=answered, kind="answer", label="reply", message_id="SIENA-2")],
        public_holidays=["2026-03-30"],
    )


def test_a_late_timeline_shows_the_lateness_the_clock_change_and_the_calendar() -> None:
    svg = timeline_svg(_timeline())
    assert svg.startswith("<svg")
    assert "late by 16 h" in svg
    assert "clock change UTC+1→UTC+2" in svg
    for shaded in ("night", "weekend", "public holiday", "suspended (Art 6(3) §2)", "due (elapsed, judged)",
                   "due (reg1182, other reading)"):
        assert shaded in svg, shaded


def test_an_answer_in_time_is_not_drawn_as_late() -> None:
    svg = timeline_svg(_timeline(answered_after=timedelta(hours=2)))
    assert "late by" not in svg
    assert "in time" in svg


def test_margins_put_late_answers_past_the_limit() -> None:
    svg = margin_svg([_timeline(), _timeline("other", timedelta(hours=4))])
    assert svg is not None
    assert "share of the Art 5(1) limit used" in svg
    assert margin_svg([]) is None


def test_each_failed_instance_links_to_its_drawn_timeline_and_run_data_stays_escaped(
    sample_results: RunResults,
) -> None:
    key = f"incoming.{HOSTILE}"
    failed = next(c for c in sample_results.checks if c.outcome is Outcome.FAILED)
    failed.instances = [InstanceFinding(instance=key, outcome=Outcome.FAILED, observed="late", rule="Art 5(1)(a)")]
    sample_results.timelines = [_timeline(key), _timeline("passed-exchange", timedelta(hours=1))]
    page = render_html(sample_results)
    assert "<script" not in page.lower()
    anchors = re.findall(r'<a class="tl-link" href="#(tl-[^"]+)"', page)
    assert anchors
    assert all(f'<figure class="plot" id="{anchor}">' in page for anchor in anchors)
    assert page.count("<svg") == 3  # the matrix, the margins and the one failed exchange; no passed timeline
    assert page.index('id="what-failed"') < page.index('id="timelines"')


def test_article_matrix_is_a_grid_of_counts_with_escaped_labels(sample_results: RunResults) -> None:
    from reports.plots import article_matrix_svg

    article = sample_results.articles[0]
    hostile = article.model_copy(update={"title": HOSTILE})
    svg = article_matrix_svg([hostile, *sample_results.articles[1:]])
    assert svg.startswith("<svg ")
    assert svg.endswith("</svg>")
    assert HOSTILE not in svg
    assert "&lt;script&gt;" in svg
    cells = re.findall(r"<rect ", svg)
    assert len(cells) == 7 * len(sample_results.articles)
    counts = re.findall(r'font-weight="bold" fill="[^"]+">(\d+)</text>', svg)
    assert sum(map(int, counts)) == sum(a.counts.total for a in sample_results.articles)


def test_pictures_drawn_while_the_checks_run_are_those_drawn_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import pickle

    from reports import drawing, plots

    late, in_time = _timeline(), _timeline("incoming.in-time", answered_after=timedelta(hours=2))
    drawn_keys: list[str] = []
    draw = plots.timeline_svg
    monkeypatch.setattr(plots, "timeline_svg", lambda timeline: drawn_keys.append(timeline.key) or draw(timeline))
    requests = io.BytesIO(pickle.dumps(("late", [late, in_time])) + pickle.dumps(("all", [late], [late, in_time],
                                                                                  [], None)))
    answer = io.BytesIO()
    drawing.serve(requests, answer)
    assert drawn_keys == [late.key]  # the late exchange's timeline, once, while the checks ran
    assert pickle.loads(answer.getvalue()) == drawing.draw_here([late], [late, in_time], [], None)


def test_late_answers_start_the_drawer_whose_pictures_are_the_ones_drawn_here(sample_results: RunResults) -> None:
    from reports import drawing

    key = f"incoming.{HOSTILE}"
    failed = next(c for c in sample_results.checks if c.outcome is Outcome.FAILED)
    failed.instances = [InstanceFinding(instance=key, outcome=Outcome.FAILED, observed="late", rule="Art 5(1)(a)")]
    sample_results.timelines = [_timeline(key), _timeline("in-time", timedelta(hours=1))]
    here = render_html(sample_results)
    drawing.draw_late_early(sample_results.timelines)
    drawer = drawing._drawer
    assert drawer is not None  # a late answer: its timeline will be drawn, and matplotlib loads meanwhile
    prepared = render_html(sample_results)
    assert drawer.wait(30) == 0  # it drew (a process that failed would leave the drawing to this one)
    assert drawing._drawer is None  # one report per drawer
    assert prepared == here
