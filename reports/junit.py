"""JUnit XML of a run, for CI systems: one testcase per check, plus one per declaration-only requirement.

Mapping: failed -> <failure>; not_applicable, inconclusive and declaration -> <skipped> with the
reason (its `type` says which); warning -> passes, with the warning in <system-out> and an
`outcome` property. An aborted run adds one <error> testcase so that CI cannot read it as green.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from reports.console import check_details
from reports.private_files import private_dir, private_file
from reports.results import CheckResult, Declaration, Outcome, RunResults, article_of

__all__ = ["junit_tree", "write_junit"]

# Characters XML 1.0 cannot carry at all; raw channel excerpts may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _properties(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    element = ET.SubElement(parent, "properties")
    for name, value in pairs:
        ET.SubElement(element, "property", name=name, value=_safe(value))


def _classname(check: CheckResult) -> str:
    return article_of(check.articles[0]) if check.articles else "unassigned"


def _check_case(suite: ET.Element, results: RunResults, check: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_classname(check),
        name=_safe(check.id),
        time=f"{check.duration_seconds:.3f}",
    )
    pairs = [("requirement", requirement) for requirement in check.requirements]
    pairs += [("article", article) for article in check.articles]
    pairs += [("basis", check.basis_status.value), ("outcome", check.outcome.value)]
    _properties(case, pairs)
    summary = _safe(_first_line(check.message) or check.title)
    # A rule that was met needs no replay in a CI log; results.json and the bundle keep its curl lines.
    replay = check.outcome not in (Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.DECLARATION)
    if check.outcome is Outcome.FAILED:
        failure = ET.SubElement(case, "failure", message=summary, type=f"{' '.join(check.requirements)}")
        failure.text = _safe(check_details(results, check))
    elif check.outcome in (Outcome.NOT_APPLICABLE, Outcome.INCONCLUSIVE, Outcome.DECLARATION):
        ET.SubElement(case, "skipped", message=f"{check.outcome.value}: {summary}", type=check.outcome.value)
    if check.outcome is Outcome.WARNING:
        ET.SubElement(case, "system-out").text = _safe(f"WARNING: {check_details(results, check)}")
    elif check.outcome is not Outcome.FAILED:
        ET.SubElement(case, "system-out").text = _safe(check_details(results, check, curl=replay))


def _declaration_case(suite: ET.Element, declaration: Declaration) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=article_of(declaration.article),
        name=f"{declaration.requirement} (declaration)",
        time="0.000",
    )
    _properties(
        case,
        [
            ("requirement", declaration.requirement),
            ("article", declaration.article),
            ("basis", declaration.basis.value),
            ("outcome", Outcome.DECLARATION.value),
        ],
    )
    ET.SubElement(case, "skipped", message=_safe(f"declaration: {declaration.reason}"), type="declaration")


def junit_tree(results: RunResults) -> ET.ElementTree[ET.Element]:
    suites = ET.Element("testsuites", name="spoc-harness conformance")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"conformance {results.sut.state} ({results.sut.kind})",
        timestamp=results.started_at.isoformat(),
        time=f"{results.wall_clock_seconds:.3f}",
    )
    settings = results.settings
    run_properties = [
        ("verdict", results.verdict.value),
        ("verdict_reason", results.verdict_reason),
        ("schema_version", results.schema_version),
        ("sut.kind", results.sut.kind),
        ("sut.url", results.sut.url),
        ("sut.state", results.sut.state),
        ("sut.defects", ",".join(results.sut.defects)),
        ("profile", settings.profile),
        ("time_mode", settings.time_mode),
        ("deadline_reading", settings.deadline_reading),
        ("seed", "" if settings.seed is None else str(settings.seed)),
    ]
    warned = sorted({rid for check in results.checks if check.outcome is Outcome.WARNING for rid in check.requirements})
    if warned:
        run_properties.append(("warnings", ",".join(warned)))
    if results.evidence_bundle:
        run_properties.append(("evidence_bundle", results.evidence_bundle))
    if results.signer is not None:
        run_properties += [
            ("signer.name", results.signer.name),
            ("signer.public_key_sha256", results.signer.public_key_sha256),
            ("signer.ephemeral", "true" if results.signer.ephemeral else "false"),
        ]
    _properties(suite, run_properties)

    for check in results.checks:
        _check_case(suite, results, check)
    for declaration in results.declarations:
        _declaration_case(suite, declaration)
    errors = 0
    if results.aborted:
        errors = 1
        case = ET.SubElement(suite, "testcase", classname="harness", name="run completed", time="0.000")
        error = ET.SubElement(case, "error", message=_safe(results.abort_reason or "the run aborted"), type="aborted")
        error.text = _safe(results.verdict_reason)

    outcomes = [check.outcome for check in results.checks]
    tests = len(outcomes) + len(results.declarations) + errors
    failures = outcomes.count(Outcome.FAILED)
    skipped = len(results.declarations) + sum(
        outcomes.count(outcome) for outcome in (Outcome.NOT_APPLICABLE, Outcome.INCONCLUSIVE, Outcome.DECLARATION)
    )
    for element in (suites, suite):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
        element.set("skipped", str(skipped))
    suites.set("time", f"{results.wall_clock_seconds:.3f}")
    return ET.ElementTree(suites)


def write_junit(results: RunResults, path: Path) -> Path:
    """Write the JUnit XML of `results` to `path` (UTF-8, with declaration); returns the path."""
    tree = junit_tree(results)
    ET.indent(tree)
    private_dir(path.parent)
    with private_file(path, "wb") as handle:
        tree.write(handle, encoding="utf-8", xml_declaration=True)
    return path
