"""Starting the reference network: the CMS is preloaded while the channels start, and serves as before."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psutil

from conformance.campaign.processes import ManagedReferenceCms, started

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
