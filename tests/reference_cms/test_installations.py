"""Installations of the same state on one network never repeat each other's Idempotency-Keys or references.

A re-installed CMS (a fresh store) counts its cases from 1 again. Were its keys and references derived
from that count alone, its first request would carry the key and reference of the earlier
installation's first request: the channel would answer with the earlier message (same key, same
content, nothing sent) or a 409 (same key, other content).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from refcms_support import Network, call, running_cms, start_process

from conformance.commands.cms import cms
from simulators.reference_cms.store import Store

pytestmark = pytest.mark.slow

# The frozen virtual clock gives both installations the same send time, so their first requests are
# identical in everything but what the installation itself adds.
_STIMULUS = {"to_state": "DE", "subject": "Ivo Kask", "items": ["address"]}


def test_second_installation_of_a_state_sends_its_own_request(network: Network, workdir: Path) -> None:
    sent: list[tuple[str, str]] = []
    for _ in range(2):
        with running_cms(network, workdir, "DK") as cms:
            result = cms.post("/stimuli/outgoing-request", _STIMULUS)
            sent.append((result["reference"], result["message_ids"][0]))
    (first_reference, first_id), (second_reference, second_id) = sent
    assert first_reference != second_reference
    assert first_id != second_id
    assert [m["message_id"] for m in network.exchange(second_reference)] == [second_id]
    assert [m["message_id"] for m in network.exchange(first_reference)] == [first_id]


def test_instance_id_is_kept_with_the_store_and_differs_between_stores(tmp_path: Path) -> None:
    first = Store(tmp_path / "one" / "cms-DK.sqlite3")
    made = first.instance_id
    first.close()
    reopened = Store(tmp_path / "one" / "cms-DK.sqlite3")
    other = Store(tmp_path / "two" / "cms-DK.sqlite3")
    try:
        assert reopened.instance_id == made  # a restarted CMS retries an unacknowledged send under its old key
        assert other.instance_id != made
    finally:
        reopened.close()
        other.close()


def test_one_process_hosts_an_installation_per_state_each_on_its_own_port_and_store(
    network: Network, workdir: Path,
) -> None:
    data = workdir / "several"
    process = start_process(["cms", "--state", "DK,LU", "--state", "ee", "--channels", network.url, "--credentials",
                             str(network.credentials_path), "--port", "0", "--data", str(data)])
    try:
        served = re.findall(r"(http://127\.0\.0\.1:\d+) \(([A-Z]{2})\)", process.first_line)
        assert [code for _, code in served] == ["DK", "LU", "EE"]
        assert process.url == served[0][0]  # the first URL first: scripts reading one URL still find one
        for url, code in served:
            _, info, _ = call("GET", f"{url}/sut/v1/info")
            assert info["state"] == code
            assert f"SPOC-{code}" in info["parties"]
        assert len({url for url, _ in served}) == 3
        assert sorted(p.name for p in data.glob("cms-*.sqlite3")) == ["cms-DK.sqlite3", "cms-EE.sqlite3",
                                                                      "cms-LU.sqlite3"]
    finally:
        process.stop()


def test_a_defect_at_one_state_is_switched_on_in_that_installation_only(network: Network, workdir: Path) -> None:
    process = start_process(["cms", "--state", "DK,LU", "--channels", network.url, "--credentials",
                             str(network.credentials_path), "--port", "0", "--data", str(workdir / "one-defective"),
                             "--defect", "late-urgent-reply@lu", "--defect", "no-cross-check"])
    try:
        served = dict((code, url) for url, code in re.findall(r"(http://127\.0\.0\.1:\d+) \(([A-Z]{2})\)",
                                                              process.first_line))
        defects = {code: sorted(call("GET", f"{url}/sut/v1/info")[1]["defects"]) for code, url in served.items()}
        assert defects == {"DK": ["no-cross-check"], "LU": ["late-urgent-reply", "no-cross-check"]}
    finally:
        process.stop()


def test_a_defect_at_a_state_the_process_does_not_host_is_refused(network: Network, workdir: Path) -> None:
    outcome = CliRunner().invoke(cms, ["--state", "DK,LU", "--credentials", str(network.credentials_path),
                                       "--defect", "late-urgent-reply@DE"])
    assert outcome.exit_code == 2
    assert "DE is not one of this process's states (DK, LU)" in outcome.output
