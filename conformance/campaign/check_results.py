"""One conformance check's result: its judge's findings (or why there are none) as a CheckResult.

The pytest plugin calls `check_result` when a check has run; the outcome it returns decides how pytest
reports the check (failed, skipped or passed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.campaign.conformance_run import ConformanceRun
from conformance.scenarios.library import gives_evidence_on, load_scenarios
from conformance.verdicts import Judge
from reports.results import (
    BasisStatus,
    CheckResult,
    Evidence,
    InstanceFinding,
    Outcome,
    Reproduce,
    VirtualTime,
    excerpt,
    weakest_basis,
)

__all__ = ["CheckIdentity", "check_result"]


@dataclass(frozen=True)
class CheckIdentity:
    """What names a check: its id, title, and the requirement IDs and article of its marker."""

    id: str
    title: str
    requirements: tuple[str, ...]
    article: str


def check_result(run: ConformanceRun, check: CheckIdentity, judge: Judge | None, *, error: str | None,
                 duration_seconds: float) -> tuple[CheckResult, str]:
    """The check's result and its whole message (the result keeps an excerpt of it).

    INCONCLUSIVE when the check raised, recorded nothing, or the scenarios it relies on stopped early."""
    ids, article, title = check.requirements, check.article, check.title
    rule = expected = observed = None
    evidence: list[Evidence] = []
    curl: list[str] = []
    instances: list[InstanceFinding] = []
    if error is not None or judge is None:
        outcome = Outcome.INCONCLUSIVE
        message = summary = (f"{', '.join(ids)} {article}: INCONCLUSIVE - {title}\nthe harness could not evaluate "
                             f"this check: {error or 'it recorded no finding'}")
        if run.aborted:
            message = summary = f"{message}\n{run.aborted}"
    else:
        outcome = judge.outcome
        # The whole message for pytest; results.json keeps the summary, and the instances once, on their own.
        message, summary = judge.message(), judge.summary()
        notable = next((f for f in judge.findings if f.outcome is outcome), None)
        rule = notable.rule if notable else None
        expected = notable.expected if notable else None
        observed = notable.observed if notable else judge.not_applicable_reason
        evidence = judge.evidence()
        curl = judge.curl() or _replay(run, [f.instance for f in judge.findings if f.outcome is outcome])
        # Each instance on its own, so that the report links a late exchange to its timeline.
        instances = [InstanceFinding(instance=f.instance, outcome=f.outcome, observed=excerpt(f.observed) or "",
                                     expected=f.expected, rule=f.rule)
                     for f in judge.notable()]
    broken = _broken_scenarios(run, ids)
    if broken and outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.WARNING):
        outcome = Outcome.INCONCLUSIVE
        stopped = "\nINCONCLUSIVE: scenarios this check relies on stopped early: " + "; ".join(
            f"{name}: {why}" for name, why in broken.items())
        message, summary = message + stopped, summary + stopped
    span = None
    if run.result is not None:
        span = VirtualTime.between(run.result.network_start, run.result.network_end,
                                   "virtual" if run.settings.time_mode.value != "real" else "system")
    result = CheckResult(
        id=check.id, title=title, requirements=list(ids), articles=[article] if article else [],
        outcome=outcome, message=excerpt(summary, 20_000) or "", expected=expected, observed=observed, rule=rule,
        basis_status=_basis(run, ids), evidence=run.evidence_table.cite(evidence),
        reproduce=Reproduce(seed=run.settings.seed, command=run.reproduce(ids),
                            curl=run.evidence_table.cite_curl(curl)),
        duration_seconds=max(duration_seconds, 0.0), virtual_time=span, instances=instances,
    )
    return result, message


def _replay(run: ConformanceRun, instances: Sequence[str], limit: int = 12) -> list[str]:
    """curl lines of the harness's calls in the scenarios behind these findings (tokens left as variables)."""
    if run.result is None:
        return []
    ledger = run.result.ledger
    scenarios = []
    for instance in instances:
        key = next((k for k in ledger.exchanges if instance == k or instance.startswith((k + ":", k + "["))), None)
        if key is not None and ledger.exchanges[key].scenario not in scenarios:
            scenarios.append(ledger.exchanges[key].scenario)
    lines: list[str] = []
    for name in scenarios:
        for action in ledger.actions_of(name):
            if action.what in ("send", "stimulus", "decision", "fault"):
                if len(lines) == limit:  # rendering the rest only to cut it cost a passed check's every scenario
                    return lines
                lines.append(action.curl("$CONTROL_TOKEN" if action.actor != "sut" else "$SUT_TOKEN"))
    return lines


def _broken_scenarios(run: ConformanceRun, ids: Sequence[str]) -> dict[str, str]:
    """Scenarios serving these requirements that raised instead of running to their end."""
    if run.result is None or not run.result.scenario_failures:
        return {}
    scenarios = load_scenarios()
    return {name: why for name, why in run.result.scenario_failures.items()
            if name in scenarios and gives_evidence_on(scenarios[name], ids)}


def _basis(run: ConformanceRun, ids: Sequence[str]) -> BasisStatus:
    bases = []
    for rid in ids:
        try:
            bases.append(BasisStatus(run.catalogue.get(rid).basis.value))
        except (KeyError, ValueError):
            bases.append(BasisStatus.UNVERIFIED)
    return weakest_basis(bases)
