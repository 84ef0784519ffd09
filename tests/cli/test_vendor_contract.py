"""A vendor's path, from the published documents alone: the README's steps run as written, and every message
of the campaign they run is valid against the published contract.

The reference CMS stands in for a vendor's, reached only over `--sut URL`. This module imports nothing from
the project: it runs the installed `spoc-harness` command, reads the documents under docs/ and talks HTTP,
as a vendor would. The commands are the README's ("Certifying a vendor CMS"), with two adaptations a
shared test machine needs: every server gets a free port (`--port 0`), and the URLs the README assumes
(127.0.0.1:8700 and :8800) are replaced by the ones the servers print.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BIN = Path(sys.executable).with_name("spoc-harness")
README_CHANNELS, README_SUT = "http://127.0.0.1:8700", "http://127.0.0.1:8800"


def readme_vendor_steps() -> list[list[str]]:
    """The commands of the README's "Certifying a vendor CMS" block, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Certifying a vendor CMS", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the README's vendor section has no sh block"
    return [shlex.split(line) for line in block.group(1).splitlines() if line and not line.startswith("#")]


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start(command: list[str], cwd: Path, channels: Server | None = None) -> Server:
    args = [arg.replace(README_CHANNELS, channels.url) if channels else arg for arg in command[1:]]
    process = subprocess.Popen([str(BIN), *args, "--port", "0"], cwd=cwd, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            ready.set() if line.startswith("serving on ") else None
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(30) or not lines or not lines[-1].startswith("serving on "):
        process.kill()
        raise AssertionError(f"{shlex.join(command)} did not start: {lines[-20:]}")
    return Server(process, lines[-1].split()[2], lines)


@dataclass
class VendorRun:
    channels: Server
    cms: Server
    workdir: Path
    preflight: subprocess.CompletedProcess[str]
    campaign: subprocess.CompletedProcess[str]
    real_time_refused: subprocess.CompletedProcess[str]
    real_time_seconds: float

    def control(self, path: str) -> Any:
        control = json.loads((self.workdir / "net" / "credentials.json").read_text())["control"]
        request = urllib.request.Request(self.channels.url + path, headers={"Authorization": f"Bearer {control}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)


def run_step(command: list[str], cwd: Path, channels: Server, cms: Server) -> subprocess.CompletedProcess[str]:
    args = [arg.replace(README_CHANNELS, channels.url).replace(README_SUT, cms.url) for arg in command[1:]]
    return subprocess.run([str(BIN), *args], cwd=cwd, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VendorRun]:
    serve, cms_command, preflight, campaign = readme_vendor_steps()
    assert serve[:2] == ["spoc-harness", "serve"]
    assert "--start" in serve
    assert cms_command[:2] == ["spoc-harness", "cms"]
    assert preflight[:2] == ["spoc-harness", "sut-check"]
    assert campaign[:2] == ["spoc-harness", "run"]
    assert "--sut" in campaign
    # As the README says: the preflight on one network, the campaign on fresh channels and a fresh CMS.
    first = tmp_path_factory.mktemp("vendor-preflight")
    channels, cms = start(serve, first), None
    try:
        cms = start(cms_command, first, channels)
        checked = run_step(preflight, first, channels, cms)
    finally:
        for server in (cms, channels):
            server.stop() if server else None
    second = tmp_path_factory.mktemp("vendor-campaign")
    channels = start(serve, second)
    cms = start(cms_command, second, channels)
    try:
        result = run_step(campaign, second, channels, cms)
        began = time.monotonic()
        real = run_step([*campaign, "--time-mode", "real", "--report-dir", "real-time"], second, channels, cms)
        yield VendorRun(channels, cms, second, checked, result, real, time.monotonic() - began)
    finally:
        cms.stop()
        channels.stop()


def test_the_readme_vendor_steps_run_as_written_and_the_reference_cms_is_conformant(vendor_run: VendorRun) -> None:
    assert vendor_run.preflight.returncode == 0, vendor_run.preflight.stdout[-3000:]
    summary = re.search(r"sut-check: 0 failed, 0 warnings, 9 passed in ([\d.]+) s", vendor_run.preflight.stdout)
    assert summary, vendor_run.preflight.stdout[-3000:]
    assert float(summary.group(1)) < 30
    assert vendor_run.campaign.returncode == 0, vendor_run.campaign.stdout[-3000:] + vendor_run.campaign.stderr[-2000:]
    assert "Verdict: CONFORMANT" in vendor_run.campaign.stdout
    assert (vendor_run.workdir / "reports-out" / "results.json").exists()


def test_real_time_mode_against_a_virtual_clock_is_refused_at_once_with_the_fix(vendor_run: VendorRun) -> None:
    refused = vendor_run.real_time_refused
    assert refused.returncode == 2, refused.stdout[-3000:]
    assert "--time-mode real needs a running network clock" in refused.stderr, refused.stderr[-3000:]
    assert "serve --clock system" in refused.stderr
    assert vendor_run.real_time_seconds < 20
    assert not (vendor_run.workdir / "real-time").exists()


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def _errors(validator: Any, value: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:200]}" for e in validator.iter_errors(value)][:3]


def test_every_channel_message_of_the_campaign_is_valid_against_the_published_contract(vendor_run: VendorRun) -> None:
    channels = json.loads((DOCS / "channels.openapi.json").read_text())
    parties = json.loads((DOCS / "parties.json").read_text())
    party_ids = {p["id"] for p in parties["parties"]}
    languages = {s["code"]: s["languages"] for s in parties["states"]}
    traffic = vendor_run.control("/control/traffic")
    answer = channels["paths"]["/control/traffic"]["get"]["responses"]["200"]["content"]["application/json"]
    assert _errors(_validator(channels, answer["schema"]), traffic) == []
    envelope = _validator(channels, {"$ref": "#/components/schemas/Envelope"})
    directive = _validator(channels, {"$ref": "#/components/schemas/DirectiveMessage"})
    kinds: set[str] = set()
    for message in traffic["messages"]:
        plain = {k: v for k, v in message.items() if k != "acks"}
        assert _errors(envelope, plain) == [], message["message_id"]
        assert message["directive"] is not None, message["message_id"]
        assert _errors(directive, message["directive"]) == [], message["message_id"]
        assert {message["sender"], *message["to"], *message["cc"]} <= party_ids, message["message_id"]
        kinds.add(message["directive"]["kind"])
        request = message["directive"].get("request") or {}
        for state in (request.get("requesting_state"), request.get("requested_state")):
            assert state is None or state in languages, (message["message_id"], state)
    # The campaign exercises every kind the reference CMS and the harness exchange.
    assert {"REQUEST", "REPLY", "REFUSAL", "CLARIFICATION_REQUEST", "CLARIFICATION", "DELAY_NOTICE",
            "OWN_INITIATIVE"} <= kinds
    # The schema is no formality: a refusal on a ground Art 6(1) does not list is invalid against it.
    refusal = next(m["directive"] for m in traffic["messages"] if m["directive"]["kind"] == "REFUSAL")
    assert _errors(directive, {**refusal, "refusal_grounds": ["NOT-A-GROUND"]})


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return dict(item[method.lower()])
    raise AssertionError(f"{method} {path} is not an operation of the published SUT interface")


def test_every_sut_interface_call_of_the_campaign_is_valid_against_the_published_document(
        vendor_run: VendorRun) -> None:
    sut = json.loads((DOCS / "sut-interface.openapi.json").read_text())
    ledger = json.loads((vendor_run.workdir / "reports-out" / "evidence" / "ledger.json").read_text())
    calls = [a for a in ledger["actions"] if "/sut/v1/" in (a.get("url") or "")]
    assert len(calls) > 10
    for call in calls:
        path = urllib.request.urlparse(call["url"]).path
        operation = _operation(sut, call["method"], path)
        if call.get("request") is not None:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert _errors(_validator(sut, body), call["request"]) == [], (call["method"], path)
        answer = operation["responses"].get(str(call["status"]))
        assert answer is not None, (call["method"], path, call["status"])
        if "content" in answer and call.get("response") is not None:
            schema = next(iter(answer["content"].values()))["schema"]
            assert _errors(_validator(sut, schema), call["response"]) == [], (call["method"], path)
