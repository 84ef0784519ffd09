"""results.json holds each evidence step and curl line once; the checks cite them by id, and every reader
resolves the ids back to the whole story (schema 2.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from reports.console import check_details
from reports.evidence_table import EvidenceTable
from reports.html import render_html
from reports.junit import junit_tree
from reports.results import (
    SCHEMA_VERSION,
    CheckResult,
    Evidence,
    InstanceFinding,
    Outcome,
    Reproduce,
    RunResults,
    load_results,
    write_results,
)
from tests.reports.conftest import START

RAW = '{"kind": "REQUEST", "body": "' + "x" * 3000 + '"}'


def _step(summary: str = "urgent request") -> Evidence:
    return Evidence(at=START, channel="SIENA", message_id="SIENA-9", sender="SPOC-DE", recipients=["SPOC-AT"],
                    kind="REQUEST", summary=summary, request=RAW)


def test_a_step_cited_by_many_checks_is_kept_once() -> None:
    table = EvidenceTable()
    shared = _step()
    first = table.cite([shared, _step("reply")])
    again = table.cite([shared])
    equal = table.cite([_step()])  # another object with the same content: the same step
    assert again == first[:1] == equal
    assert len(table.evidence) == 2
    assert table.cite_curl(["curl a", "curl b"]) == table.cite_curl(["curl a", "curl b"])
    assert len(table.curl_lines) == 2


def _cite_everywhere(results: RunResults) -> RunResults:
    table = EvidenceTable()
    table.evidence.update(results.evidence)
    table.curl_lines.update(results.curl_lines)
    for check in results.checks:
        check.evidence = [*check.evidence, *table.cite([_step()])]
        check.reproduce = Reproduce(seed=7, command=f"spoc-harness run --profile {check.requirements[0]}",
                                    curl=table.cite_curl(["curl -X POST http://127.0.0.1:1/x -d @big.json"]))
    results.evidence, results.curl_lines = table.evidence, table.curl_lines
    return results


def test_results_json_writes_the_shared_step_once(sample_results: RunResults, tmp_path: Path) -> None:
    results = _cite_everywhere(sample_results)
    path = write_results(results, tmp_path / "results.json")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["schema_version"] == SCHEMA_VERSION == "2.0"
    assert text.count("x" * 3000) == 1
    assert text.count("curl -X POST http://127.0.0.1:1/x") == 1
    loaded = load_results(path)
    assert loaded == results
    for check in loaded.checks:
        assert [step.request for step in loaded.evidence_of(check)][-1] == RAW
        assert loaded.curl_of(check) == ["curl -X POST http://127.0.0.1:1/x -d @big.json"]


def test_a_check_citing_a_step_results_json_lacks_does_not_load(sample_results: RunResults, tmp_path: Path) -> None:
    data = json.loads(write_results(sample_results, tmp_path / "results.json").read_text(encoding="utf-8"))
    data["checks"][1]["evidence"].append("ev-0000000000000000")
    with pytest.raises(ValidationError, match="ev-0000000000000000"):
        RunResults.model_validate(data)


def test_the_explanation_is_the_message_then_the_instances_then_the_replay() -> None:
    check = CheckResult(
        id="art5.sample", title="t", requirements=["R-10"], outcome=Outcome.FAILED,
        message="R-10 Art 5(1)(a): FAILED - t\n1 instance(s): 1 failed",
        instances=[InstanceFinding(instance="incoming.urgent", outcome=Outcome.FAILED, observed="answered 10 h after",
                                   expected="an answer within PT8H", rule="Art 5(1)(a): 8 hours")],
        reproduce=Reproduce(seed=7, command="spoc-harness run --profile R-10"),
    )
    assert check.explanation().splitlines() == [
        "R-10 Art 5(1)(a): FAILED - t",
        "1 instance(s): 1 failed",
        "[incoming.urgent] FAILED: answered 10 h after",
        "    expected: an answer within PT8H",
        "    rule: Art 5(1)(a): 8 hours",
        "reproduce: spoc-harness run --profile R-10 (seed 7)",
    ]


def test_every_reader_shows_the_cited_steps(sample_results: RunResults) -> None:
    results = _cite_everywhere(sample_results)
    failed = results.failed_checks()[0]
    details = check_details(results, failed)
    assert "SIENA REQUEST SIENA-9 SPOC-DE -> SPOC-AT: urgent request" in details
    assert "curl -X POST http://127.0.0.1:1/x -d @big.json" in details
    passed = next(c for c in results.checks if c.outcome is Outcome.PASSED)
    assert "curl -X POST" not in check_details(results, passed, curl=False)
    junit = junit_tree(results).getroot()
    failure = next(element for element in junit.iter("failure"))
    assert "SIENA-9" in (failure.text or "")
    assert "@big.json" in (failure.text or "")
    page = render_html(results, pictures=False)
    assert page.count("x" * 3000) == 1  # the raw exchange, once, in the Evidence section
    assert 'id="evidence"' in page
