"""The pytest plugin stays out of ordinary test runs, and `spoc-harness run` refuses bad usage with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import cli

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _quiet_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_plugin_is_inert_in_an_ordinary_pytest_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = [line for line in result.stdout.lines if not line.startswith("plugins:")]
    assert not any("conformance" in line.lower() or "campaign" in line.lower() for line in output)


def test_plugin_registers_its_marker_and_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    assert "requirement(*ids, article)" in result.stdout.str()
    help_text = pytester.runpytest_inprocess("--help").stdout.str()
    assert "--spoc-profile" in help_text
    assert "--spoc-sut" in help_text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sut", "cms.example"], "give 'reference' or the SUT test interface URL"),
        (["--sut", "http://127.0.0.1:9"], "needs --channels URL and --credentials FILE"),
        (["--defect", "no-such-defect"], "unknown defect"),
        (["--profile", "Art 99"], "selects no requirement"),
        (["--time-mode", "sideways"], "Invalid value for '--time-mode'"),
        (["--siena-obligation-date", "June 2027"], "is not a date"),
    ],
)
def test_run_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["run", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_vendor_runs_reproduce_line_names_a_fresh_channel_server_not_this_runs_files(tmp_path: Path) -> None:
    from conformance.campaign.run_options import RunOptions

    credentials = tmp_path / "spoc-run-x" / "credentials.json"
    vendor = RunOptions(sut="http://127.0.0.1:8800", channels="http://127.0.0.1:41234", credentials=credentials,
                        profile="R-10", seed=7)
    line = vendor.command()
    assert str(tmp_path) not in line
    assert "--credentials NET/credentials.json" in line
    assert "spoc-harness serve --clock virtual --start 2026-03-27T00:00:00Z --data NET" in line
    real = RunOptions(sut="http://127.0.0.1:8800", channels="http://127.0.0.1:41234", credentials=credentials,
                      time_mode="real").command()
    assert "spoc-harness serve --clock system --data NET" in real
    # The reference CMS's line starts its own network: nothing to add.
    assert RunOptions(profile="R-10", seed=7).command() == "spoc-harness run --sut reference --profile R-10 --seed 7"
