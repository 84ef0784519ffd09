"""Plain-text renderings of results: the end-of-run summary and the full story of one check.

Plain text on purpose: the same lines go to a terminal, a CI log and JUnit failure bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reports.results import BasisStatus, CheckResult, Outcome, OutcomeCounts, RunResults

__all__ = ["check_details", "render_summary"]

_BASIS_NOTE = {
    BasisStatus.VERIFIED: "",
    BasisStatus.PARTLY_VERIFIED: " [reading partly verified]",
    BasisStatus.UNVERIFIED: " [UNVERIFIED reading of the directive]",
}


def _one_line(text: str | None, limit: int = 160) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _tally(counts: OutcomeCounts) -> str:
    return (
        f"{counts.total} total: {counts.passed} passed, {counts.failed} failed, {counts.warning} warning, "
        f"{counts.inconclusive} inconclusive, {counts.not_applicable} not applicable, "
        f"{counts.declaration} declaration"
    ) + (f", {counts.accepted_deviation} accepted deviation" if counts.accepted_deviation else "")


def check_details(results: RunResults, check: CheckResult, *, curl: bool = True) -> str:
    """Everything about one check as text: the explanation, the rule, what was seen, how to replay it.

    `results` holds the steps and curl lines the check cites by id; `curl=False` names where the curl lines
    are instead of writing them (a passed check's, in JUnit: each is most of a kilobyte, cited again and again)."""
    lines = [f"{check.id}: {check.outcome.value.upper()} - {check.title}"]
    lines.append(
        f"requirements: {', '.join(check.requirements)}"
        + (f" ({', '.join(check.articles)})" if check.articles else "")
        + f"; basis: {check.basis_status.value}{_BASIS_NOTE[check.basis_status]}"
    )
    explanation = check.explanation()
    if explanation:
        lines += ["", explanation]
    for label, value in (("rule", check.rule), ("expected", check.expected), ("observed", check.observed)):
        if value:
            lines.append(f"{label}: {value}")
    steps = results.evidence_of(check)
    if steps:
        lines += ["", "evidence (network time):"]
        for step in steps:
            route = f"{step.sender or '?'} -> {', '.join(step.recipients) or '?'}"
            ident = f" {step.message_id}" if step.message_id else ""
            lines.append(f"  {step.at.isoformat()} {step.channel} {step.kind or ''}{ident} {route}: {step.summary}")
    if check.reproduce is not None:
        lines += ["", "reproduce:", f"  {check.reproduce.command}"]
        if check.reproduce.seed is not None:
            lines.append(f"  (seed {check.reproduce.seed})")
        if curl:
            lines += [f"  {line}" for line in results.curl_of(check)]
        elif check.reproduce.curl:
            lines.append(f"  ({len(check.reproduce.curl)} curl lines: results.json curl_lines, the evidence bundle)")
    return "\n".join(lines)


def _deviation_lines(results: RunResults) -> list[str]:
    deviations = results.deviations
    if deviations is None:
        return []
    lines = ["", f"Deviations ({deviations.source}): {len(deviations.accepted)} accepted, "
             f"{len(deviations.unmatched)} unmatched, {len(deviations.expired)} expired"]
    for accepted in deviations.accepted:
        entry = accepted.entry
        lines.append(f"  ACCEPTED {entry.requirement:<6} {', '.join(accepted.checks)} (owner {entry.owner}, ref "
                     f"{entry.reference}, expires {entry.expires})")
    lines += [f"  UNMATCHED {e.requirement:<6} matched no failure (owner {e.owner})" for e in deviations.unmatched]
    lines += [f"  EXPIRED  {e.requirement:<6} expired {e.expires}: not applied, fails the run (owner {e.owner})"
              for e in deviations.expired]
    return lines


def _load_lines(results: RunResults) -> list[str]:
    if results.load is None:
        return []
    # Beside the verdict, not in it (docs/load.md): its own line, so that neither hides the other.
    load = results.load
    return [f"Load run:        {load.verdict} ({'; '.join(load.reasons)}), {load.requests} requests at "
            f"{load.achieved_exchanges_per_second:g}/s from {load.source}"]


# Long: the end-of-run summary line by line, in the order it is printed.
def render_summary(
    results: RunResults,
    *,
    report_paths: Mapping[str, Path | str] | None = None,
    public_key_sha256: str | None = None,
) -> str:
    """What the CLI prints at the end of a run: verdict, counts, failed requirements, report paths."""
    sut, coverage = results.sut, results.coverage
    defects = f" with defects {', '.join(sut.defects)}" if sut.defects else ""
    lines = [
        f"Verdict: {results.verdict.value.upper()}",
        f"  {results.verdict_reason}",
        f"SUT: {sut.kind} CMS of {sut.state} at {sut.url}{defects}",
        f"Checks: {_tally(results.counts.checks)}",
        f"Requirements: {_tally(results.counts.requirements)}",
        f"Coverage: {coverage.with_checks} of {coverage.requirements_total} requirements checked, "
        f"{coverage.declaration_only} declaration-only, {len(coverage.not_covered)} not covered",
    ]
    matrix = results.applicability
    if matrix is not None:
        missing = [f"{row.requirement} {label}" for row in matrix.requirements for label in row.uncovered]
        lines.append(f"Applicability: {matrix.exchanges} exchanges ({matrix.generated_exchanges} generated), "
                     f"{matrix.uncovered} applicable value(s) or pair(s) not exercised"
                     + (f": {'; '.join(missing[:5])}" + (" ..." if len(missing) > 5 else "") if missing else ""))
    failed = results.failed_requirements()
    if failed:
        lines += ["", "Failed requirements:"]
        for requirement in failed:
            lines.append(
                f"  {requirement.id:<6} {requirement.article:<16} {_one_line(requirement.reason)}"
                f"{_BASIS_NOTE[requirement.basis]}"
            )
    warned = [r for r in results.requirements if r.outcome is Outcome.WARNING]
    if warned:
        lines += ["", "Warnings:"]
        lines += [f"  {r.id:<6} {r.article:<16} {_one_line(r.reason)}" for r in warned]
    lines += _deviation_lines(results)
    if results.kill_matrix is not None:
        killed = sum(1 for row in results.kill_matrix if row.killed)
        lines += ["", f"Kill matrix: {killed} of {len(results.kill_matrix)} defects killed"]
        for row in results.kill_matrix:
            unexplained = [extra.requirement for extra in row.extra_failures if not extra.explanation]
            status = "killed" if row.killed else f"MISSED {', '.join(row.missed)}"
            note = f"; unexplained extra failures: {', '.join(unexplained)}" if unexplained else ""
            lines.append(f"  {row.defect}: {status}{note}")
    if report_paths:
        lines += ["", "Reports:"]
        lines += [f"  {label:<14} {path}" for label, path in report_paths.items()]
    if results.evidence_bundle:
        key = f" (signing key sha256 {public_key_sha256})" if public_key_sha256 else ""
        lines.append(f"Evidence bundle: {results.evidence_bundle}{key}")
    if results.signer is not None:
        if results.signer.ephemeral:
            lines.append("Signed by:       an EPHEMERAL key, made for this run and discarded: the bundle is "
                         "tamper-evident but proves no signer (certify with --signing-key)")
        else:
            lines.append(f"Signed by:       {results.signer.name}")
    if results.channel_journal is not None:
        journal = results.channel_journal
        state = "verified" if journal.ok else f"FAILED VERIFICATION ({journal.detail})"
        lines.append(f"Channel journal: {state}, head {journal.head.seq}:{journal.head.hash}")
    lines += _load_lines(results)
    return "\n".join(lines) + "\n"
