from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reports.assemble import assemble_results, kill_row
from reports.evidence_table import EvidenceTable
from reports.results import (
    BasisStatus,
    CheckResult,
    Evidence,
    Outcome,
    Reproduce,
    RequirementMeta,
    RunResults,
    RunSettings,
    SystemUnderTest,
    VirtualTime,
)

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'

CheckFactory = Callable[..., CheckResult]


@pytest.fixture
def make_check() -> CheckFactory:
    def factory(
        check_id: str = "art5.sample",
        outcome: Outcome = Outcome.PASSED,
        requirements: tuple[str, ...] = ("R-10",),
        **extra: Any,
    ) -> CheckResult:
        fields: dict[str, Any] = {
            "id": check_id,
            "title": f"title of {check_id}",
            "requirements": list(requirements),
            "articles": ["Art 5(1)(a)"],
            "outcome": outcome,
            "message": "" if outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE) else f"{outcome.value}: because",
            "basis_status": BasisStatus.VERIFIED,
        }
        fields.update(extra)
        return CheckResult(**fields)

    return factory


@pytest.fixture
def catalogue() -> list[RequirementMeta]:
    return [
        RequirementMeta(
            id="R-03",
            article="Art 4(1) §3",
            title="Copy of a designated LEA's request to own SPOC",
            basis=BasisStatus.VERIFIED,
        ),
        RequirementMeta(
            id="R-07",
            article="Art 4(5)",
            title="Request carries the minimum content",
            basis=BasisStatus.UNVERIFIED,
        ),
        RequirementMeta(
            id="R-10",
            article="Art 5(1)(a)",
            title="Urgent direct request answered within 8 hours",
            basis=BasisStatus.VERIFIED,
        ),
        RequirementMeta(
            id="R-12",
            article="Art 5(1)(c)",
            title="Other requests answered within 7 days",
            basis=BasisStatus.VERIFIED,
        ),
        RequirementMeta(
            id="R-16",
            article="Art 5(3) §1",
            title="Reply in the request's language",
            basis=BasisStatus.PARTLY_VERIFIED,
        ),
        RequirementMeta(
            id="R-02",
            article="Art 4(1) §2",
            title="List of designated LEAs notified",
            basis=BasisStatus.VERIFIED,
            declaration_only=True,
            not_tested_reason="a notification to the Commission; nothing crosses a channel",
        ),
        RequirementMeta(
            id="R-50",
            article="Art 10(a)",
            title="Not covered by any check here",
            basis=BasisStatus.UNVERIFIED,
        ),
    ]


def _failing_check(table: EvidenceTable) -> CheckResult:
    at = START + timedelta(hours=9, minutes=2)
    return CheckResult(
        id="art5.urgent_direct_reply_within_8h[night]",
        title="An urgent request for directly available data is answered within 8 hours",
        requirements=["R-10"],
        articles=["Art 5(1)(a)"],
        outcome=Outcome.FAILED,
        message=f"Sent urgent REQUEST SIENA-1 at 09:00Z; REPLY came at 18:02Z, 9 h 02 min later. {HOSTILE}",
        expected="a REPLY by 2026-03-02T17:00:00Z",
        observed="REPLY at 2026-03-02T18:02:00Z",
        rule="Art 5(1)(a): at the latest within 8 hours",
        basis_status=BasisStatus.VERIFIED,
        evidence=table.cite([
            Evidence(
                at=START,
                channel="SIENA",
                message_id="SIENA-1",
                sender="DE-SPOC",
                recipients=["AT-SPOC"],
                kind="REQUEST",
                summary="urgent request, directly available",
                request='{"urgent": true, "note": "</pre><script>x</script>"}',
                response='{"status": 202}',
            ),
            Evidence(
                at=at,
                channel="SIENA",
                message_id="SIENA-2",
                sender="AT-SPOC",
                recipients=["DE-SPOC"],
                kind="REPLY",
                summary="reply, 9 h 02 min after the request",
            ),
        ]),
        reproduce=Reproduce(
            seed=7,
            command="spoc-harness run --sut reference --check 'art5.urgent*' --seed 7",
            curl=table.cite_curl(["curl -X POST http://127.0.0.1:8700/siena/v1/messages -d @request.json"]),
        ),
        duration_seconds=1.25,
        virtual_time=VirtualTime.between(START, at, "virtual"),
    )


