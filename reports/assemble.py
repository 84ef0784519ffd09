"""Building a complete RunResults from the executed checks and the catalogue.

The runner hands over what it observed (checks), what the catalogue says (requirement metadata,
Gherkin scenarios citing requirements) and the run's circumstances; everything derived (roll-ups,
counts, coverage, traceability, declarations, verdict) is computed here, so it cannot be typed by
hand or drift from the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from reports.results import (
    SCHEMA_VERSION,
    ApplicabilityCoverage,
    CheckResult,
    Coverage,
    Declaration,
    DeviationReport,
    Evidence,
    ExtraFailure,
    KillRow,
    NotCovered,
    Outcome,
    OutcomeCounts,
    RequirementMeta,
    RequirementResult,
    RunCounts,
    RunResults,
    RunSettings,
    SystemUnderTest,
    TraceRow,
    Verdict,
    VirtualTime,
    overall_verdict,
    roll_up_articles,
    roll_up_requirements,
    weakest_basis,
)

__all__ = ["assemble_results", "build_coverage", "build_traceability", "explain_verdict", "kill_row"]


def assemble_results(
    checks: Sequence[CheckResult],
    requirement_meta: Sequence[RequirementMeta],
    *,
    started_at: datetime,
    finished_at: datetime,
    virtual_time: VirtualTime,
    sut: SystemUnderTest,
    settings: RunSettings,
    scenarios: Mapping[str, Sequence[str]] | None = None,
    article_titles: Mapping[str, str] | None = None,
    kill_matrix: Sequence[KillRow] | None = None,
    applicability: ApplicabilityCoverage | None = None,
    aborted: bool = False,
    abort_reason: str | None = None,
    evidence_bundle: str | None = None,
    harness_version: str | None = None,
    deviations: DeviationReport | None = None,
    evidence: Mapping[str, Evidence] | None = None,
    curl_lines: Mapping[str, str] | None = None,
) -> RunResults:
    """The whole results.json of a run. `scenarios` maps requirement ID -> Gherkin scenario names; `evidence`
    and `curl_lines` hold the steps and curl lines the checks cite by id (reports.evidence_table)."""
    requirements = roll_up_requirements(checks, requirement_meta)
    checks = _with_catalogue_basis(checks, requirement_meta)
    verdict = overall_verdict(checks, aborted=aborted)
    reason = explain_verdict(verdict, checks, aborted=aborted, abort_reason=abort_reason)
    if deviations is not None:
        verdict, reason = _with_deviations(verdict, reason, deviations)
    return RunResults(
        schema_version=SCHEMA_VERSION,
        verdict=verdict,
        verdict_reason=reason,
        aborted=aborted,
        abort_reason=abort_reason,
        harness_version=harness_version,
        started_at=started_at,
        finished_at=finished_at,
        wall_clock_seconds=max(0.0, (finished_at - started_at).total_seconds()),
        virtual_time=virtual_time,
        sut=sut,
        settings=settings,
        counts=RunCounts(
            checks=OutcomeCounts.of(check.outcome for check in checks),
            requirements=OutcomeCounts.of(requirement.outcome for requirement in requirements),
        ),
        requirements=requirements,
        articles=roll_up_articles(requirements, article_titles),
        checks=list(checks),
        evidence=dict(evidence or {}),
        curl_lines=dict(curl_lines or {}),
        declarations=_declarations(requirements),
        coverage=build_coverage(requirements, requirement_meta),
        traceability=build_traceability(requirements, scenarios or {}),
        kill_matrix=list(kill_matrix) if kill_matrix is not None else None,
        applicability=applicability,
        evidence_bundle=evidence_bundle,
        deviations=deviations,
    )


def _with_deviations(verdict: Verdict, reason: str, deviations: DeviationReport) -> tuple[Verdict, str]:
    # An expired deviation is an agreement that lapsed: the run cannot lean on it, and must say so loudly.
    if deviations.accepted:
        accepted = ", ".join(sorted({a.entry.requirement for a in deviations.accepted}))
        reason += f"; accepted deviations (listed separately): {accepted}"
    if deviations.unmatched:
        reason += f"; {len(deviations.unmatched)} deviation entr{'y' if len(deviations.unmatched) == 1 else 'ies'} " \
                  "matched no failure"
    if deviations.expired:
        expired = ", ".join(f"{e.requirement} (expired {e.expires})" for e in deviations.expired)
        if verdict is Verdict.NOT_CONFORMANT:
            return verdict, f"{reason}; expired deviation entries: {expired}"
        return Verdict.NOT_CONFORMANT, f"not conformant: expired deviation entries: {expired} ({reason})"
    return verdict, reason


def _with_catalogue_basis(
    checks: Sequence[CheckResult], requirement_meta: Sequence[RequirementMeta]
) -> list[CheckResult]:
    # The catalogue is the one source of a reading's basis; a check cannot claim a firmer one.
    basis = {meta.id: meta.basis for meta in requirement_meta}
    return [
        check.model_copy(update={"basis_status": weakest_basis(basis[rid] for rid in check.requirements)})
        for check in checks
    ]


def explain_verdict(
    verdict: Verdict, checks: Sequence[CheckResult], *, aborted: bool = False, abort_reason: str | None = None
) -> str:
    counts = OutcomeCounts.of(check.outcome for check in checks)
    tally = (
        f"{counts.total} check{'' if counts.total == 1 else 's'}: {counts.passed} passed, {counts.failed} failed, "
        f"{counts.warning} warning, {counts.inconclusive} inconclusive, {counts.not_applicable} not applicable"
    )
    if verdict is Verdict.NOT_CONFORMANT:
        failed_requirements = sorted(
            {rid for check in checks if check.outcome is Outcome.FAILED for rid in check.requirements}
        )
        text = f"not conformant: {', '.join(failed_requirements)} failed ({tally})"
        return f"{text}; the run also aborted: {abort_reason or 'no reason given'}" if aborted else text
    if verdict is Verdict.INCOMPLETE:
        if aborted:
            reason = abort_reason or "no reason given"
            return f"incomplete: the run aborted ({reason}) before all checks ran ({tally})"
        return "incomplete: no check ran"
    caveats = []
    if counts.accepted_deviation:
        caveats.append(f"{counts.accepted_deviation} failed checks are accepted deviations")
    if counts.inconclusive:
        caveats.append(f"{counts.inconclusive} checks could not decide and are listed as inconclusive")
    if counts.warning:
        warned = sorted({rid for check in checks if check.outcome is Outcome.WARNING for rid in check.requirements})
        caveats.append(f"{counts.warning} checks passed only with a warning: {', '.join(warned)}")
    text = f"{verdict.value}: no check failed ({tally})"
    return f"{text}; {'; '.join(caveats)}" if caveats else text


def _declarations(requirements: Iterable[RequirementResult]) -> list[Declaration]:
    return [
        Declaration(
            requirement=requirement.id,
            article=requirement.article,
            title=requirement.title,
            reason=requirement.not_tested_reason or "only a declaration or an inspection can show it",
            basis=requirement.basis,
        )
        for requirement in requirements
        if requirement.outcome is Outcome.DECLARATION
    ]


def build_coverage(requirements: Sequence[RequirementResult], requirement_meta: Sequence[RequirementMeta]) -> Coverage:
    declaration_only = {meta.id for meta in requirement_meta if meta.declaration_only}
    return Coverage(
        requirements_total=len(requirements),
        with_checks=sum(1 for requirement in requirements if requirement.checks),
        declaration_only=len(declaration_only),
        not_covered=[
            NotCovered(
                requirement=requirement.id,
                article=requirement.article,
                reason=requirement.not_tested_reason or "no check of this run covered it",
            )
            for requirement in requirements
            if not requirement.checks and requirement.id not in declaration_only
        ],
    )


def build_traceability(
    requirements: Sequence[RequirementResult], scenarios: Mapping[str, Sequence[str]]
) -> list[TraceRow]:
    return [
        TraceRow(
            requirement=requirement.id,
            article=requirement.article,
            checks=list(requirement.checks),
            scenarios=list(scenarios.get(requirement.id, ())),
            not_tested_reason=requirement.not_tested_reason,
        )
        for requirement in requirements
    ]


def kill_row(
    defect: str,
    expected: Iterable[str],
    failed: Iterable[str],
    explanations: Mapping[str, str] | None = None,
) -> KillRow:
    """A defect is killed when every requirement it is meant to break failed; other failures need a reason."""
    expected_ids = sorted(set(expected))
    failed_ids = sorted(set(failed))
    explained = explanations or {}
    return KillRow(
        defect=defect,
        expected=expected_ids,
        failed=failed_ids,
        killed=bool(expected_ids) and set(expected_ids) <= set(failed_ids),
        missed=[rid for rid in expected_ids if rid not in failed_ids],
        extra_failures=[
            ExtraFailure(requirement=rid, explanation=explained.get(rid))
            for rid in failed_ids
            if rid not in expected_ids
        ],
    )
