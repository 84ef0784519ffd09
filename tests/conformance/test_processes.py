"""Starting the reference network: its interpreters are preloaded before their command lines are known (the CMS
while the channels start, both while `spoc-harness run` imports the campaign), and serve as before."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psutil
from click.testing import CliRunner

from conformance.campaign.processes import ManagedReferenceCms, NetworkPreload, started
from conformance.cli import cli

START = datetime(2026, 3, 27, 9, tzinfo=UTC)


def test_the_cms_starts_preloaded_and_serves_its_state(tmp_path: Path) -> None:
    with started(tmp_path / "net", state="AT", start=START, sut_token="secret-token") as network:
        assert network.cms is not None
        assert network.cms._process is not None
        command = psutil.Process(network.cms._process.pid).cmdline()
        assert "simulators.reference_cms.app" in command  # the preloading interpreter, told its command later
        request = urllib.request.Request(f"{network.cms.url}/sut/v1/info",
                                         headers={"Authorization": "Bearer secret-token"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            info = json.load(answer)
        assert info["state"] == "AT"


def test_a_preloaded_cms_never_told_its_command_line_ends_by_itself(tmp_path: Path) -> None:
    """A harness that goes away (its end of the pipe closed) before telling the command line leaves nothing."""
    cms = ManagedReferenceCms(tmp_path / "cms", state="AT", channels_url="", credentials=Path())
    cms.preload(ManagedReferenceCms.MODULES)
    process = cms._process
    assert process is not None
    assert process.stdin is not None
    try:
        process.stdin.close()
        assert process.wait(30) == 0
    finally:
        cms.stop()
    assert (tmp_path / "cms" / "cms.log").read_text(encoding="utf-8") == ""  # no traceback, nothing at all


def test_stopping_a_preloaded_cms_before_it_is_told_ends_it(tmp_path: Path) -> None:
    cms = ManagedReferenceCms(tmp_path / "cms", state="AT", channels_url="", credentials=Path())
    cms.preload(ManagedReferenceCms.MODULES)
    process = cms._process
    assert process is not None
    cms.stop()
    assert process.poll() is not None


def test_a_network_preloaded_before_its_command_lines_are_known_serves_from_the_same_interpreters(
    tmp_path: Path,
) -> None:
    preload = NetworkPreload(tmp_path / "net")
    assert preload.simulators._process is not None
    assert preload.cms._process is not None
    preloaded = [preload.simulators._process.pid, preload.cms._process.pid]
    try:
        with started(tmp_path / "net", state="AT", start=START, sut_token="secret-token",
                     preloaded=preload) as network:
            assert network.simulators is not None
            assert network.cms is not None
            assert network.simulators._process is not None
            assert network.cms._process is not None
            assert [network.simulators._process.pid, network.cms._process.pid] == preloaded
            request = urllib.request.Request(f"{network.cms.url}/sut/v1/info",
                                             headers={"Authorization": "Bearer secret-token"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert json.load(answer)["state"] == "AT"
    finally:
        preload.stop()  # a no-op: `started` stopped both
    assert not any(psutil.pid_exists(pid) for pid in preloaded)


def test_a_run_refused_for_its_options_stops_the_network_it_preloaded(tmp_path: Path) -> None:
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    answer = CliRunner().invoke(cli, ["run", "--sut", "reference", "--profile", "no-such-profile",
                                 "--report-dir", str(tmp_path / "out")])
    assert answer.exit_code == 2
    assert "--profile" in answer.output
    after = {child.pid for child in psutil.Process().children(recursive=True)}
    assert after <= before  # the preloaded interpreters ended with the refusal
    assert not (tmp_path / "out").exists()  # and no directory of theirs is left


def test_a_refused_run_leaves_the_previous_runs_network_data(tmp_path: Path) -> None:
    previous = tmp_path / "out" / "run-data" / "reference-network" / "network" / "serve.log"
    previous.parent.mkdir(parents=True)
    previous.write_text("the previous run's log", encoding="utf-8")
    answer = CliRunner().invoke(cli, ["run", "--sut", "reference", "--profile", "no-such-profile",
                                      "--report-dir", str(tmp_path / "out")])
    assert answer.exit_code == 2
    assert previous.read_text(encoding="utf-8") == "the previous run's log"
    assert sorted(p.name for p in (tmp_path / "out" / "run-data").iterdir()) == ["reference-network"]
