"""The load section of results.json and report.html: a load run (`spoc-harness load`) included in a campaign run.

`spoc-harness run ... --load-results DIR/load-results.json` reads the load run's results and keeps, in
results.json `load`, its verdict (lost, duplicated, late), its figures, and the two series the report
plots (throughput over wall time, deadline margin over network time). The load run's verdict is shown
beside the campaign's, not folded into it: docs/load.md says why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["LoadResultsError", "LoadRun", "load_run_from_file", "load_run_from_results"]


class _LoadModel(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class LoadClassFigures(_LoadModel):
    """Deadline outcomes of one request class, judged from the channel journal."""

    met: int = Field(default=0, ge=0, description="Final answers within the Art 5(1) limit.")
    late: int = Field(default=0, ge=0, description="Answered after the limit, or due and unanswered.")
    open: int = Field(default=0, ge=0, description="Neither answered nor due when the run ended.")
    recorded: int = Field(default=0, ge=0, description="Messages the SUT only had to record (SIRENE, Interpol).")
    margin_hours_min: float | None = Field(default=None, description="Smallest network hours left at an answer.")
    basis: str | None = Field(default=None, description="The limit, e.g. 'Art 5(1)(a)'.")


class LoadStateFigures(_LoadModel):
    """One state of a whole-EU load run (`--sut eu`): what its operators sent, how it answered what it was asked."""

    sent: int = Field(ge=0, description="Requests its operators started.")
    received: int = Field(ge=0, description="Requests the other states sent it.")
    answered: int = Field(ge=0, description="Of those, answered (a final answer: reply or refusal).")
    late: int = Field(ge=0, description="Answered after the Art 5(1) limit, or due and unanswered.")
    lost: int = Field(ge=0, description="Accepted or acknowledged, then missing (journal, its case records).")
    duplicated: int = Field(ge=0, description="Answered twice, or one message in two of its cases.")
    open: int = Field(ge=0, description="Neither answered nor due at the end.")
    answer_p50_network_seconds: float | None = Field(description="Median network seconds from receipt to answer.")
    answer_p95_network_seconds: float | None = Field(description="95th percentile of the same.")


class ThroughputPoint(_LoadModel):
    """Exchanges per wall second, at one moment of the load run."""

    second: float = Field(ge=0, description="Wall seconds since the first exchange.")
    accepted: float = Field(ge=0, description="Requests accepted per wall second.")
    answered: float = Field(ge=0, description="Final answers seen by the requesters per wall second.")


class MarginPoint(_LoadModel):
    """The deadline margin of one judged answer (or, binned, the smallest of a class in a time bin)."""

    network_hours: float = Field(description="Network hours from the first receipt to this request's receipt.")
    request_class: str = Field(description="The request class (docs/load.md).")
    margin_hours: float = Field(description="Network hours left before the Art 5(1) limit at the answer; < 0: late.")


class LoadRun(_LoadModel):
    """A load run included in the campaign run (`run --load-results`)."""

    source: str = Field(description="The load-results.json it was read from.")
    verdict: Literal["PASS", "FAIL"] = Field(description="PASS: nothing lost or duplicated, every deadline met, "
                                             "nothing open, the journal chain verifies.")
    reasons: list[str] = Field(description="Why, in words.")
    sut: str = Field(description="'reference', 'eu' (every state's reference CMS) or the SUT interface's URL.")
    state: str = Field(description="The SUT's state ('EU' for a whole-EU run).")
    defects: list[str] = Field(default_factory=list, description="Named defects of the reference CMS(s).")
    profile: str | None = Field(description="The load profile, if any.")
    users: int | None = Field(description="Users (the base a profile shapes).")
    workers: int = Field(ge=0, description="Locust worker processes (0: one process).")
    speed: float = Field(gt=0, description="Network seconds per wall second of the scaled clock.")
    duration_seconds: float = Field(ge=0, description="Wall seconds the users sent.")
    offered_exchanges_per_second: float = Field(ge=0, description="Sends attempted per wall second of load.")
    achieved_exchanges_per_second: float = Field(ge=0, description="Requests the SUT acknowledged per wall second.")
    requests: int = Field(ge=0, description="Requests reconciled.")
    lost: int = Field(ge=0, description="Lost (docs/load.md); normally 0.")
    duplicated: int = Field(ge=0, description="Duplicated; normally 0.")
    late: int = Field(ge=0, description="Late; normally 0.")
    open: int = Field(ge=0, description="Open at the end; a pass needs 0.")
    errors: int = Field(ge=0, description="Failed HTTP calls of the users.")
    journal_chain_ok: bool = Field(description="The channel journal's hash chain verified at the end.")
    deadlines: dict[str, LoadClassFigures] = Field(description="Per request class.")
    states: dict[str, LoadStateFigures] = Field(default_factory=dict, description="Per state (--sut eu only).")
    throughput: list[ThroughputPoint] = Field(default_factory=list, description="Throughput over wall time.")
    margins: list[MarginPoint] = Field(default_factory=list, description="Deadline margin over network time.")
    margins_binned: bool = Field(default=False, description="True when `margins` holds, per class and time bin, "
                                 "the smallest margin instead of every answer (a long run).")


class LoadResultsError(ValueError):
    """A load-results.json that cannot be included; the message says which file and why."""


_CLASS_FIELDS = frozenset(LoadClassFigures.model_fields)


def _states(raw: Mapping[str, Any]) -> dict[str, LoadStateFigures]:
    return {state: LoadStateFigures(
        **{k: int(figures.get(k) or 0) for k in ("sent", "received", "answered", "late", "lost", "duplicated", "open")},
        answer_p50_network_seconds=(figures.get("answer_network_seconds") or {}).get("p50"),
        answer_p95_network_seconds=(figures.get("answer_network_seconds") or {}).get("p95"),
    ) for state, figures in raw.items()}


def load_run_from_file(path: Path) -> LoadRun:
    """The load section from a load-results.json written by `spoc-harness load`."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadResultsError(f"{path}: cannot read a load-results.json: {exc}") from None
    return load_run_from_results(raw, str(path))


def load_run_from_results(raw: Any, source: str) -> LoadRun:
    """The load section from the parsed load-results.json (`source` names where it came from)."""
    path = source
    if not isinstance(raw, dict) or raw.get("tool") != "spoc-harness load":
        raise LoadResultsError(f"{path}: not the load-results.json of `spoc-harness load`")
    series = raw.get("series") or {}
    try:
        return LoadRun(
            source=source, **{k: raw.get(k) for k in (
                "verdict", "reasons", "sut", "state", "defects", "profile", "users", "workers", "speed",
                "duration_seconds", "offered_exchanges_per_second", "achieved_exchanges_per_second", "requests",
                "lost", "duplicated", "late", "open", "errors")},
            journal_chain_ok=bool((raw.get("journal_chain") or {}).get("ok")),
            deadlines={name: LoadClassFigures(**{k: v for k, v in figures.items() if k in _CLASS_FIELDS})
                       for name, figures in (raw.get("deadlines") or {}).items()},
            states=_states(raw.get("states") or {}),
            throughput=series.get("throughput") or [], margins=series.get("margins") or [],
            margins_binned=bool(series.get("margins_binned")),
        )
    except (ValidationError, TypeError, AttributeError) as exc:
        raise LoadResultsError(f"{path}: not a load-results.json this harness can include: {exc}") from None
