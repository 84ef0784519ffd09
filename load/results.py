"""load-results.json: the figures of one load run and its verdict.

- asked exchanges/s: what the options ask for: users / pacing, with a profile the mean over the run of the
  users it shapes / pacing (load/shapes.py);
- offered exchanges/s: sends the users attempted (accepted + failed) per second of their sending window
  (`send_window_seconds`): from the first send to the last plus one pacing interval, the turn the last send
  began. N users sending every P seconds for D seconds make N x (D/P + 1) sends (a send opens each turn, the
  first at once), so dividing by D, or by locust's whole seconds with users (`load_wall_seconds`), offered
  more than was asked (a run asked 80/s "offered" 96/s); per turn it is N / P;
- achieved exchanges/s: sends the channel accepted and the SUT acknowledged, per second of the same window;
- latency: acknowledgement (channel delivery to the SUT's ack) and final answer (SUT's receipt to the
  answer's acceptance), p50/p95/p99, in network seconds from the journal; wall seconds for acks as
  network / speed (the scaled clock's ratio while it is not moved), for answers as the users saw them;
- deadlines per request class (met / late / open / recorded), from the journal, beside locust's own
  `DEADLINE` events (what the users judged while they ran);
- lost, duplicated, late, open and errors (failed HTTP calls of the users), with the first findings.

The verdict is PASS only when nothing was lost or duplicated, no deadline was missed, nothing was left
open, and the journal's hash chain verifies.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from load.reconcile import Reconciliation
from load.shapes import base_users, profile_factor

if TYPE_CHECKING:
    from load.options import LoadOptions

__all__ = ["asked_per_second", "build_results", "locust_rows", "plot_series", "send_window"]

_MAX_THROUGHPUT_POINTS = 300
_MAX_MARGIN_POINTS = 2000
_MARGIN_BINS = 200


def locust_rows(csv_prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{csv_prefix}_stats.csv")
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def users_seconds(csv_prefix: Path, fallback: float) -> float:
    """Wall seconds during which users ran (locust's history: first to last row with users), else `fallback`.

    The rates are per second of load, not of start-up (a distributed master waits for its workers)."""
    path = Path(f"{csv_prefix}_stats_history.csv")
    if not path.exists():
        return fallback
    with path.open(encoding="utf-8", newline="") as handle:
        stamps = [int(row["Timestamp"]) for row in csv.DictReader(handle)
                  if row.get("Name") == "Aggregated" and int(row.get("User Count") or 0) > 0]
    return float(max(stamps) - min(stamps) + 1) if stamps else fallback


def asked_per_second(options: LoadOptions, samples: int = 1000) -> float:
    """The exchange rate the options ask for: users / pacing, the users over the run as the profile shapes them."""
    base = options.users or base_users(speed=options.speed, peak_factor=options.peak_factor, pacing=options.pacing)
    if not options.profile or options.duration <= 0:
        return base / options.pacing
    moments = (options.duration * index / samples for index in range(samples))
    users = [max(1, round(base * profile_factor(options.profile, run_seconds=moment, duration=options.duration,
                                                speed=options.speed))) for moment in moments]
    return sum(users) / len(users) / options.pacing


def send_window(sent: Sequence[Mapping[str, Any]], pacing: float, fallback: float) -> float:
    """Wall seconds the users' sends cover: first send to last, plus the pacing interval the last one began."""
    stamps = [float(record["wall_sent"]) for record in sent if record.get("wall_sent") is not None]
    if not stamps:
        return fallback
    return max(stamps) - min(stamps) + pacing


def _deadline_events(rows: Sequence[Mapping[str, str]]) -> dict[str, dict[str, int]]:
    return {row["Name"]: {"events": int(row["Request Count"]), "failures": int(row["Failure Count"])}
            for row in rows if row.get("Type") == "DEADLINE"}


def build_results(
    *, options: LoadOptions, reconciliation: Reconciliation, run_seconds: float, sent: Sequence[Mapping[str, Any]],
    answer_wall: Mapping[str, Any], chaos: Sequence[Mapping[str, Any]], csv_prefix: Path,
) -> dict[str, Any]:
    rows = locust_rows(csv_prefix)
    load_seconds = users_seconds(csv_prefix, run_seconds)
    sends = [r for r in rows if r.get("Name", "").startswith("send ")]
    # Accepted sends as the users recorded them (locust's CSV may be written before the last one ends),
    # plus the attempts that failed.
    offered = len(sent) + sum(int(r["Failure Count"]) for r in sends)
    window = send_window(sent, options.pacing, load_seconds)
    errors = sum(int(r["Failure Count"]) for r in rows if r.get("Type") not in ("DEADLINE", "") and
                 r.get("Name") != "Aggregated")
    summary = reconciliation.summary(options.speed)
    latency = summary.pop("latency")
    latency["answer_wall_seconds"] = dict(answer_wall)
    deadlines = summary.pop("deadlines")
    for name, events in _deadline_events(rows).items():
        deadlines.setdefault(name, {})["locust_events"] = events
    reasons = [f"{summary[key]} {key}" for key in ("lost", "duplicated", "late", "open") if summary[key]]
    if not summary["journal_chain"]["ok"]:
        reasons.append(f"journal chain does not verify: {summary['journal_chain']['detail']}")
    return {
        "tool": "spoc-harness load",
        "sut": options.sut, "state": options.state, "defects": options.defects, "profile": options.profile,
        "users": options.users, "workers": options.workers, "duration_seconds": options.duration,
        "run_wall_seconds": round(run_seconds, 2), "speed": options.speed, "seed": options.seed,
        "pacing_seconds": options.pacing, "peak_factor": options.peak_factor,
        "load_wall_seconds": load_seconds,
        "send_window_seconds": round(window, 3),
        "asked_exchanges_per_second": round(asked_per_second(options), 3),
        "offered_exchanges_per_second": round(offered / window, 3) if window else 0.0,
        "achieved_exchanges_per_second": round(summary["acknowledged"] / window, 3) if window else 0.0,
        "sent_by_users": len(sent),
        **summary,
        "errors": errors,
        "latency": latency,
        "deadlines": deadlines,
        "chaos": list(chaos),
        "verdict": "FAIL" if reasons else "PASS",
        "reasons": reasons or ["nothing lost or duplicated, every deadline met, the journal chain verifies"],
        "files": {"locust_csv": f"{csv_prefix.name}_stats.csv",
                  "locust_history": f"{csv_prefix.name}_stats_history.csv",
                  "locust_html": f"{csv_prefix.name}.html", "locust_log": "locust.log"},
    }


def plot_series(
    sent: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]],
    margin_points: Sequence[tuple[datetime, str, float]],
) -> dict[str, Any]:
    """load-results.json `series`: what the load report and the campaign report's load section plot.

    Throughput from the users' own record (requests accepted, answers seen, per wall second; in wider
    bins for a long run); margins from the reconciliation (network hours since the first receipt, hours
    left at the answer). A long run keeps, per class and time bin, the smallest margin: the one that
    matters for a deadline, and a bounded results.json."""
    stamps = [float(r["wall_accepted"]) for r in sent] + [float(a["wall_seen"]) for a in answers]
    throughput: list[dict[str, float]] = []
    if stamps:
        start = min(stamps)
        span = max(stamps) - start
        width = max(1, int(span // _MAX_THROUGHPUT_POINTS) + 1)
        accepted = Counter(int((float(r["wall_accepted"]) - start) // width) for r in sent)
        answered = Counter(int((float(a["wall_seen"]) - start) // width) for a in answers)
        throughput = [{"second": float(b * width), "accepted": accepted.get(b, 0) / width,
                       "answered": answered.get(b, 0) / width} for b in range(int(span // width) + 1)]
    margins: list[dict[str, Any]] = []
    binned = len(margin_points) > _MAX_MARGIN_POINTS
    if margin_points:
        first = min(p[0] for p in margin_points)
        hours = [((received - first).total_seconds() / 3600, name, margin / 3600)
                 for received, name, margin in margin_points]
        if binned:
            width_h = (max(h for h, _, _ in hours) or 1.0) / _MARGIN_BINS
            smallest: dict[tuple[int, str], tuple[float, float]] = {}
            for at, name, margin in hours:
                key = (int(at // width_h), name)
                if key not in smallest or margin < smallest[key][1]:
                    smallest[key] = (at, margin)
            hours = [(at, name, margin) for (_, name), (at, margin) in sorted(smallest.items())]
        margins = [{"network_hours": round(at, 4), "request_class": name, "margin_hours": round(margin, 4)}
                   for at, name, margin in hours]
    return {"throughput": throughput, "margins": margins, "margins_binned": binned}
