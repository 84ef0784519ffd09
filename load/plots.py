"""load-report.html: the load run in one self-contained page (inline SVG, no script, no external file).

Two plots and the figures of load-results.json:
- throughput over wall time: requests the channel accepted from the users, and final answers the
  users saw, per wall second (from the users' own record);
- deadline margin over network time: for every judged answer, the network hours left before its
  Art 5(1) limit (below zero: late), by request class, from the journal.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["write_report"]

_W, _H, _PAD = 720, 260, 48
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")


def _axis(x_label: str, y_label: str, y_min: float, y_max: float) -> list[str]:
    parts = [f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - 10}" y2="{_H - _PAD}" stroke="#444"/>',
             f'<line x1="{_PAD}" y1="10" x2="{_PAD}" y2="{_H - _PAD}" stroke="#444"/>',
             f'<text x="{_W // 2}" y="{_H - 8}" text-anchor="middle">{html.escape(x_label)}</text>',
             f'<text x="12" y="{_H // 2}" transform="rotate(-90 12 {_H // 2})" text-anchor="middle">'
             f"{html.escape(y_label)}</text>"]
    for value in (y_min, (y_min + y_max) / 2, y_max):
        y = _y(value, y_min, y_max)
        parts.append(f'<text x="{_PAD - 4}" y="{y + 4:.1f}" text-anchor="end">{value:.1f}</text>')
    return parts


def _x(value: float, low: float, high: float) -> float:
    return _PAD + (value - low) / ((high - low) or 1) * (_W - _PAD - 20)


def _y(value: float, low: float, high: float) -> float:
    return _H - _PAD - (value - low) / ((high - low) or 1) * (_H - _PAD - 20)


def throughput_svg(sent: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]]) -> str:
    stamps = [float(r["wall_accepted"]) for r in sent] + [float(a["wall_seen"]) for a in answers]
    if not stamps:
        return "<p>No exchanges were recorded.</p>"
    start = min(stamps)
    series = {"accepted requests/s": Counter(int(float(r["wall_accepted"]) - start) for r in sent),
              "answers seen/s": Counter(int(float(a["wall_seen"]) - start) for a in answers)}
    last = max(int(s - start) for s in stamps)
    top = max(max(c.values(), default=0) for c in series.values()) or 1
    parts = _axis("wall seconds since the first exchange", "per second", 0, float(top))
    for colour, (name, counts) in zip(_COLOURS, series.items(), strict=False):
        points = " ".join(f"{_x(t, 0, last):.1f},{_y(counts.get(t, 0), 0, top):.1f}" for t in range(last + 1))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        parts.append(f'<text x="{_W - 200}" y="{20 + 14 * list(series).index(name)}" fill="{colour}">'
                     f"{html.escape(name)}</text>")
    return f'<svg width="{_W}" height="{_H}" role="img" aria-label="throughput">{"".join(parts)}</svg>'


def margin_svg(points: Sequence[tuple[datetime, str, float]]) -> str:
    if not points:
        return "<p>No answer was judged.</p>"
    start = min(p[0] for p in points)
    xs = [(p[0] - start).total_seconds() / 3600 for p in points]
    ys = [p[2] / 3600 for p in points]
    low, high = min([*ys, 0.0]), max([*ys, 1.0])
    parts = _axis("network hours since the first receipt", "hours left at the answer", low, high)
    zero = _y(0, low, high)
    parts.append(f'<line x1="{_PAD}" y1="{zero:.1f}" x2="{_W - 10}" y2="{zero:.1f}" stroke="#d62728" '
                 'stroke-dasharray="4 3"/>')
    classes = sorted({p[1] for p in points})
    for (x, y, point) in zip(xs, ys, points, strict=True):
        colour = _COLOURS[classes.index(point[1]) % len(_COLOURS)]
        parts.append(f'<circle cx="{_x(x, 0, max(xs) or 1):.1f}" cy="{_y(y, low, high):.1f}" r="2.5" '
                     f'fill="{colour}"><title>{html.escape(point[1])}: {y:.2f} h</title></circle>')
    for index, name in enumerate(classes):
        parts.append(f'<text x="{_W - 200}" y="{20 + 14 * index}" fill="{_COLOURS[index % len(_COLOURS)]}">'
                     f"{html.escape(name)}</text>")
    return f'<svg width="{_W}" height="{_H}" role="img" aria-label="deadline margin">{"".join(parts)}</svg>'


def write_report(
    path: Path, results: Mapping[str, Any], sent: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]],
    points: Sequence[tuple[datetime, str, float]],
) -> None:
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(d.get('basis') or '-'))}</td>"
        + "".join(f"<td>{d.get(k, 0)}</td>" for k in ("met", "late", "open", "recorded"))
        + f"<td>{d.get('margin_hours_min') if d.get('margin_hours_min') is not None else '-'}</td></tr>"
        for name, d in sorted(results["deadlines"].items()))
    figures = "".join(f"<li>{html.escape(k.replace('_', ' '))}: {html.escape(str(results[k]))}</li>" for k in (
        "verdict", "offered_exchanges_per_second", "achieved_exchanges_per_second", "lost", "duplicated", "late",
        "open", "errors", "speed", "users", "workers", "profile"))
    reasons = "".join(f"<li>{html.escape(str(r))}</li>" for r in results["reasons"])
    path.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Load test: {html.escape(str(results['verdict']))}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}td,th{{border:1px solid #ccc;padding:2px 6px}}
table{{border-collapse:collapse}}svg{{font-size:11px;border:1px solid #eee}}</style></head><body>
<h1>Load test of {html.escape(str(results['sut']))} ({html.escape(str(results['state']))}):
{html.escape(str(results['verdict']))}</h1><ul>{reasons}</ul><ul>{figures}</ul>
<h2>Throughput</h2>{throughput_svg(sent, answers)}
<h2>Deadline margin (Art 5(1), network time)</h2>{margin_svg(points)}
<h2>Deadlines per request class</h2><table><tr><th>class</th><th>limit</th><th>met</th><th>late</th><th>open</th>
<th>recorded</th><th>smallest margin (h)</th></tr>{rows}</table>
<p>Locust's own report: <a href="locust.html">locust.html</a>; figures: load-results.json.</p>
</body></html>""", encoding="utf-8")
