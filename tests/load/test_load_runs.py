"""`spoc-harness load` end to end: real channel server, reference CMS, locust processes, a few seconds each.

The network clock runs at 900 x wall time: the reference operator's 30 minutes for directly available
information pass in 2 s, so answers come while the users run, and an urgent answer keeps 30 s of
wall time in hand before its 8-hour limit, enough for a CMS slowed down by a busy machine.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from load.command import load

pytestmark = pytest.mark.slow

_MIX = "urgent-direct=3,non-urgent=2,must-refuse=1,clarification=1,sirene-hit=1,interpol-diffusion=1"


def run_load(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report"
    outcome = CliRunner().invoke(load, ["--speed", "900", "--pacing", "0.5", "--drain-timeout", "60",
                                        "--report-dir", str(report), *args])
    results_path = report / "load-results.json"
    assert results_path.exists(), outcome.output
    return outcome.exit_code, json.loads(results_path.read_text()), outcome.output


def deadline_rows(report: Path) -> dict[str, dict[str, str]]:
    with (report / "locust_stats.csv").open(newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle) if row["Type"] == "DEADLINE"}


def test_a_single_process_run_reconciles_and_reports_deadline_events(tmp_path: Path) -> None:
    code, results, output = run_load(tmp_path, "--users", "6", "--duration", "6s", "--mix", _MIX)
    assert code == 0, output
    assert results["verdict"] == "PASS"
    assert (results["lost"], results["duplicated"], results["late"], results["open"]) == (0, 0, 0, 0)
    assert results["journal_chain"]["ok"] is True
    assert results["requests"] == results["sent_by_users"] > 0
    deadlines = results["deadlines"]
    assert deadlines["urgent-direct"]["met"] > 0
    assert deadlines["urgent-direct"]["basis"] == "Art 5(1)(a)"
    assert deadlines["sirene-hit"]["recorded"] + deadlines["interpol-diffusion"]["recorded"] > 0
    # The users' own judgements are locust events, per request class, in locust's CSV: none failed.
    rows = deadline_rows(tmp_path / "report")
    assert int(rows["urgent-direct"]["Request Count"]) > 0
    assert all(row["Failure Count"] == "0" for row in rows.values())
    for name in ("locust_stats_history.csv", "locust.html"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    # The load section: throughput and deadline-margin plots (matplotlib, inline), one point per judged answer.
    page = (tmp_path / "report" / "load-report.html").read_text()
    assert page.count("<svg") == 2
    assert "requests accepted / s" in page
    assert "hours left at the answer" in page
    assert len(results["series"]["margins"]) == sum(d.get("met", 0) + d.get("late", 0) for d in deadlines.values())
    for key in ("ack_network_seconds", "ack_wall_seconds", "answer_network_seconds", "answer_wall_seconds"):
        assert set(results["latency"][key]) >= {"p50", "p95", "p99"}


def test_two_locust_workers_share_the_load_and_nothing_is_lost(tmp_path: Path) -> None:
    code, results, output = run_load(tmp_path, "--users", "4", "--duration", "6s", "--workers", "2",
                                     "--mix", "urgent-direct=1,non-urgent=1")
    assert code == 0, output
    assert results["lost"] == 0
    assert results["late"] == 0
    assert len(list((tmp_path / "report" / "users").glob("sent-*.jsonl"))) == 2  # two worker processes sent


def test_the_late_urgent_reply_defect_fails_the_load_verdict(tmp_path: Path) -> None:
    code, results, _ = run_load(tmp_path, "--users", "3", "--duration", "4s", "--mix", "urgent-direct=1",
                                "--defect", "late-urgent-reply")
    assert code == 1
    assert results["verdict"] == "FAIL"
    assert results["late"] > 0
    assert results["lost"] == 0
    assert results["deadlines"]["urgent-direct"]["met"] == 0
    assert "Art 5(1)(a)" in results["findings"]["late"][0]["why"]


def test_a_chaos_run_loses_nothing(tmp_path: Path) -> None:
    code, results, output = run_load(tmp_path, "--users", "4", "--duration", "10s", "--chaos",
                                     "--mix", "urgent-direct=2,non-urgent=1,sirene-hit=1")
    assert code == 0, output
    assert [event["event"] for event in results["chaos"]] == [
        "duplicate deliveries", "outage", "outage over", "kill -9 of the reference CMS",
        "kill -9 of the channel server", "restart of the reference CMS"]
    assert (results["lost"], results["duplicated"], results["late"]) == (0, 0, 0)
    assert results["requests"] > 0
    assert results["journal_chain"]["ok"]


def test_under_chaos_a_cms_that_opens_a_case_per_delivery_is_caught(tmp_path: Path) -> None:
    code, results, _ = run_load(tmp_path, "--users", "3", "--duration", "4s", "--chaos", "--mix", "non-urgent=1",
                                "--defect", "duplicate-delivery-opens-second-case")
    assert code == 1
    assert results["duplicated"] > 0
    assert "SUT cases for one message" in results["findings"]["duplicated"][0]["why"]


def test_a_cms_that_drops_requests_under_load_fails_the_verdict_with_them_lost(tmp_path: Path) -> None:
    """The defect keeps one request waiting for another authority's information and drops (after acknowledging
    it) every other such request received meanwhile: under load, most of them."""
    code, results, output = run_load(tmp_path, "--users", "3", "--duration", "4s", "--mix", "urgent-indirect=1",
                                     "--defect", "second-hand-over-dropped")
    assert code == 1, output
    assert results["verdict"] == "FAIL"
    assert results["defects"] == ["second-hand-over-dropped"]
    assert results["lost"] > 0
    assert f"{results['lost']} lost" in results["reasons"]
    assert results["requests"] == results["sent_by_users"] == results["acknowledged"]
    # Delivered and acknowledged, never a case, due and unanswered: lost, not late.
    assert all("no final answer and no SUT case" in f["why"] for f in results["findings"]["lost"])
    assert results["duplicated"] == results["late"] == 0
