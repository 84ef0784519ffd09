from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from reports.assemble import kill_row
from reports.results import (
    BasisStatus,
    CheckResult,
    Outcome,
    RequirementMeta,
    RunResults,
    UnknownRequirementError,
    Verdict,
    VirtualTime,
    article_of,
    combine_outcomes,
    excerpt,
    load_results,
    overall_verdict,
    roll_up_articles,
    roll_up_requirements,
    weakest_basis,
    write_results,
)


def _expected_rollup(outcomes: tuple[Outcome, ...]) -> Outcome:
    """The rule as the brief states it, written independently of the implementation."""
    if Outcome.FAILED in outcomes:
        return Outcome.FAILED
    if Outcome.ACCEPTED_DEVIATION in outcomes:  # an agreed failure: below a real one, above everything met
        return Outcome.ACCEPTED_DEVIATION
    if Outcome.WARNING in outcomes:
        return Outcome.WARNING
    if Outcome.INCONCLUSIVE in outcomes:
        return Outcome.INCONCLUSIVE
    if Outcome.PASSED in outcomes:
        return Outcome.PASSED
    if Outcome.NOT_APPLICABLE in outcomes:
        return Outcome.NOT_APPLICABLE
    return Outcome.DECLARATION


ALL_PAIRS_AND_TRIPLES = [
    combo for size in (1, 2, 3) for combo in itertools.combinations_with_replacement(list(Outcome), size)
]


@pytest.mark.parametrize("outcomes", ALL_PAIRS_AND_TRIPLES, ids=lambda combo: "+".join(o.value for o in combo))
def test_requirement_outcome_truth_table(outcomes: tuple[Outcome, ...], make_check: Any) -> None:
    checks = [make_check(f"c{i}", outcome, ("R-10",)) for i, outcome in enumerate(outcomes)]
    meta = [RequirementMeta(id="R-10", article="Art 5(1)(a)", title="t", basis=BasisStatus.VERIFIED)]

    [result] = roll_up_requirements(checks, meta)

    assert result.outcome is _expected_rollup(outcomes)
    assert result.checks == [f"c{i}" for i in range(len(outcomes))]


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ((Outcome.PASSED, Outcome.FAILED, Outcome.PASSED), Outcome.FAILED),
        ((Outcome.PASSED, Outcome.WARNING), Outcome.WARNING),
        ((Outcome.WARNING, Outcome.INCONCLUSIVE), Outcome.WARNING),
        ((Outcome.PASSED, Outcome.INCONCLUSIVE), Outcome.INCONCLUSIVE),
        ((Outcome.NOT_APPLICABLE, Outcome.PASSED), Outcome.PASSED),
        ((Outcome.NOT_APPLICABLE, Outcome.NOT_APPLICABLE), Outcome.NOT_APPLICABLE),
        ((), None),
    ],
)
def test_combine_outcomes_named_cases(outcomes: tuple[Outcome, ...], expected: Outcome | None) -> None:
    assert combine_outcomes(outcomes) is expected


def test_requirement_without_checks_is_declaration_or_inconclusive(catalogue: list[RequirementMeta]) -> None:
    results = {result.id: result for result in roll_up_requirements([], catalogue)}

    assert results["R-02"].outcome is Outcome.DECLARATION
    assert results["R-02"].not_tested_reason == "a notification to the Commission; nothing crosses a channel"
    assert results["R-50"].outcome is Outcome.INCONCLUSIVE
    assert results["R-50"].not_tested_reason == "no check of this run covered it"
    assert [result.id for result in roll_up_requirements([], catalogue)] == [meta.id for meta in catalogue]


def test_reason_names_the_deciding_check(make_check: Any, catalogue: list[RequirementMeta]) -> None:
    checks = [
        make_check("a.pass", Outcome.PASSED, ("R-10",)),
        make_check("a.fail", Outcome.FAILED, ("R-10", "R-12"), message="reply 9 h late\nsecond line"),
    ]
    results = {result.id: result for result in roll_up_requirements(checks, catalogue)}

    assert results["R-10"].reason == "a.fail: reply 9 h late"
    assert results["R-12"].outcome is Outcome.FAILED
    assert results["R-10"].checks == ["a.pass", "a.fail"]


def test_check_citing_unknown_requirement_is_refused(make_check: Any, catalogue: list[RequirementMeta]) -> None:
    with pytest.raises(UnknownRequirementError, match=r"check x\.y cites R-99"):
        roll_up_requirements([make_check("x.y", Outcome.PASSED, ("R-99",))], catalogue)


