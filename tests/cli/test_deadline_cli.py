"""`spoc-harness deadline`: the installed console script, and the command's options through CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conformance.cli import cli

SCRIPT = Path(sys.executable).parent / "spoc-harness"
VIENNA_2330 = ["--received", "2026-03-28T23:30:00+01:00", "--urgent", "--availability", "indirect"]


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "deadline", *args], capture_output=True, text=True, timeout=60, check=False
    )


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["deadline", *args], prog_name="spoc-harness")


def test_console_script_prints_json_for_scripts() -> None:
    done = run_script(*VIENNA_2330, "--mode", "reg1182", "--state", "AT", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    # 28 March (day of receipt) does not count; 29-31 March do; 24:00 on 31 March CEST = 22:00Z.
    assert body["due_utc"] == "2026-03-31T22:00:00Z"
    assert body["due_local"] == "2026-04-01T00:00:00+02:00"
    assert body["received_utc"] == "2026-03-28T22:30:00Z"
    assert body["timezone"] == "Europe/Vienna"
    assert (body["limit"], body["mode"], body["basis"], body["requirement"]) == (
        "P3D",
        "reg1182",
        "Art 5(1)(b)",
        "R-11",
    )
    assert body["suspended"] == "PT0S"
    assert "unverified" in body["basis_status"]["reading"]
    assert "R-25" in body["basis_status"]["suspension"]
    assert "does not count" in body["explanation"]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--received", "2026-03-28T23:30:00", "--urgent", "--availability", "direct"], "has no UTC offset"),
        (["--received", "2026-03-28T23:30:00Z", "--urgent"], "Missing option '--availability'"),
        ([*VIENNA_2330, "--tz", "Europe/Vienna", "--state", "AT"], "mutually exclusive"),
    ],
)
def test_console_script_usage_errors_exit_2_without_traceback(args: list[str], complaint: str) -> None:
    done = run_script(*args)
    assert done.returncode == 2
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_help_explains_options_and_both_readings() -> None:
    done = subprocess.run(
        [str(SCRIPT), "deadline", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    for words in (
        "--received",
        "--suspended",
        "--state",
        "--tz",
        "--json",
        "elapsed",
        "reg1182",
        "1182/71",
        "24:00",
    ):
        assert words in done.stdout


def test_text_line_for_a_spoc_officer() -> None:
    result = invoke("--received", "2026-03-29T01:30:00+01:00", "--urgent", "--availability", "direct", "--tz",
                    "Europe/Vienna")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith(
        "Reply due by 2026-03-29T10:30:00+02:00 Europe/Vienna (2026-03-29T08:30:00Z)"
    )
    assert "8 hours under Art 5(1)(a) (R-10)" in result.stdout
    assert "elapsed reading" in result.stdout


def test_text_line_marks_unverified_readings() -> None:
    result = invoke(*VIENNA_2330, "--mode", "REG1182", "--state", "at", "--suspended",
                    "2026-03-30T10:00:00Z/2026-03-30T16:00:00Z")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Reg 1182/71 reading (unverified)" in result.stdout
    assert "suspended PT6H by Art 6(3) (unverified)" in result.stdout
    assert "2026-04-01T06:00:00+02:00" in result.stdout


def test_suspensions_overlapping_and_before_receipt_in_json() -> None:
    result = invoke("--received", "2026-05-04T08:00:00Z", "--urgent", "--availability", "direct", "--json",
                    "--suspended", "2026-05-04T09:00:00Z/2026-05-04T11:00:00Z",
                    "--suspended", "2026-05-04T10:00:00+00:00/2026-05-04T12:30:00+00:00",
                    "--suspended", "2026-05-04T07:00:00Z/2026-05-04T08:30:00Z")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    # [09:00, 12:30] after merging, plus [08:00, 08:30] after clipping: 4 h; 16:00Z + 4 h.
    assert body["due_utc"] == "2026-05-04T20:00:00Z"
    assert body["suspended"] == "PT4H"
    assert body["suspended_seconds"] == 4 * 3600
    assert body["counted_suspensions"] == ["2026-05-04T08:00:00Z/2026-05-04T08:30:00Z",
                                           "2026-05-04T09:00:00Z/2026-05-04T12:30:00Z"]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "zone"), [("EL", "Europe/Athens"), ("gr", "Europe/Athens"), ("CY", "Asia/Nicosia")]
)
def test_state_selects_its_spoc_zone(code: str, zone: str) -> None:
    result = invoke(*VIENNA_2330, "--state", code, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["timezone"] == zone


def test_defaults_are_utc_and_elapsed() -> None:
    result = invoke(
        "--received", "2026-05-04T10:00:00+02:00", "--non-urgent", "--availability", "indirect", "--json"
    )
    body = json.loads(result.stdout)
    assert (body["timezone"], body["mode"], body["limit"]) == ("UTC", "elapsed", "P7D")
    assert body["due_utc"] == "2026-05-11T08:00:00Z"
    assert body["due_local"] == "2026-05-11T08:00:00+00:00"


def test_state_not_bound_is_computed_with_a_note() -> None:
    result = invoke(*VIENNA_2330, "--state", "DK")
    assert result.exit_code == 0
    assert "not bound" in result.stderr


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--received", "soon", "--urgent", "--availability", "direct"], "not an ISO 8601 date and time"),
        (["--urgent", "--availability", "direct"], "Missing option '--received'"),
        (["--received", "2026-05-04T10:00:00Z", "--availability", "direct"], "'--urgent' / '--non-urgent'"),
        (["--received", "2026-05-04T10:00Z", "--urgent", "--availability", "maybe"], "'maybe' is not one of"),
        ([*VIENNA_2330, "--mode", "business-days"], "'business-days' is not one of"),
        ([*VIENNA_2330, "--tz", "Europe/Atlantis"], "unknown time zone 'Europe/Atlantis'"),
        ([*VIENNA_2330, "--state", "XX"], "unknown state code 'XX'"),
        ([*VIENNA_2330, "--state", "US"], "has no SPOC under the directive"),
        ([*VIENNA_2330, "--suspended", "2026-03-29T10:00:00Z"], "is not START/END"),
        ([*VIENNA_2330, "--suspended", "2026-03-29T10:00:00Z/2026-03-29T09:00:00Z"], "ends before it starts"),
        ([*VIENNA_2330, "--suspended", "2026-03-29T10:00:00/2026-03-29T11:00:00Z"], "has no UTC offset"),
        ([*VIENNA_2330, "--suspended", "a/b/c"], "is not START/END"),
        (["--received", "9999-12-31T23:30:00Z", "--urgent", "--availability", "direct", "--mode", "reg1182"],
         "too near the end of the calendar"),
    ],
)  # fmt: skip
def test_usage_errors(args: list[str], complaint: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert complaint in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
