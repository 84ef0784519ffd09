"""Accepted deviations: agreed exceptions to a requirement, each with an owner, a reason and an expiry.

A deviations file (TOML, or JSON with the same shape) lists entries:

    [[deviation]]
    requirement = "R-92"
    scope = { state = "AT", scenario = "incoming.urgent-direct-night" }   # optional; empty = everywhere
    owner = "AT SPOC statistics unit"
    reason = "The national statistic is compiled per case, as agreed with the Commission"
    reference = "Commission letter Ares(2026)1234567"
    expires = 2027-06-30

A failed check becomes `accepted_deviation` only when every one of its failed instances is covered by
an entry that is still valid on the day of the run, cites one of the check's requirements and whose
scope matches (the SUT's state, the check id, the instance or its scenario prefix). A failure
partly covered stays a failure: accepting what nobody agreed to would hide a finding. Entries that
matched nothing are reported; entries past their expiry are never applied and fail the run.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reports.results import AcceptedDeviation, CheckResult, DeviationEntry, DeviationReport, Outcome

__all__ = ["SCOPE_KEYS", "DeviationFileError", "apply_deviations", "load_deviations"]

SCOPE_KEYS = frozenset({"scenario", "check", "state"})


class DeviationFileError(ValueError):
    """The deviations file cannot be used; the message names the entry, the field and the reason."""


def _parse(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DeviationFileError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None


def _entry(raw: Any, position: int, path: Path) -> DeviationEntry:
    where = f"{path}: deviation #{position}"
    if not isinstance(raw, dict):
        raise DeviationFileError(f"{where}: expected a table of fields, got {type(raw).__name__}")
    fields = dict(raw)
    expires = fields.get("expires")
    if isinstance(expires, date):
        fields["expires"] = expires.isoformat()
    elif isinstance(expires, str):
        try:
            fields["expires"] = date.fromisoformat(expires).isoformat()
        except ValueError:
            raise DeviationFileError(f"{where}: field 'expires': {expires!r} is not a date (YYYY-MM-DD)") from None
    try:
        entry = DeviationEntry.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "entry"
        raise DeviationFileError(f"{where}: field '{field}': {first['msg']}") from None
    unknown = set(entry.scope) - SCOPE_KEYS
    if unknown:
        raise DeviationFileError(f"{where}: field 'scope': unknown key(s) {', '.join(sorted(unknown))}; "
                                 f"use {', '.join(sorted(SCOPE_KEYS))}")
    return entry


def load_deviations(path: Path) -> list[DeviationEntry]:
    """Read and validate a deviations file; raises DeviationFileError naming the field and the reason."""
    if not path.is_file():
        raise DeviationFileError(f"{path}: no such file")
    data = _parse(path)
    raw_entries = data.get("deviation", data.get("deviations")) if isinstance(data, dict) else data
    if not isinstance(raw_entries, list):
        raise DeviationFileError(f"{path}: expected a list of [[deviation]] entries")
    return [_entry(raw, position, path) for position, raw in enumerate(raw_entries, start=1)]


@dataclass
class _Match:
    entry: DeviationEntry
    checks: list[str]
    instances: list[str]


def _scope_matches(entry: DeviationEntry, check: CheckResult, state: str, instance: str | None) -> bool:
    scope = entry.scope
    if entry.requirement not in check.requirements:
        return False
    if "state" in scope and scope["state"].upper() != state.upper():
        return False
    if "check" in scope and scope["check"] != check.id:
        return False
    if "scenario" in scope:
        wanted = scope["scenario"]
        return instance is not None and (instance == wanted or instance.startswith(wanted + "[")
                                         or instance.startswith(wanted + "."))
    return True


def _accept(check: CheckResult, entries: Sequence[_Match], state: str) -> CheckResult | None:
    failed: list[str | None] = [f.instance for f in check.instances if f.outcome is Outcome.FAILED]
    covering: dict[str | None, _Match] = {}
    for instance in failed or [None]:
        found = next((m for m in entries if _scope_matches(m.entry, check, state, instance)), None)
        if found is None:
            return None
        covering[instance] = found
    for instance, match in covering.items():
        if check.id not in match.checks:
            match.checks.append(check.id)
        if instance is not None:
            match.instances.append(instance)
    first = next(iter(covering.values()))
    entry = first.entry
    note = (f"ACCEPTED DEVIATION ({entry.requirement}, owner {entry.owner}, ref {entry.reference}, expires "
            f"{entry.expires}): {entry.reason}")
    instances = [finding.model_copy(update={"outcome": Outcome.ACCEPTED_DEVIATION})
                 if finding.outcome is Outcome.FAILED else finding for finding in check.instances]
    return check.model_copy(update={
        "outcome": Outcome.ACCEPTED_DEVIATION, "message": f"{note}\n{check.message}", "instances": instances,
        "deviation": AcceptedDeviation(entry=entry, checks=[check.id],
                                       instances=[i for i in covering if i is not None]),
    })


def apply_deviations(
    checks: Sequence[CheckResult], entries: Sequence[DeviationEntry], *, state: str, today: date, source: str
) -> tuple[list[CheckResult], DeviationReport]:
    """The checks with covered failures turned into accepted deviations, and what each entry did."""
    expired = [entry for entry in entries if date.fromisoformat(entry.expires) < today]
    valid = [_Match(entry, [], []) for entry in entries if entry not in expired]
    result = []
    for check in checks:
        accepted = _accept(check, valid, state) if check.outcome is Outcome.FAILED and valid else None
        result.append(accepted or check)
    report = DeviationReport(
        source=source,
        accepted=[AcceptedDeviation(entry=m.entry, checks=m.checks, instances=m.instances) for m in valid if m.checks],
        unmatched=[m.entry for m in valid if not m.checks],
        expired=expired,
    )
    return result, report