def test_articles_group_paragraphs_and_sort_numerically(make_check: Any, catalogue: list[RequirementMeta]) -> None:
    checks = [
        make_check("a", Outcome.FAILED, ("R-10",)),
        make_check("b", Outcome.PASSED, ("R-03",), message=""),
    ]
    articles = roll_up_articles(roll_up_requirements(checks, catalogue), {"Art 5": "Provision on request"})

    assert [article.article for article in articles] == ["Art 4", "Art 5", "Art 10"]
    art4, art5, art10 = articles
    assert art4.requirements == ["R-03", "R-07", "R-02"]
    # R-07 has no check (inconclusive) so the article cannot be 'passed' on R-03 alone.
    assert art4.outcome is Outcome.INCONCLUSIVE
    assert art4.unverified_requirements == ["R-07"]
    assert art5.outcome is Outcome.FAILED
    assert art5.title == "Provision on request"
    assert art5.counts.failed == 1
    assert art5.counts.total == 3
    assert art10.outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("outcomes", "aborted", "verdict"),
    [
        ((Outcome.PASSED, Outcome.PASSED), False, Verdict.CONFORMANT),
        (
            (Outcome.PASSED, Outcome.WARNING, Outcome.INCONCLUSIVE, Outcome.NOT_APPLICABLE),
            False,
            Verdict.CONFORMANT_WITH_WARNINGS,
        ),
        ((Outcome.PASSED, Outcome.INCONCLUSIVE, Outcome.NOT_APPLICABLE), False, Verdict.CONFORMANT),
        ((Outcome.WARNING, Outcome.FAILED), False, Verdict.NOT_CONFORMANT),
        ((Outcome.PASSED, Outcome.FAILED), False, Verdict.NOT_CONFORMANT),
        ((Outcome.PASSED, Outcome.FAILED), True, Verdict.NOT_CONFORMANT),
        ((Outcome.PASSED,), True, Verdict.INCOMPLETE),
        ((), False, Verdict.INCOMPLETE),
    ],
)
def test_overall_verdict(outcomes: tuple[Outcome, ...], aborted: bool, verdict: Verdict, make_check: Any) -> None:
    checks = [make_check(f"c{i}", outcome) for i, outcome in enumerate(outcomes)]
    assert overall_verdict(checks, aborted=aborted) is verdict


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.WARNING, Outcome.INCONCLUSIVE])
def test_a_check_that_does_not_pass_must_say_why(outcome: Outcome, make_check: Any) -> None:
    with pytest.raises(ValidationError, match="needs a message saying why"):
        make_check("c", outcome, message="  ")


def test_a_check_must_cite_a_requirement(make_check: Any) -> None:
    with pytest.raises(ValidationError, match="requirements"):
        make_check("c", Outcome.PASSED, ())


def test_virtual_time_rejects_inconsistent_spans() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert VirtualTime.between(start, start + timedelta(hours=8)).span_seconds == 28_800
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        VirtualTime.between(start, start - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="span_seconds"):
        VirtualTime(start=start, end=start + timedelta(hours=1), span_seconds=10)
    with pytest.raises(ValidationError):
        VirtualTime.between(datetime(2026, 1, 1), datetime(2026, 1, 2))  # naive times


@pytest.mark.parametrize(
    ("spelling", "basis"),
    [
        ("verified", BasisStatus.VERIFIED),
        ("partly-verified", BasisStatus.PARTLY_VERIFIED),
        ("partly_verified", BasisStatus.PARTLY_VERIFIED),
        ("PARTLY_VERIFIED", BasisStatus.PARTLY_VERIFIED),
        ("U", BasisStatus.UNVERIFIED),
        ("unverified", BasisStatus.UNVERIFIED),
    ],
)
def test_basis_spellings(spelling: str, basis: BasisStatus) -> None:
    assert BasisStatus(spelling) is basis


def test_weakest_basis() -> None:
    assert weakest_basis([BasisStatus.VERIFIED, BasisStatus.PARTLY_VERIFIED]) is BasisStatus.PARTLY_VERIFIED
    assert weakest_basis([BasisStatus.VERIFIED, BasisStatus.UNVERIFIED]) is BasisStatus.UNVERIFIED
    assert weakest_basis([BasisStatus.VERIFIED]) is BasisStatus.VERIFIED


