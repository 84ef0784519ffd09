"""`spoc-harness load --sut eu`: every state's reference CMS on one channel server, exchanging among themselves.

Real processes: the channel server on the scaled clock, the thirty CMSs in two host processes, locust.
At 900 x wall time the reference operator's 30 minutes pass in 2 s, so answers come while the
operators run; a few seconds of load each.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from load.command import load
from simulators.model.parties import member_states

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).with_name("spoc-harness")
STATES = {s.code for s in member_states(bound_only=True)}


def run_eu(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """The command as a user runs it, in its own process: thirty CMS installations, locust and the channel
    server must not share this test process's state (signal handlers, event loops, environment) with the
    in-process campaigns earlier tests ran."""
    report = tmp_path / "report"
    command = [str(BIN), "load", "--sut", "eu", "--speed", "900", "--pacing", "1", "--drain-timeout", "90",
               "--report-dir", str(report), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    results_path = report / "load-results.json"
    if not results_path.exists():
        pytest.fail(f"no load-results.json (exit {done.returncode})\n{output[-6000:]}")
    return done.returncode, json.loads(results_path.read_text()), output


def test_every_state_asks_the_others_and_nothing_is_lost_or_late(tmp_path: Path) -> None:
    # Ten operators (ten states send, all thirty may be asked): thirty at once on a busy 2-core machine
    # spend the first seconds waiting for their first request to leave.
    code, results, output = run_eu(tmp_path, "--users", "10", "--duration", "8s",
                                   "--mix", "urgent-direct=2,designated-authority=1,must-refuse=1")
    assert code == 0, output
    assert (results["lost"], results["duplicated"], results["late"], results["open"]) == (0, 0, 0, 0)
    assert results["journal_chain"]["ok"] is True
    states = results["states"]
    assert set(states) == STATES
    # One operator per state, each sending; every request reached one other state and was answered there.
    assert sum(1 for figures in states.values() if figures["sent"]) == 10
    assert sum(f["received"] for f in states.values()) == results["requests"] == results["sent_by_users"]
    assert sum(f["answered"] for f in states.values()) == results["requests"]
    assert results["deadlines"]["must-refuse"]["met"] > 0  # refused, as its fixtures demand (else a failure)
    # The operators' own judgements are locust events named by the requested state, none failed.
    with (tmp_path / "report" / "locust_stats.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Type"] == "DEADLINE"]
    assert rows
    assert {row["Name"] for row in rows} <= STATES
    assert all(row["Failure Count"] == "0" for row in rows)
    page = (tmp_path / "report" / "load-report.html").read_text()
    assert "Per state" in page
    assert page.count("<svg") == 2


def test_a_late_urgent_reply_everywhere_fails_the_verdict_state_by_state(tmp_path: Path) -> None:
    code, results, _ = run_eu(tmp_path, "--duration", "3s", "--mix", "urgent-direct=1",
                              "--defect", "late-urgent-reply")
    assert code == 1
    assert results["verdict"] == "FAIL"
    assert results["late"] > 0
    assert results["lost"] == 0
    late_states = {state for state, figures in results["states"].items() if figures["late"]}
    assert late_states
    assert late_states <= STATES
    assert sum(f["late"] for f in results["states"].values()) == results["late"]


def test_one_states_late_cms_and_another_states_lossy_cms_fail_the_verdict_and_are_named(tmp_path: Path) -> None:
    # In the operators' first two turns (their choices follow the seed) Hungary is asked two urgent requests for
    # directly available information and the Netherlands three for indirectly available information. The Dutch
    # CMS keeps the first of those waiting for the other authority and drops the others.
    code, results, output = run_eu(tmp_path, "--duration", "3s", "--mix", "urgent-direct=1,urgent-indirect=1",
                                   "--defect", "late-urgent-reply@HU", "--defect", "second-hand-over-dropped@NL")
    assert code == 1, output
    assert results["verdict"] == "FAIL"
    assert results["defects"] == ["late-urgent-reply@HU", "second-hand-over-dropped@NL"]
    asked = Counter((record["to_state"], record["class"]) for path in (tmp_path / "report" / "users").glob("sent-*")
                    for record in map(json.loads, path.read_text().splitlines()))
    late = {state: figures["late"] for state, figures in results["states"].items() if figures["late"]}
    lost = {state: figures["lost"] for state, figures in results["states"].items() if figures["lost"]}
    assert late == {"HU": asked["HU", "urgent-direct"]}
    assert lost == {"NL": asked["NL", "urgent-indirect"] - 1}
    assert (results["late"], results["lost"], results["duplicated"]) == (late["HU"], lost["NL"], 0)
    assert results["reasons"] == [f"{lost['NL']} lost (NL {lost['NL']})", f"{late['HU']} late (HU {late['HU']})"]
    assert {finding["state"] for finding in results["findings"]["late"]} == {"HU"}
    assert {finding["state"] for finding in results["findings"]["lost"]} == {"NL"}


def test_faults_under_whole_eu_load_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """Duplicate deliveries, a SIENA outage for ten states, kill -9 of a process hosting CMSs in the middle of a
    send, kill -9 of the channel server and a restart of both processes hosting the CMSs, while ten operators
    send."""
    code, results, output = run_eu(tmp_path, "--users", "10", "--duration", "20s", "--chaos",
                                   "--mix", "urgent-direct=2,designated-authority=1,must-refuse=1")
    assert code == 0, output
    events = [entry["event"] for entry in results["chaos"]]
    assert events == ["duplicate deliveries", "outage", "outage over", "kill -9 of the host of 15 states' CMSs",
                      "kill -9 of the channel server", "restart of the host of 15 states' CMSs",
                      "restart of the host of 15 states' CMSs"], output
    assert (results["lost"], results["duplicated"], results["late"], results["open"]) == (0, 0, 0, 0)
    assert results["journal_chain"]["ok"] is True
    # Every request the operators started was sent, acknowledged and answered: also those their CMS could only
    # send after the outage or the restart (the operator was told 201 with no message yet), and those the
    # operator was not told of at all because the CMS went away before it answered.
    assert results["requests"] == results["acknowledged"] >= results["sent_by_users"] > 0
    assert sum(f["answered"] for f in results["states"].values()) == results["requests"]
    # Every request was delivered twice (the `duplicate` fault) and opened one case all the same.
    assert all(f["duplicated"] == 0 for f in results["states"].values())


@pytest.mark.parametrize(("args", "said"), [
    (["--mix", "sirene-hit=1,interpol-diffusion=1"], "the whole EU exchanges only urgent-direct"),
    (["--defect", "late-urgent-reply@XX"], "XX"),
    (["--defect", "late-urgent-reply@DK"], "DK has no CMS in the whole EU"),
    (["--defect", "no-such-defect@DE"], "unknown defect no-such-defect"),
])
def test_what_the_whole_eu_cannot_take_is_refused_before_anything_starts(
    tmp_path: Path, args: list[str], said: str,
) -> None:
    outcome = CliRunner().invoke(load, ["--sut", "eu", "--report-dir", str(tmp_path / "report"), *args])
    assert outcome.exit_code == 2
    assert said in outcome.output
    assert not (tmp_path / "report").exists()


def test_a_defect_for_one_state_needs_the_whole_eu(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(load, ["--defect", "late-urgent-reply@AT", "--report-dir", str(tmp_path / "r")])
    assert outcome.exit_code == 2
    assert "NAME@STATE picks one state's CMS of the whole EU" in outcome.output
    assert not (tmp_path / "r").exists()
