"""load-report.html: the load run in one self-contained page (inline SVG, no script, no external file).

The figures of load-results.json and the two plots the campaign report's load section draws too
(reports.plots, matplotlib): throughput over wall time, and the deadline margin of every judged answer
over network time, by request class (below the dashed line: late). A whole-EU run adds a table per state.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports.load_run import LoadRun, load_run_from_results

__all__ = ["write_report"]


def _figure(svg: str | None, missing: str) -> str:
    return svg if svg is not None else f"<p>{html.escape(missing)}</p>"


def _states_table(run: LoadRun) -> str:
    if not run.states:
        return ""
    header = "".join(f"<th>{name}</th>" for name in ("state", "sent", "received", "answered", "late", "lost",
                                                       "duplicated", "open", "answer p50 (network min)",
                                                       "answer p95 (network min)"))

    def minutes(seconds: float | None) -> str:
        return "-" if seconds is None else f"{seconds / 60:.1f}"

    rows = "".join(
        f"<tr><td>{html.escape(state)}</td>"
        + "".join(f"<td>{getattr(f, k)}</td>" for k in ("sent", "received", "answered", "late", "lost", "duplicated",
                                                         "open"))
        + f"<td>{minutes(f.answer_p50_network_seconds)}</td><td>{minutes(f.answer_p95_network_seconds)}</td></tr>"
        for state, f in run.states.items())
    return f"<h2>Per state</h2><table><tr>{header}</tr>{rows}</table>"


def write_report(path: Path, results: Mapping[str, Any]) -> None:
    # Start-up time: matplotlib loads only when the load report draws its pictures.
    from reports.plots import load_margin_svg, load_throughput_svg

    run = load_run_from_results(dict(results), "load-results.json")
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(d.get('basis') or '-'))}</td>"
        + "".join(f"<td>{d.get(k, 0)}</td>" for k in ("met", "late", "open", "recorded"))
        + f"<td>{d.get('margin_hours_min') if d.get('margin_hours_min') is not None else '-'}</td></tr>"
        for name, d in sorted(results["deadlines"].items()))
    figures = "".join(f"<li>{html.escape(k.replace('_', ' '))}: {html.escape(str(results.get(k)))}</li>" for k in (
        "verdict", "asked_exchanges_per_second", "offered_exchanges_per_second", "achieved_exchanges_per_second",
        "lost", "duplicated", "late",
        "open", "errors", "speed", "users", "workers", "profile"))
    reasons = "".join(f"<li>{html.escape(str(r))}</li>" for r in results["reasons"])
    path.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Load test: {html.escape(str(results['verdict']))}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:64em}}td,th{{border:1px solid #ccc;padding:2px 6px}}
table{{border-collapse:collapse}}svg{{max-width:100%;height:auto}}</style></head><body>
<h1>Load test of {html.escape(str(results['sut']))} ({html.escape(str(results['state']))}):
{html.escape(str(results['verdict']))}</h1><ul>{reasons}</ul><ul>{figures}</ul>
<h2>Throughput</h2>{_figure(load_throughput_svg(run), "No exchanges were recorded.")}
<h2>Deadline margin (Art 5(1), network time)</h2>{_figure(load_margin_svg(run), "No answer was judged.")}
<h2>Deadlines per request class</h2><table><tr><th>class</th><th>limit</th><th>met</th><th>late</th><th>open</th>
<th>recorded</th><th>smallest margin (h)</th></tr>{rows}</table>
{_states_table(run)}
<p>Locust's own report: <a href="locust.html">locust.html</a>; figures: load-results.json.</p>
</body></html>""", encoding="utf-8")