@pytest.mark.parametrize(
    ("reference", "article"),
    [
        ("Art 5(1)(a)", "Art 5"),
        ("Art 7(3)/(4)", "Art 7"),
        ("Article 16(1)", "Art 16"),
        ("Art. 05", "Art 5"),
        ("Annex", "Annex"),
    ],
)
def test_article_of(reference: str, article: str) -> None:
    assert article_of(reference) == article


def test_excerpt_cuts_and_says_so() -> None:
    assert excerpt(None) is None
    assert excerpt(b"short") == "short"
    cut = excerpt("x" * 50, limit=10)
    assert cut is not None
    assert cut.startswith("x" * 10)
    assert "[40 more characters cut]" in cut


def test_kill_row() -> None:
    row = kill_row("late_reply", ["R-10", "R-11"], ["R-10", "R-13"], {"R-13": "the received time is wrong too"})
    assert not row.killed
    assert row.missed == ["R-11"]
    assert [(extra.requirement, extra.explanation) for extra in row.extra_failures] == [
        ("R-13", "the received time is wrong too")
    ]
    assert kill_row("late_reply", ["R-10"], ["R-10", "R-13"]).killed
    assert kill_row("late_reply", ["R-10"], ["R-10", "R-13"]).extra_failures[0].explanation is None
    assert not kill_row("nothing_expected", [], []).killed


def test_assembled_results_are_consistent(sample_results: RunResults) -> None:
    results = sample_results
    assert results.verdict is Verdict.NOT_CONFORMANT
    assert results.verdict_reason.startswith("not conformant: R-10 failed (6 checks: 2 passed, 1 failed")
    assert results.counts.checks.total == 6
    assert results.counts.requirements.total == 7
    assert [r.id for r in results.failed_requirements()] == ["R-10"]
    assert [d.requirement for d in results.declarations] == ["R-02"]
    assert results.coverage.requirements_total == 7
    assert results.coverage.with_checks == 5
    assert results.coverage.declaration_only == 1
    assert [item.requirement for item in results.coverage.not_covered] == ["R-50"]
    trace = {row.requirement: row for row in results.traceability}
    assert trace["R-10"].checks == [
        "art5.urgent_direct_reply_within_8h[night]",
        "art5.urgent_direct_reply_within_8h[day]",
    ]
    assert trace["R-10"].scenarios == ["Urgent request answered at night"]
    assert trace["R-02"].not_tested_reason is not None
    assert results.wall_clock_seconds == 93
    assert results.settings.model_extra == {"channels": "SIENA"}


def test_conformant_reason_mentions_what_could_not_be_decided(sample_builder: Any, make_check: Any) -> None:
    from reports.assemble import explain_verdict

    checks = [
        make_check("a", Outcome.PASSED),
        make_check("b", Outcome.INCONCLUSIVE),
        make_check("c", Outcome.WARNING),
    ]
    text = explain_verdict(Verdict.CONFORMANT_WITH_WARNINGS, checks)
    assert text.startswith("conformant with warnings: ")
    assert "1 checks could not decide" in text
    assert "1 checks passed only with a warning: R-10" in text
    aborted = sample_builder(aborted=True)
    assert aborted.verdict is Verdict.NOT_CONFORMANT
    assert "the run also aborted: SUT stopped answering" in aborted.verdict_reason


def test_results_round_trip_through_json(sample_results: RunResults, tmp_path: Path) -> None:
    path = write_results(sample_results, tmp_path / "out" / "results.json")
    loaded = load_results(path)
    assert loaded == sample_results
    assert isinstance(loaded.checks[1], CheckResult)
    assert '"verdict": "not conformant"' in path.read_text(encoding="utf-8")


def test_assemble_takes_each_checks_basis_from_the_catalogue(
    sample_results: RunResults, make_check: Any, catalogue: list[RequirementMeta]
) -> None:
    from reports.assemble import assemble_results

    claims_verified = make_check("a", Outcome.FAILED, ("R-07",), basis_status=BasisStatus.VERIFIED)
    mixed = make_check("b", Outcome.PASSED, ("R-10", "R-16"), basis_status=BasisStatus.VERIFIED)
    results = assemble_results(
        [claims_verified, mixed],
        catalogue,
        started_at=sample_results.started_at,
        finished_at=sample_results.finished_at,
        virtual_time=sample_results.virtual_time,
        sut=sample_results.sut,
        settings=sample_results.settings,
    )
    assert [check.basis_status for check in results.checks] == [
        BasisStatus.UNVERIFIED,
        BasisStatus.PARTLY_VERIFIED,
    ]
    assert claims_verified.basis_status is BasisStatus.VERIFIED  # the input is not mutated
    assert results.kill_matrix is None
