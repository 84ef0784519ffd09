"""`spoc-harness run --time-mode declared` and `--time-mode real` against the reference CMS, end to end.

Each mode runs as a user runs it: `spoc-harness run` subprocesses (through the kill matrix's runner, each
with its own simulators and reference CMS on free loopback ports), once against the clean CMS with every
check and once with a named defect the mode must still catch. The outcomes asserted are the correct ones:

- declared: the campaign runs on the virtual timeline as in the default mode, but the Art 5(1) receipt and
  answer times are the ones the CMS recorded. The reference CMS follows the network clock, so what it
  records is what the channels' journal says (checked below): every check passes.
- declared, with a CMS on a clock of its own (the defect `ignores-harness-clock`: it stamps its receipts
  with its machine's clock while the network runs on the campaign's 2026 timeline): whatever would set a
  time it recorded against a network time is inconclusive and names the measured disagreement, what lies
  between two of its own times is judged, and the outcomes do not depend on the date its clock shows.
- real: the SUT keeps the wall clock; everything is sent at once and the SUT is watched for --real-wait
  seconds. What the reference CMS does at once is judged and passes (the requests it sends and their
  copies, its receipts, records, audit log and statistics, its clarification requests and delay notices).
  What falls due hours, days or months later cannot be waited for (it answers after 30 minutes to a day of
  processing; retention reviews come after 6 months), and the SIENA outage is not simulated when every
  scenario runs at once: those checks are inconclusive and say so. Nothing fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conformance.campaign.clocks import ClockComparison, DeclaredClock, Stamp, signed_gap
from conformance.campaign.killmatrix import DefectRun, KillMatrixOutcome, defect_command, run_kill_matrix
from conformance.campaign.run_options import RunOptions
from conformance.catalogue import load_catalogue
from conformance.settings import CampaignSettings, TimeMode
from conformance.verdicts import DeadlineJudgement, judge_deadline
from reports.results import CheckResult, Outcome, RunResults, Verdict, load_results

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# Long enough for the reference CMS's immediate steps (receipt, clarification request, delay notice, the
# copy sent with a message, the clarification it gives when asked), which take about a second even when a
# push to it is retried; far below the 30 minutes its first answer takes.
REAL_WAIT = 4.0

# Declared mode judges Art 5(1) on the receipt and answer times the CMS itself records: an urgent answer
# it records 24 hours after receipt must fail there, as the journal says.
DECLARED_DEFECT = "late-urgent-reply"
# Real time mode judges what must happen at once: the copy of a designated authority's request to its own
# SPOC is due with the request (1 s tolerance), well within --real-wait, so its absence is a failure.
REAL_DEFECT = "no-spoc-copy-for-designated-request"

# Declared mode with a CMS on a clock of its own, run twice with its machine clock set to two dates, so that
# the test itself does not depend on the date it runs on: years after the campaign's timeline, where setting
# the counts of its statistics (it counts in the year of its clock) against the campaign's year used to fail
# and inside the timeline, where setting its receipts against the end of the campaign used to
# fail every request it had not answered yet.
OWN_CLOCK_DEFECT = "ignores-harness-clock"
OWN_CLOCK_DATES = {
    "after": datetime.fromisoformat("2031-06-01T00:00:00+00:00"),
    "inside": datetime.fromisoformat("2026-10-01T00:00:00+00:00"),
}
# What would set a time the CMS recorded against a network time: inconclusive, naming the measured disagreement.
# (R-85 also judges 21 CMS deadlines against the CMS's recorded receipts: both its own times.)
OWN_CLOCK_CROSS_CLOCK = {
    "R-10", "R-11", "R-12", "R-13", "R-14", "R-23", "R-25", "R-68", "R-85", "R-90", "R-91", "R-95", "R-96",
    "R-97", "R-98", "R-99",
}
# Judged on network time alone. The CMS answers after 30 minutes of its own clock, while the campaign's
# months of network time pass in seconds: nothing came back, so what needed an answer fails, and the copies
# of information never provided cannot be judged.
OWN_CLOCK_FAILED = {"R-15", "R-22", "R-27", "R-50", "R-61", "R-62", "R-64", "R-65"}
OWN_CLOCK_NOTHING_TO_COPY = {"R-17", "R-41"}
# Sets the reference CMS's machine clock (the clock it keeps when it ignores the network's) to a given time, in
# the `spoc-harness run` subprocess tree that gets this directory on PYTHONPATH: the machine's date is the one
# thing here that cannot be set for real.
_MOVE_CMS_CLOCK = """
import os
import time
from datetime import datetime, timedelta

