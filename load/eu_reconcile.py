"""Nothing lost in the whole EU (`--sut eu`): the reconciliation of load/reconcile.py for every state, and more.

Per requested state, the requests the other states' operators started are reconciled exactly as a
single SUT's (load/reconcile.py): accepted but not journaled, delivered but in no case, late, open,
answered twice, two cases for one message. The requests are attributed to the state that had to
answer them: its lateness, losses and latency are its own.

Every CMS here is also a requester, so one more rule closes the loop: **every delivery a state's CMS
acknowledged is in one of its case records** (the answers, delay notices and copies it received as
well as the requests), and none is in two of its cases. A finding names the state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from load.reconcile import Reconciliation, percentiles, reconcile
from simulators.model.parties import all_parties

__all__ = ["defects_for", "merge", "reasons_by_state", "reconcile_eu", "state_figures"]


def defects_for(defects: Sequence[str], states: Sequence[str]) -> list[str]:
    """The `--defect` values a process hosting `states` takes: NAME (every state's) and NAME@STATE of its own."""
    return [d for d in defects if "@" not in d or d.partition("@")[2].upper() in states]


def reasons_by_state(reasons: Sequence[str], per_state: Mapping[str, Reconciliation]) -> list[str]:
    """The verdict's reasons, each count followed by the states it is found in: `2 late (DE 2)`."""
    named: list[str] = []
    for reason in reasons:
        count, _, what = reason.partition(" ")
        if count.isdigit() and what in ("lost", "duplicated", "late", "open"):
            where = {state: _count(result, what) for state, result in sorted(per_state.items())}
            reason += " (" + ", ".join(f"{state} {n}" for state, n in where.items() if n) + ")"
        named.append(reason)
    return named


def _count(result: Reconciliation, what: str) -> int:
    findings: list[dict[str, Any]] = getattr(result, what)
    return len({str(f["message_id"]) for f in findings}) if what == "duplicated" else len(findings)


def reconcile_eu(
    *, traffic: Sequence[Mapping[str, Any]], cases_by_state: Mapping[str, Sequence[Mapping[str, Any]]],
    sent_log: Sequence[Mapping[str, Any]], verify: Mapping[str, Any], seed: int, ended_at: datetime,
) -> tuple[Reconciliation, dict[str, Reconciliation]]:
    """The whole run's reconciliation and each requested state's own."""
    per_state: dict[str, Reconciliation] = {}
    for state, cases in sorted(cases_by_state.items()):
        # Only the requests sent to this state: the others' would all count as 'not journaled' here.
        log = [{"message_id": message_id, "class": record["class"]} for record in sent_log
               if record.get("to_state") == state for message_id in record.get("message_ids") or []]
        result = reconcile(traffic=traffic, cases=cases, sent_log=log, verify=verify, sut_state=state, seed=seed,
                           ended_at=ended_at)
        for finding in (*result.lost, *result.duplicated, *result.late, *result.open):
            finding["state"] = state
        per_state[state] = result
    judged = {state: set(result.request_ids) for state, result in per_state.items()}
    for state, lost, duplicated in _acknowledged_and_recorded(traffic, cases_by_state, judged=judged):
        per_state[state].lost.extend(lost)
        per_state[state].duplicated.extend(duplicated)
    return merge(per_state.values(), verify), per_state


def _acknowledged_and_recorded(
    traffic: Sequence[Mapping[str, Any]], cases_by_state: Mapping[str, Sequence[Mapping[str, Any]]],
    judged: Mapping[str, set[str]],
) -> Iterable[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per state: acknowledged deliveries in none of its cases (lost), messages in two of its cases (duplicated).

    The requests load/reconcile.py judged for their addressee are left to it (found once, not twice)."""
    parties = all_parties()
    for state, cases in sorted(cases_by_state.items()):
        recorded: dict[str, set[str]] = {}
        for case in cases:
            for communication in case.get("communications") or []:
                if communication.get("direction") == "INCOMING":
                    recorded.setdefault(str(communication.get("message_id")), set()).add(str(case.get("case_id")))
        anywhere = {str(c.get("message_id")) for case in cases for c in case.get("communications") or []}
        lost: list[dict[str, Any]] = []
        duplicated: list[dict[str, Any]] = []
        for message in traffic:
            message_id = str(message["message_id"])
            acked = [a for a in message.get("acks") or [] if a.get("acked_at")
                     and (found := parties.get(str(a.get("party")))) is not None and found.state == state]
            if not acked:
                continue
            kind = str((message.get("directive") or {}).get("kind") or message.get("kind") or message.get("channel"))
            where = {"message_id": message_id, "state": state, "kind": kind, "sender": message.get("sender")}
            if message_id in judged.get(state, ()):
                continue
            if message_id not in anywhere:
                lost.append({**where, "why": f"acknowledged by {acked[0]['party']} but in none of {state}'s "
                                               "case records"})
            elif len(recorded.get(message_id, ())) > 1:
                duplicated.append({**where, "why": f"in {len(recorded[message_id])} of {state}'s cases: "
                                                   f"{sorted(recorded[message_id])}"})
        yield state, lost, duplicated


def merge(parts: Iterable[Reconciliation], verify: Mapping[str, Any]) -> Reconciliation:
    """One reconciliation of the whole run from the states' own."""
    merged = Reconciliation(journal_ok=bool(verify.get("ok")), journal_detail=str(verify.get("detail") or ""))
    for part in parts:
        merged.lost += part.lost
        merged.duplicated += part.duplicated
        merged.late += part.late
        merged.open += part.open
        for name, counts in part.outcomes.items():
            merged.outcomes[name].update(counts)
        for name, margins in part.margins.items():
            merged.margins[name] += margins
        merged.margin_points += part.margin_points
        merged.ack_network += part.ack_network
        merged.answer_network += part.answer_network
        merged.requests += part.requests
        merged.acknowledged += part.acknowledged
        merged.request_ids += part.request_ids
    merged.margin_points.sort()
    return merged


def state_figures(per_state: Mapping[str, Reconciliation], sent_log: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """load-results.json `states`: per state, what its operators sent and how it answered what it was asked."""
    sent = Counter(str(record.get("state")) for record in sent_log)
    figures: dict[str, Any] = {}
    for state, result in sorted(per_state.items()):
        outcomes: Counter[str] = Counter()
        for counts in result.outcomes.values():
            outcomes.update(counts)
        margins = [m for values in result.margins.values() for m in values]
        figures[state] = {
            "sent": sent.get(state, 0), "received": result.requests, "acknowledged": result.acknowledged,
            "answered": len(result.answer_network), "met": outcomes.get("met", 0), "late": len(result.late),
            "lost": len(result.lost), "duplicated": len({str(f["message_id"]) for f in result.duplicated}),
            "open": len(result.open),
            "answer_network_seconds": percentiles(result.answer_network),
            "margin_hours_min": round(min(margins) / 3600, 3) if margins else None,
        }
    return figures