@pytest.fixture
def sample_results(make_check: CheckFactory, catalogue: list[RequirementMeta]) -> RunResults:
    return build_sample(make_check, catalogue)


def build_sample(make_check: CheckFactory, catalogue: list[RequirementMeta], *, aborted: bool = False) -> RunResults:
    table = EvidenceTable()
    checks = [
        make_check("art5.other_reply_within_7d", Outcome.PASSED, ("R-12",), articles=["Art 5(1)(c)"]),
        _failing_check(table),
        make_check(
            "art4.request_content[minimal]",
            Outcome.WARNING,
            ("R-07",),
            articles=["Art 4(5)"],
            basis_status=BasisStatus.UNVERIFIED,
            message="reply carried no reason field; accepted",
        ),
        make_check(
            "art4.copy_to_own_spoc",
            Outcome.NOT_APPLICABLE,
            ("R-03",),
            articles=["Art 4(1)"],
            message="AT has no designated LEAs",
        ),
        make_check(
            "art5.reply_language",
            Outcome.INCONCLUSIVE,
            ("R-16",),
            articles=["Art 5(3)"],
            basis_status=BasisStatus.PARTLY_VERIFIED,
            message="no operator answered within 10 min",
        ),
        make_check("art5.urgent_direct_reply_within_8h[day]", Outcome.PASSED, ("R-10",)),
    ]
    end = START + timedelta(days=8)
    return assemble_results(
        checks,
        catalogue,
        started_at=START,
        finished_at=START + timedelta(seconds=93),
        virtual_time=VirtualTime.between(START, end, "virtual"),
        sut=SystemUnderTest(kind="reference", url="http://127.0.0.1:8800/sut/v1", state="AT",
                            defects=["late_urgent_reply"]),
        settings=RunSettings(profile="full", time_mode="virtual", deadline_reading="elapsed", seed=7, channels="SIENA"),
        scenarios={"R-10": ["Urgent request answered at night"]},
        kill_matrix=[
            kill_row("late_urgent_reply", ["R-10"], ["R-10"]),
            kill_row("wrong_language", ["R-16"], ["R-10"], {"R-10": "the delayed reply is also late"}),
        ],
        aborted=aborted,
        abort_reason="SUT stopped answering" if aborted else None,
        evidence_bundle="reports-out/evidence",
        harness_version="0.1.0",
        evidence=table.evidence,
        curl_lines=table.curl_lines,
    )


@pytest.fixture
def sample_builder(make_check: CheckFactory, catalogue: list[RequirementMeta]) -> Callable[..., RunResults]:
    def build(**options: Any) -> RunResults:
        return build_sample(make_check, catalogue, **options)

    return build


# -- real runs (slow): the reference CMS, run once per session, signed with a lab key ------------------


def run_harness(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`spoc-harness ARGS` in a subprocess of this interpreter (the installed entry point's code)."""
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="session")
def lab_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from reports.signing import new_key_file

    path = tmp_path_factory.mktemp("lab-key") / "lab.key"
    new_key_file(path, "Test lab")
    return path


@pytest.fixture(scope="session")
def late_run(tmp_path_factory: pytest.TempPathFactory, lab_key: Path) -> Path:
    """Report directory of a real run with one deadline defect (late-urgent-reply), its deadline checks only."""
    out = tmp_path_factory.mktemp("late-run")
    done = run_harness("run", "--defect", "late-urgent-reply", "--profile", "R-10,R-14", "--seed", "1",
                       "--report-dir", str(out), "--signing-key", str(lab_key), "-q")
    assert done.returncode == 1, done.stdout + done.stderr  # the defect makes the run not conformant
    return out


@pytest.fixture(scope="session")
def conformant_run(tmp_path_factory: pytest.TempPathFactory, lab_key: Path) -> Path:
    """Report directory of a real conformant run of the clean reference CMS (R-10 only)."""
    out = tmp_path_factory.mktemp("conformant-run")
    done = run_harness("run", "--profile", "R-10", "--seed", "1", "--report-dir", str(out),
                       "--signing-key", str(lab_key), "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    return out