_start = os.environ.get("SPOC_TEST_CMS_CLOCK")
if _start:
    import simulators.reference_cms.clock_follower as follower

    assert hasattr(follower, "_system_now"), "the reference CMS reads its machine clock elsewhere now"
    origin, began = datetime.fromisoformat(_start), time.monotonic()
    follower._system_now = lambda: origin + timedelta(seconds=time.monotonic() - began)
"""

# Real time mode, clean reference CMS: judged on what it does at once.
REAL_PASSED = {
    "R-01", "R-03", "R-04", "R-05", "R-06", "R-07", "R-08", "R-13", "R-24", "R-26", "R-30", "R-31", "R-32",
    "R-33", "R-34", "R-40", "R-42", "R-43", "R-46", "R-52", "R-53", "R-54", "R-66", "R-80", "R-81", "R-82",
    "R-83", "R-84", "R-85", "R-86", "R-87", "R-88", "R-89", "R-95", "R-96", "R-97", "R-98", "R-99",
}
# Due hours, days or months after the campaign stopped watching, or resting on the outage: inconclusive.
REAL_INCONCLUSIVE = {
    "R-10", "R-11", "R-12", "R-14", "R-15", "R-16", "R-17", "R-18", "R-20", "R-22", "R-23", "R-25", "R-27",
    "R-41", "R-47", "R-48", "R-49", "R-50", "R-55", "R-61", "R-62", "R-64", "R-65", "R-68", "R-90", "R-91",
}


def _campaign(tmp_path_factory: pytest.TempPathFactory, mode: str, defect: str,
              real_wait: float | None = None) -> tuple[KillMatrixOutcome, Path]:
    report_dir = tmp_path_factory.mktemp(f"time-mode-{mode}")
    options = RunOptions(report_dir=report_dir, time_mode=mode, real_wait=real_wait)
    return run_kill_matrix(options, jobs=2, quiet=True, echo=lambda _: None, defects=[defect]), report_dir


@pytest.fixture(scope="module")
def declared(tmp_path_factory: pytest.TempPathFactory) -> tuple[KillMatrixOutcome, Path]:
    return _campaign(tmp_path_factory, "declared", DECLARED_DEFECT)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[KillMatrixOutcome, Path]:
    return _campaign(tmp_path_factory, "real", REAL_DEFECT, real_wait=REAL_WAIT)


@pytest.fixture(scope="module")
def own_clock(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[RunResults, Path]]:
    """The declared-mode run against the CMS on its own clock, with every check, at each of OWN_CLOCK_DATES (both
    at once, each a `spoc-harness run` of its own)."""
    base = tmp_path_factory.mktemp("declared-own-clock")
    mover = base / "site"
    mover.mkdir()
    (mover / "sitecustomize.py").write_text(_MOVE_CMS_CLOCK, encoding="utf-8")
    started = {}
    for name, clock in OWN_CLOCK_DATES.items():
        report_dir = base / name
        env = {**os.environ, "PYTEST_ADDOPTS": "", "SPOC_TEST_CMS_CLOCK": clock.isoformat(),
               "PYTHONPATH": os.pathsep.join(p for p in (str(mover), os.environ.get("PYTHONPATH")) if p)}
        # Every scenario, not only those the defect shows in: this reads the whole campaign on an own clock.
        command = defect_command(RunOptions(report_dir=report_dir, time_mode="declared"), OWN_CLOCK_DEFECT, [],
                                 report_dir, revealing_only=False)
        started[name] = (subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                          env=env), report_dir)
    runs = {}
    try:
        for name, (process, report_dir) in started.items():
            log, _ = process.communicate(timeout=300)
            assert (report_dir / "results.json").exists(), f"{name}: no results.json (exit {process.returncode})\n{log}"
            assert process.returncode == 1, f"{name}: exit {process.returncode}\n{log}"
            runs[name] = (load_results(report_dir / "results.json"), report_dir)
    finally:
        for process, _ in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return runs


def _run(outcome: KillMatrixOutcome, name: str) -> tuple[DefectRun, RunResults]:
    run = next(r for r in outcome.runs if r.defect == name)
    assert run.results is not None, f"{name}: no results.json (exit {run.returncode})\n{run.log}"
    return run, run.results


def _written(report_dir: Path, name: str) -> dict[str, Any]:
    written: dict[str, Any] = json.loads((report_dir / "kill-matrix" / name / "results.json").read_text("utf-8"))
    return written


def _by_outcome(results: RunResults) -> dict[Outcome, set[str]]:
    found: dict[Outcome, set[str]] = {}
    for requirement in results.requirements:
        found.setdefault(requirement.outcome, set()).add(requirement.id)
    return found


def _assert_reasons(results: RunResults) -> None:
    """Every check and requirement that did not pass says why: what was observed, under which rule."""
    checks = {c.id: c for c in results.checks}
    for check in checks.values():
        if check.outcome is Outcome.PASSED:
            continue
        assert check.observed, f"{check.id} ({check.outcome.value}) says nothing observed:\n{check.explanation()}"
        assert check.rule, f"{check.id} ({check.outcome.value}) names no rule:\n{check.explanation()}"
        assert len(check.explanation().splitlines()) > 2, f"{check.id} names no instance:\n{check.explanation()}"
    for requirement in results.requirements:
        if requirement.outcome in (Outcome.PASSED, Outcome.DECLARATION):
            continue
        assert requirement.reason, f"{requirement.id} ({requirement.outcome.value}) gives no reason"
        assert any(check_id in requirement.reason for check_id in requirement.checks), requirement.reason


# -- declared ------------------------------------------------------------------------------------------


def test_declared_clean_run_passes_every_check(declared: tuple[KillMatrixOutcome, Path]) -> None:
    outcome, report_dir = declared
    run, clean = _run(outcome, "clean")
    assert run.returncode == 0, run.log
    assert "Verdict: CONFORMANT" in run.log
    not_passed = [f"{c.id}: {c.outcome.value}\n{c.explanation()}" for c in clean.checks
                  if c.outcome is not Outcome.PASSED]
    assert not not_passed, "\n\n".join(not_passed)
    assert clean.verdict is Verdict.CONFORMANT
    catalogue = load_catalogue()
    assert _by_outcome(clean) == {Outcome.PASSED: {r.id for r in catalogue.testable()},
                                  Outcome.DECLARATION: {r.id for r in catalogue.declarations()}}
    written = _written(report_dir, "clean")
    assert written["settings"]["time_mode"] == "declared"
    assert written["virtual_time"]["mode"] == "virtual"  # declared mode still runs on the virtual timeline
    assert float(written["settings"]["main_timeline_days"]) >= 7
    # The channel journal was verified at the end, and its head recorded outside the database.
    journal = written["channel_journal"]
    assert journal["ok"] is True
    assert journal["head"]["seq"] > 0
    assert len(journal["head"]["hash"]) == 64


def test_declared_times_are_the_journals(declared: tuple[KillMatrixOutcome, Path]) -> None:
    """Why every check passes in declared mode: the reference CMS records the network's times."""
    _, report_dir = declared
    evidence = report_dir / "kill-matrix" / "clean" / "evidence"
    exports = json.loads((evidence / "cms-exports.json").read_text("utf-8"))["main"]
    lines = (evidence / "journal.jsonl").read_text("utf-8").splitlines()
    journal = {m["message_id"]: m for m in map(json.loads, lines)}

    def moment(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    compared = received = 0
    for case in exports["cases"]:
        for communication in case["communications"]:
            message = journal.get(communication["message_id"])
            if message is None or communication["at"] is None:
                continue  # a copy that stayed inside the CMS never crossed a channel
            # Sent and received at once, unless the harness held the delivery back with an outage (the forced
            # delivery order): the CMS then received it when a later attempt got through.
            held_back = {moment(a["acked_at"]) for a in message.get("acks", []) if a["attempts"] > 1 and a["acked_at"]}
            assert moment(communication["at"]) in {moment(message["created_at"])} | held_back, (
                case["case_id"], communication)
            compared += 1
        if case["received_at"] and case["direction"] == "INCOMING":
            opening = case["communications"][0]
            first = journal[opening["message_id"]]
            # Received by the party the channel delivered it to: the SPOC's SIRENE bureau for a request that came
            # as a SIRENE form, although the SPOC owns and answers it (Art 15(2)).
            receiver = opening.get("received_by") or case["own_party"]
            delivered = [a["delivered_at"] for a in first["acks"] if a["party"] == receiver]
            assert delivered, case["case_id"]
            assert moment(case["received_at"]) == moment(delivered[0]), case["case_id"]
            received += 1
    assert compared >= 50, compared
    assert received >= 20, received


def test_declared_mode_catches_a_late_urgent_answer(declared: tuple[KillMatrixOutcome, Path]) -> None:
    outcome, report_dir = declared
    run, results = _run(outcome, DECLARED_DEFECT)
    assert run.returncode == 1, run.log
    assert "Verdict: NOT CONFORMANT" in run.log
    assert results.verdict is Verdict.NOT_CONFORMANT
    assert set(run.failed) == {"R-10", "R-14"}
    assert all(row.killed for row in outcome.rows)
    late = next(c for c in results.checks if c.id == "art05_time_limits.urgent_direct_within_8_hours")
    assert "PT8H" in late.explanation(), late.explanation()
    assert " late" in late.explanation(), late.explanation()
    assert _written(report_dir, DECLARED_DEFECT)["settings"]["time_mode"] == "declared"
    _assert_reasons(results)


# -- real ----------------------------------------------------------------------------------------------


def test_real_clean_run_judges_what_it_can_and_leaves_the_rest_inconclusive(
    real: tuple[KillMatrixOutcome, Path],
) -> None:
    outcome, report_dir = real
    run, clean = _run(outcome, "clean")
    assert run.returncode == 0, run.log  # inconclusive is not a failure
    assert "Verdict: CONFORMANT" in run.log
    assert clean.verdict is Verdict.CONFORMANT
    wrong = [f"{c.id}: {c.outcome.value}\n{c.explanation()}" for c in clean.checks
             if c.outcome in (Outcome.FAILED, Outcome.WARNING, Outcome.NOT_APPLICABLE)]
    assert not wrong, "\n\n".join(wrong)
    found = _by_outcome(clean)
    assert found.get(Outcome.PASSED, set()) == REAL_PASSED
    assert found.get(Outcome.INCONCLUSIVE, set()) == REAL_INCONCLUSIVE
    assert found.get(Outcome.DECLARATION, set()) == {r.id for r in load_catalogue().declarations()}
    written = _written(report_dir, "clean")
    assert written["settings"]["time_mode"] == "real"
    assert written["virtual_time"]["mode"] == "system"  # the network clock is the wall clock
    # The SUT was watched for the real wait, not a second less, and not for days of network time.
    assert REAL_WAIT <= written["virtual_time"]["span_seconds"] < 120


def test_real_mode_says_why_each_check_is_inconclusive(real: tuple[KillMatrixOutcome, Path]) -> None:
    outcome, _ = real
    _, clean = _run(outcome, "clean")
    _assert_reasons(clean)
    for check in clean.checks:
        if check.outcome is Outcome.INCONCLUSIVE:
            explanation = check.explanation()
            assert "real time mode" in explanation, explanation
            assert f"only {REAL_WAIT:g} s of wall clock" in explanation or "outage" in explanation, explanation
    deadlines = next(c for c in clean.checks if c.id == "art05_time_limits.urgent_direct_within_8_hours")
    assert "before the deadline" in deadlines.explanation(), deadlines.explanation()
    retention = next(c for c in clean.checks if c.id == "art16_case_management.retention_reviewed_within_six_months")
    assert "review planned for" in retention.explanation(), retention.explanation()


def test_real_mode_catches_a_missing_copy(real: tuple[KillMatrixOutcome, Path]) -> None:
    outcome, report_dir = real
    run, results = _run(outcome, REAL_DEFECT)
    assert run.returncode == 1, run.log
    assert "Verdict: NOT CONFORMANT" in run.log
    assert set(run.failed) == {"R-03"}
    assert all(row.killed for row in outcome.rows)
    copy = next(c for c in results.checks if c.id == "art04_requests.designated_authority_copies_its_spoc")
    assert "no copy reached SPOC-AT" in copy.explanation(), copy.explanation()
    assert _written(report_dir, REAL_DEFECT)["settings"]["time_mode"] == "real"
    _assert_reasons(results)


# -- declared, the CMS on a clock of its own ---------------------------------------------------------------


def _receipts(report_dir: Path) -> list[tuple[datetime, datetime]]:
    """The CMS's recorded receipt of each request, and the network's delivery of it."""
    evidence = report_dir / "evidence"
    exports = json.loads((evidence / "cms-exports.json").read_text("utf-8"))["main"]
    lines = (evidence / "journal.jsonl").read_text("utf-8").splitlines()
    journal = {m["message_id"]: m for m in map(json.loads, lines)}

    def moment(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    receipts = []
    for case in exports["cases"]:
        if case["direction"] == "INCOMING" and case["kind"] == "REQUEST" and case["received_at"]:
            opening = case["communications"][0]
            request = journal[opening["message_id"]]
            receiver = opening.get("received_by") or case["own_party"]  # the SIRENE bureau for a SIRENE form
            delivered = next(a["delivered_at"] for a in request["acks"] if a["party"] == receiver)
            receipts.append((moment(case["received_at"]), moment(delivered)))
    return receipts


def _checks_of(results: RunResults, requirement: str) -> list[CheckResult]:
    return [c for c in results.checks if requirement in c.requirements]


def _findings(check: CheckResult, outcome: Outcome) -> list[str]:
    """The check's findings of one outcome, as its message lists them (a line a long message cut left out)."""
    lines = check.explanation().splitlines()
    if lines and lines[-1].endswith("more characters cut]"):
        lines = lines[:-2]
    return [line for line in lines if f"] {outcome.value.upper()}: " in line]


def test_declared_mode_sets_no_time_of_an_own_clock_against_network_time(
    own_clock: dict[str, tuple[RunResults, Path]],
) -> None:
    outcomes = {}
    for name, (results, report_dir) in own_clock.items():
        receipts = _receipts(report_dir)
        # The CMS recorded its receipts by its own clock, set to the date of this run, not by the network's.
        clock = OWN_CLOCK_DATES[name]
        assert all(clock <= recorded < clock + timedelta(minutes=10) for recorded, _ in receipts), (name, receipts)
        assert all(abs(recorded - delivered) > timedelta(days=1) for recorded, delivered in receipts), name

        found = _by_outcome(results)
        assert found.get(Outcome.FAILED, set()) == OWN_CLOCK_FAILED, name
        assert found.get(Outcome.INCONCLUSIVE, set()) == OWN_CLOCK_CROSS_CLOCK | OWN_CLOCK_NOTHING_TO_COPY, name
        assert Outcome.WARNING not in found, name
        outcomes[name] = {r.id: r.outcome for r in results.requirements}

        offsets = [recorded - delivered for recorded, delivered in receipts]
        measured = (f"the SUT's recorded receipt times differ from the network's delivery times by "
                    f"{signed_gap(min(offsets))} to {signed_gap(max(offsets))} ({len(offsets)} of {len(offsets)} "
                    "beyond the 5 s tolerance")
        assert measured in str(results.settings.model_dump()["declared_clock"]), name
        for requirement in sorted(OWN_CLOCK_CROSS_CLOCK):
            inconclusive = [c for c in _checks_of(results, requirement) if c.outcome is Outcome.INCONCLUSIVE]
            assert inconclusive, (name, requirement)
            for check in inconclusive:
                assert measured in (check.observed or ""), (name, requirement, check.observed)
                for finding in _findings(check, Outcome.INCONCLUSIVE):
                    assert measured in finding, (name, requirement, finding)
                    assert "cannot be" in finding, (name, requirement, finding)
        for check in results.checks:
            if check.outcome in (Outcome.FAILED, Outcome.INCONCLUSIVE):
                assert check.observed, f"{name}: {check.id} says nothing observed:\n{check.explanation()}"
                assert check.rule, f"{name}: {check.id} names no rule:\n{check.explanation()}"
    # The same outcomes whatever date the CMS's clock shows.
    assert outcomes["after"] == outcomes["inside"]


def test_declared_mode_judges_what_lies_between_two_times_of_an_own_clock(
    own_clock: dict[str, tuple[RunResults, Path]],
) -> None:
    results, _ = own_clock["after"]
    checks = {c.id: c for c in results.checks}
    # the CMS's deadline against its recorded receipt, both its own times: judged, and in time.
    follow_up = checks["art16_case_management.cms_deadline_is_the_legal_one"]
    counts = re.search(r"(\d+) instance\(s\): (\d+) passed, (\d+) inconclusive", follow_up.explanation())
    assert counts is not None, follow_up.explanation()
    assert int(counts[2]) >= 20, follow_up.explanation()
    # Only the two suspended by a clarification stay open: the network timed the suspension.
    for finding in _findings(follow_up, Outcome.INCONCLUSIVE):
        assert "by the SUT's clock" in finding, finding
        assert "Art 6(3) suspension" in finding, finding
    # the deadline is counted from the recorded receipt (judged); the receipt against the delivery is not.
    receipt = checks["art05_time_limits.limits_run_from_receipt"]
    assert all("the deadline is counted from it" in f for f in _findings(receipt, Outcome.INCONCLUSIVE))
    # Network time alone is judged as usual: clarification requests and delay notices "immediately", the
    # statistics' sections (not their counts, which the CMS's year decides).
    for check_id in ("art06_refusals.clarification_asked_immediately",
                     "art05_provision.judicial_authorisation_sought_at_once",
                     "art16_case_management.statistics_generated"):
        assert checks[check_id].outcome is Outcome.PASSED, checks[check_id].explanation()


def test_an_own_clock_judges_only_the_span_between_its_own_times() -> None:
    """`judge_deadline` on two times of the SUT's own clock (cross_clock set): the span is judged, what needs a
    network time (the end of the campaign, a suspension the network timed) is not, unless it cannot matter."""
    settings = CampaignSettings(time_mode=TimeMode.DECLARED)
    received = datetime.fromisoformat("2031-06-02T10:00:00+00:00")  # the SUT's clock
    network = (datetime.fromisoformat("2026-03-28T08:00:00+00:00"), datetime.fromisoformat("2026-03-30T08:00:00+00:00"))
    why = "the SUT's recorded receipt times differ from the network's delivery times by +1891 d"

    def judged(answered: datetime | None, suspensions: list[tuple[datetime, datetime]]) -> DeadlineJudgement:
        return judge_deadline(what="urgent request", received_at=received, answered_at=answered, urgent=True,
                              availability="DIRECT", settings=settings, observed_until=network[1],
                              suspensions=suspensions, cross_clock=why)

    in_time, late = received + timedelta(hours=7), received + timedelta(hours=12)
    assert judged(in_time, []).outcome is Outcome.PASSED
    assert judged(late, []).outcome is Outcome.FAILED  # the span alone: 12 h against 8 h
    assert judged(in_time, [network]).outcome is Outcome.PASSED  # in time even without the suspension
    assert "in time even without the Art 6(3) suspension" in judged(in_time, [network]).observed
    for answered, suspensions in ((late, [network]), (None, []), (None, [network])):
        judgement = judged(answered, suspensions)
        assert judgement.outcome is Outcome.INCONCLUSIVE, (answered, judgement.observed)
        assert why in judgement.observed
    # Without cross_clock the same times would be set against the network's end of the campaign: a failure.
    assert judge_deadline(what="urgent request", received_at=received - timedelta(days=2000), answered_at=None,
                          urgent=True, availability="DIRECT", settings=settings,
                          observed_until=network[1]).outcome is Outcome.FAILED


def test_the_clock_comparison_tells_one_own_clock_from_two() -> None:
    def compared(what: str, offset: timedelta) -> ClockComparison:
        network = datetime.fromisoformat("2026-03-27T11:00:00+00:00")
        return ClockComparison(what, "network times", (Stamp("SIENA-1", network + offset, network),),
                               timedelta(seconds=5))

    same, own = timedelta(seconds=2), timedelta(days=233, hours=4)
    agreeing = DeclaredClock(compared("receipts", same), compared("sent", same))
    assert agreeing.agrees
    assert agreeing.cross_clock() is None
    assert agreeing.mixed_spans() is None
    own_clock = DeclaredClock(compared("receipts", own), compared("sent", own))
    assert own_clock.cross_clock() == ("the SUT's receipts differ from the network's network times by +233 d 4 h "
                                       "(1 of 1 beyond the 5 s tolerance); the SUT's sent differ from the network's "
                                       "network times by +233 d 4 h (1 of 1 beyond the 5 s tolerance); declared "
                                       "times cannot be set against network times")
    assert own_clock.mixed_spans() is None  # one clock of its own: spans between its times are judged
    half = DeclaredClock(compared("receipts", own), compared("sent", same))
    assert half.cross_clock() is not None
    assert half.mixed_spans() is not None
    assert "not on one clock either" in str(half.mixed_spans())
