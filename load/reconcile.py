"""Nothing lost, proved at the end: what the users sent vs the channel journal vs the SUT's exports.

Ground truth is the journal (`GET /control/traffic`, each message with its acknowledgements) and what
the harness set up (the fixtures, hence each request's class). The users' own record (JSON lines)
says what they were told was accepted; the SUT's case records say what it knows. Per request:

- lost: accepted by the channel (a 2xx to the user) but not in the journal; or in the journal and
  delivered to the SUT but in none of its case records; or due, with no final answer and no case;
- duplicated: a second final answer to one request, or a second SUT case for one delivered message
  (the duplicate deliveries of `--chaos` must not open cases);
- late: the final answer (for judicial authorisation: the Art 5(2) delay notice) after the Art 5(1)
  limit, counted from the SUT's receipt (`delivered_at`), with Art 6(3) suspensions; or due and still
  unanswered although the SUT has the case;
- open: not answered and not yet due when the run ended (not proven either way).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load.judging import judge_answer
from load.traffic import CLASSES, FINAL_KINDS, RequestClass, fixture_subjects
from simulators.model.deadlines import limit_for
from simulators.model.parties import PartyKind, all_parties, party_id

__all__ = ["Reconciliation", "load_logs", "percentiles", "reconcile"]


def _time(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


def load_logs(log_dir: Path | None, what: str) -> list[dict[str, Any]]:
    if log_dir is None or not log_dir.is_dir():
        return []
    records: list[dict[str, Any]] = []
    for path in sorted(log_dir.glob(f"{what}-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def percentiles(values: Iterable[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p95": None, "p99": None, "count": 0}

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "count": len(ordered)}


@dataclass
class Reconciliation:
    lost: list[dict[str, Any]] = field(default_factory=list)
    duplicated: list[dict[str, Any]] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    margins: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # (SUT's receipt, class, network seconds left at the answer) of every judged answer, for the plots
    margin_points: list[tuple[datetime, str, float]] = field(default_factory=list)
    ack_network: list[float] = field(default_factory=list)
    answer_network: list[float] = field(default_factory=list)
    requests: int = 0
    request_ids: list[str] = field(default_factory=list)  # the requests judged, by message id
    acknowledged: int = 0
    journal_ok: bool = False
    journal_detail: str = ""

    def summary(self, speed: float) -> dict[str, Any]:
        per_class = {}
        for name in sorted(self.outcomes):
            margins = self.margins.get(name, [])
            per_class[name] = {**{k: self.outcomes[name].get(k, 0) for k in ("met", "late", "open", "recorded")},
                               "margin_hours_min": round(min(margins) / 3600, 3) if margins else None,
                               "basis": _basis(CLASSES[name]) if name in CLASSES else None}
        return {
            "requests": self.requests, "acknowledged": self.acknowledged,
            "lost": len(self.lost), "duplicated": len({str(f["message_id"]) for f in self.duplicated}),
            "late": len(self.late),
            "open": len(self.open),
            "journal_chain": {"ok": self.journal_ok, "detail": self.journal_detail},
            "deadlines": per_class,
            "latency": {
                "ack_network_seconds": percentiles(self.ack_network),
                "ack_wall_seconds": percentiles(v / speed for v in self.ack_network),
                "answer_network_seconds": percentiles(self.answer_network),
            },
            "findings": {"lost": self.lost[:50], "duplicated": self.duplicated[:50], "late": self.late[:50],
                         "open": self.open[:50]},
        }


def _basis(cls: RequestClass) -> str | None:
    return limit_for(cls.urgent, cls.availability)[1] if cls.answered else None


def _class_of(message: Mapping[str, Any], logged: Mapping[str, str], sut_state: str, seed: int,
              subjects: Mapping[str, str]) -> RequestClass | None:
    """A load message's class: from the users' record, else from the channel and the subject (fixtures).

    A message with a directive is a request only as a REQUEST, on whichever channel: a CMS that falls back
    from SIENA sends its requests and answers on Interpol I-24/7 or SIRENE, and those answers are no
    diffusions or hits."""
    name = logged.get(str(message["message_id"]))
    if name:
        return CLASSES.get(name)
    directive = message.get("directive") or {}
    channel = str(message.get("channel"))
    if not directive and channel == "SIRENE":
        return CLASSES["sirene-hit"]
    if not directive and channel == "INTERPOL" and message.get("kind") == "DIFFUSION":
        return CLASSES["interpol-diffusion"]
    if directive.get("kind") != "REQUEST":
        return None
    request = directive.get("request") or {}
    for entity in request.get("entities") or []:
        found = subjects.get(str((entity.get("attributes") or {}).get("name", "")).lower())
        if found:
            return CLASSES[found]
    return None


def reconcile(
    *, traffic: Sequence[Mapping[str, Any]], cases: Sequence[Mapping[str, Any]], sent_log: Sequence[Mapping[str, Any]],
    verify: Mapping[str, Any], sut_state: str, seed: int, ended_at: datetime,
) -> Reconciliation:
    """Reconcile one run. `traffic`: the journal's messages (with `acks`); `cases`: the SUT's case records."""
    result = Reconciliation(journal_ok=bool(verify.get("ok")), journal_detail=str(verify.get("detail") or ""))
    sut_parties = {party_id(kind, sut_state) for kind in (PartyKind.SPOC, PartyKind.SIRENE_BUREAU,
                                                           PartyKind.INTERPOL_NCB)}
    own = {pid for pid, found in all_parties().items() if found.state == sut_state}
    logged = {str(r["message_id"]): str(r["class"]) for r in sent_log}
    subjects = {s.lower(): c.name for c in CLASSES.values() for s in fixture_subjects(sut_state, seed, c)}
    journal_ids = {str(m["message_id"]) for m in traffic}
    for record in sent_log:
        if str(record["message_id"]) not in journal_ids:
            result.lost.append({"message_id": record["message_id"], "class": record["class"],
                                "why": "accepted by the channel (2xx to the user) but not in the journal"})
    cases_of: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        for communication in case.get("communications") or []:
            if communication.get("direction") == "INCOMING":
                cases_of[str(communication.get("message_id"))].add(str(case.get("case_id")))
    thread: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for message in traffic:
        directive = message.get("directive") or {}
        for key in (message.get("in_reply_to"), directive.get("case_reference")):
            if key:
                thread[str(key)].append(message)
    for message in traffic:
        if str(message.get("sender")) in own or not set(message.get("to") or []) & sut_parties:
            continue
        kind = str((message.get("directive") or {}).get("kind", ""))
        cls = _class_of(message, logged, sut_state, seed, subjects)
        if cls is None or (cls.channel == "siena" and kind != "REQUEST"):
            continue
        _one_request(result, message, cls, thread, cases_of, sut_parties, own, ended_at)
    return result


# Long: the reconciliation of one request against the journal: each way it can
# be open, late, lost or duplicated, counted where it is found.
def _one_request(
    result: Reconciliation, message: Mapping[str, Any], cls: RequestClass,
    thread: Mapping[str, list[Mapping[str, Any]]], cases_of: Mapping[str, set[str]], sut_parties: set[str],
    own: set[str], ended_at: datetime,
) -> None:
    message_id = str(message["message_id"])
    result.requests += 1
    result.request_ids.append(message_id)
    acks = [a for a in message.get("acks") or [] if a.get("party") in sut_parties]
    delivered = [_time(a["delivered_at"]) for a in acks if a.get("delivered_at")]
    acked = [_time(a["acked_at"]) for a in acks if a.get("acked_at")]
    where = {"message_id": message_id, "class": cls.name, "sender": message.get("sender")}
    if not delivered:
        result.outcomes[cls.name]["open"] += 1
        result.open.append({**where, "why": "not yet delivered to the SUT"})
        return
    received = min(delivered)
    if acked:
        result.acknowledged += 1
        result.ack_network.append((min(acked) - received).total_seconds())
    case_ids = cases_of.get(message_id, set())
    if len(case_ids) > 1:
        result.duplicated.append({**where, "why": f"{len(case_ids)} SUT cases for one message: {sorted(case_ids)}"})
    if not cls.answered:
        if case_ids:
            result.outcomes[cls.name]["recorded"] += 1
        elif acked:
            result.lost.append({**where, "why": "acknowledged by the SUT but in none of its case records"})
        else:
            result.outcomes[cls.name]["open"] += 1
            result.open.append({**where, "why": "delivered, not yet acknowledged by the SUT"})
        return
    reference = str(((message.get("directive") or {}).get("case_reference")) or "")
    related = {str(m["message_id"]): m for key in (message_id, reference) for m in thread.get(key, [])}
    from_sut = [m for m in related.values() if str(m.get("sender")) in own]
    finals = sorted((m for m in from_sut if (m.get("directive") or {}).get("kind") in FINAL_KINDS),
                    key=lambda m: str(m["created_at"]))
    if len(finals) > 1:
        result.duplicated.append({**where, "why": f"{len(finals)} final answers: "
                                  f"{[str(m['message_id']) for m in finals]}"})
    notices = [_time(m["created_at"]) for m in from_sut if (m.get("directive") or {}).get("kind") == "DELAY_NOTICE"]
    suspensions = _suspensions(related.values(), from_sut, message, ended_at)
    if not finals:
        judged = judge_answer(cls, received_at=received, answered_at=ended_at, suspensions=suspensions,
                              delay_notice_at=min(notices) if notices else None)
        if judged.met:
            result.outcomes[cls.name]["open"] += 1
            result.open.append({**where, "due": judged.due.isoformat(),
                                "why": f"no final answer yet; due {judged.due.isoformat()}"})
        elif not case_ids:
            result.lost.append({**where, "why": f"no final answer and no SUT case; due {judged.due.isoformat()}"})
        else:
            result.outcomes[cls.name]["late"] += 1
            result.late.append({**where, "why": judged.explanation.replace("final answer at", "unanswered at")})
        return
    final = finals[0]
    judged = judge_answer(cls, received_at=received, answered_at=_time(final["created_at"]),
                          delay_notice_at=min(notices) if notices else None, suspensions=suspensions)
    result.answer_network.append(judged.delay_seconds)
    result.margins[cls.name].append(judged.margin_seconds)
    result.margin_points.append((received, cls.name, judged.margin_seconds))
    if judged.met:
        result.outcomes[cls.name]["met"] += 1
    else:
        result.outcomes[cls.name]["late"] += 1
        result.late.append({**where, "answer": final["message_id"], "why": judged.explanation})
    if not case_ids:
        result.lost.append({**where, "why": "answered, but in none of the SUT's case records"})


def _suspensions(
    related: Iterable[Mapping[str, Any]], from_sut: Sequence[Mapping[str, Any]], request: Mapping[str, Any],
    ended_at: datetime,
) -> list[tuple[datetime, datetime]]:
    """Art 6(3): from the requester's receipt of the clarification request to the SUT's receipt of the answer."""
    asked = [m for m in from_sut if (m.get("directive") or {}).get("kind") == "CLARIFICATION_REQUEST"]
    answers = [m for m in related if (m.get("directive") or {}).get("kind") == "CLARIFICATION"
               and m.get("sender") == request.get("sender")]
    if not asked:
        return []
    asked_acks = [_time(a["delivered_at"]) for a in asked[0].get("acks") or [] if a.get("delivered_at")]
    start = min(asked_acks) if asked_acks else _time(asked[0]["created_at"])
    if not answers:  # the requester has not answered yet: the clock stands still until the run's end
        return [(start, ended_at)]
    end_acks = [_time(a["delivered_at"]) for a in answers[0].get("acks") or [] if a.get("delivered_at")]
    end = min(end_acks) if end_acks else _time(answers[0]["created_at"])
    return [(start, end)] if end >= start else []
