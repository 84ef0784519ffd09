"""Accepted deviations: matched, unmatched and expired entries, and what each does to the verdict and the outputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reports.assemble import assemble_results
from reports.console import render_summary
from reports.deviations import DeviationFileError, apply_deviations, load_deviations
from reports.html import render_html
from reports.junit import junit_tree
from reports.results import (
    CheckResult,
    DeviationReport,
    InstanceFinding,
    Outcome,
    RequirementMeta,
    RunResults,
    RunSettings,
    SystemUnderTest,
    Verdict,
    VirtualTime,
)
from tests.reports.conftest import START, CheckFactory

RUN_DAY = date(2026, 12, 7)


def _entry(requirement: str = "R-10", expires: str = "2027-06-30", scope: str = "") -> str:
    return (f'[[deviation]]\nrequirement = "{requirement}"\n{scope}\nowner = "AT SPOC statistics unit"\n'
            f'reason = "compiled per case, agreed with the Commission"\nreference = "Ares(2026)1234567"\n'
            f"expires = {expires}\n")


def _write(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "deviations.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def results_kwargs() -> dict[str, Any]:
    return {
        "started_at": START, "finished_at": START + timedelta(seconds=5),
        "virtual_time": VirtualTime.between(START, START + timedelta(days=1), "virtual"),
        "sut": SystemUnderTest(kind="reference", url="http://127.0.0.1:1/sut/v1", state="AT"),
        "settings": RunSettings(profile="all", time_mode="virtual", deadline_reading="elapsed", seed=1),
    }


def _late(make_check: CheckFactory, *instances: str) -> CheckResult:
    return make_check("art05.urgent", Outcome.FAILED, ("R-10",), instances=[
        InstanceFinding(instance=key, outcome=Outcome.FAILED, observed="16 h late", rule="Art 5(1)(a)")
        for key in instances
    ])


def _results(checks: list[CheckResult], catalogue: list[RequirementMeta], results_kwargs: dict[str, Any],
             deviations: DeviationReport) -> RunResults:
    return assemble_results(checks, catalogue, deviations=deviations, **results_kwargs)


def test_a_matching_entry_turns_the_failure_into_an_accepted_deviation_listed_on_its_own(
    tmp_path: Path, make_check: CheckFactory, catalogue: list[RequirementMeta], results_kwargs: dict[str, Any]
) -> None:
    entries = load_deviations(_write(tmp_path, _entry(scope='scope = { scenario = "incoming.night", state = "AT" }')))
    checks, report = apply_deviations([_late(make_check, "incoming.night")], entries, state="AT", today=RUN_DAY,
                                      source="deviations.toml")
    assert checks[0].outcome is Outcome.ACCEPTED_DEVIATION
    assert checks[0].message.startswith("ACCEPTED DEVIATION (R-10, owner AT SPOC statistics unit")
    assert [(a.entry.requirement, a.checks, a.instances) for a in report.accepted] == [
        ("R-10", ["art05.urgent"], ["incoming.night"])]
    results = _results(checks, catalogue, results_kwargs, report)
    assert results.verdict is Verdict.CONFORMANT
    assert "accepted deviations (listed separately): R-10" in results.verdict_reason
    assert next(r for r in results.requirements if r.id == "R-10").outcome is Outcome.ACCEPTED_DEVIATION
    assert results.counts.checks.accepted_deviation == 1
    html = render_html(results)
    assert 'id="deviations"' in html
    assert "Ares(2026)1234567" in html
    assert "ACCEPTED R-10" in render_summary(results)
    junit = ET.tostring(junit_tree(results).getroot(), encoding="unicode")
    assert 'name="outcome" value="accepted_deviation"' in junit
    assert "<failure" not in junit


def test_a_failure_only_partly_covered_stays_a_failure(
    tmp_path: Path, make_check: CheckFactory
) -> None:
    entries = load_deviations(_write(tmp_path, _entry(scope='scope = { scenario = "incoming.night" }')))
    checks, report = apply_deviations([_late(make_check, "incoming.night", "incoming.weekend")], entries,
                                      state="AT", today=RUN_DAY, source="d")
    assert checks[0].outcome is Outcome.FAILED
    assert report.accepted == []
    assert len(report.unmatched) == 1


def test_an_entry_for_another_state_or_requirement_is_reported_as_unmatched(
    tmp_path: Path, make_check: CheckFactory, catalogue: list[RequirementMeta], results_kwargs: dict[str, Any]
) -> None:
    entries = load_deviations(_write(tmp_path, _entry(scope='scope = { state = "DE" }'), _entry("R-12")))
    checks, report = apply_deviations([_late(make_check, "incoming.night")], entries, state="AT", today=RUN_DAY,
                                      source="d")
    assert checks[0].outcome is Outcome.FAILED
    assert [e.requirement for e in report.unmatched] == ["R-10", "R-12"]
    results = _results(checks, catalogue, results_kwargs, report)
    assert results.verdict is Verdict.NOT_CONFORMANT
    assert "2 deviation entries matched no failure" in results.verdict_reason


def test_an_expired_entry_is_never_applied_and_fails_an_otherwise_conformant_run(
    tmp_path: Path, make_check: CheckFactory, catalogue: list[RequirementMeta], results_kwargs: dict[str, Any]
) -> None:
    entries = load_deviations(_write(tmp_path, _entry(expires="2026-12-06")))
    passed = make_check("art05.urgent", Outcome.PASSED, ("R-10",))
    checks, report = apply_deviations([passed], entries, state="AT", today=RUN_DAY, source="d")
    assert [e.expires for e in report.expired] == ["2026-12-06"]
    results = _results(checks, catalogue, results_kwargs, report)
    assert results.verdict is Verdict.NOT_CONFORMANT
    assert "expired deviation entries: R-10 (expired 2026-12-06)" in results.verdict_reason
    assert "not applied; fails the run" in render_html(results)
    assert "EXPIRED  R-10   expired 2026-12-06: not applied, fails the run" in render_summary(results)

    late, report = apply_deviations([_late(make_check, "incoming.night")], entries, state="AT", today=RUN_DAY,
                                    source="d")
    assert late[0].outcome is Outcome.FAILED  # an expired entry covers nothing


def test_an_entry_valid_on_its_expiry_day_still_applies(tmp_path: Path, make_check: CheckFactory) -> None:
    entries = load_deviations(_write(tmp_path, _entry(expires="2026-12-07")))
    checks, report = apply_deviations([_late(make_check, "x")], entries, state="AT", today=RUN_DAY, source="d")
    assert checks[0].outcome is Outcome.ACCEPTED_DEVIATION
    assert report.expired == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[deviation]]\nrequirement = "R-10"\nreason = "r"\nreference = "x"\nexpires = 2027-01-01\n',
         "deviation #1: field 'owner': Field required"),
        (_entry(expires='"next year"'), "field 'expires': 'next year' is not a date"),
        (_entry(scope='scope = { article = "5" }'), "field 'scope': unknown key(s) article"),
        ("[[deviation]\n", "not valid toml"),
    ],
)
def test_a_bad_file_is_refused_naming_the_field_and_the_reason(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(DeviationFileError) as caught:
        load_deviations(_write(tmp_path, text))
    assert says in str(caught.value)


def test_run_refuses_a_bad_deviations_file_before_starting_the_campaign(tmp_path: Path) -> None:
    from conformance.commands.run import run

    path = _write(tmp_path, _entry(expires='"soon"'))
    outcome = CliRunner().invoke(run, ["--deviations", str(path), "--report-dir", str(tmp_path / "out")])
    assert outcome.exit_code == 2
    assert "field 'expires': 'soon' is not a date" in outcome.output
    assert not (tmp_path / "out").exists()
