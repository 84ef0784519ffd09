"""`spoc-harness sut-check`: a CMS that ignores the clock, and a broken interface, get findings naming their section.

That the reference CMS passes every check in under 30 s is asserted where the README's vendor steps run it
(tests/cli/test_vendor_contract.py). Each case runs on a network of its own: the check moves the network
clock an hour and sends what the generated requests make the CMS send.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from refcms_support import BIN, Network, launch_cms, running_network

from conformance.sutcheck import CheckOptions, PreflightFinding, run_sut_check

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture
def own_network(workdir: Path) -> Iterator[Network]:
    with running_network(workdir, "sut-check") as network:
        yield network


def sut_check(url: str, network: Network, *extra: str) -> tuple[int, dict[str, Any], float]:
    began = time.monotonic()
    run = subprocess.run([str(BIN), "sut-check", url, "--channels", network.url, "--credentials",
                          str(network.credentials_path), "--json", *extra],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return run.returncode, json.loads(run.stdout), time.monotonic() - began


def by_check(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {f["check"]: f for f in report["findings"]}


def test_a_cms_that_ignores_the_moved_clock_is_told_to_read_the_clock_section(
        own_network: Network, workdir: Path) -> None:
    cms = launch_cms(own_network, workdir, "AT", "ignores-harness-clock", follow=False)
    try:
        code, report, _ = sut_check(cms.url, own_network, "--schemathesis-seconds", "2")
    finally:
        cms.process.stop()
    clock = by_check(report)["clock"]
    assert code == 1
    assert not report["ok"]
    assert clock["status"] == "fail", clock
    assert "does not follow the network clock" in clock["detail"]
    assert clock["section"] == 'docs/sut-interface.md, "Clock"'
    assert by_check(report)["info"]["status"] == "pass"


def _broken_sut() -> web.Application:
    """A vendor's first attempt: wrong parties and languages, a fixture field dropped, exports malformed."""
    held: list[dict[str, Any]] = []

    async def info(_: web.Request) -> web.Response:
        return web.json_response({"state": "AT", "parties": ["SPOC-DE"], "interface_version": "1",
                                  "languages": ["de"], "automated": ["fixtures", "exports.everything"]})

    async def put_fixtures(request: web.Request) -> web.Response:
        records = (await request.json())["records"]
        held[:] = [{k: v for k, v in r.items() if k != "originator_state"} for r in records]
        return web.json_response({"records": len(held), "replaced": 0})

    async def get_fixtures(_: web.Request) -> web.Response:
        return web.json_response({"records": held})

    async def cases(_: web.Request) -> web.Response:
        return web.json_response({"cases": [{"direction": "INCOMING"}]})

    async def messages(_: web.Request) -> web.Response:
        return web.json_response({"messages": []})

    async def audit(_: web.Request) -> web.Response:
        return web.json_response({"entries": "none yet"})

    app = web.Application()
    app.router.add_get("/sut/v1/info", info)
    app.router.add_put("/sut/v1/fixtures", put_fixtures)
    app.router.add_get("/sut/v1/fixtures", get_fixtures)
    app.router.add_get("/sut/v1/cases", cases)
    app.router.add_get("/sut/v1/messages", messages)
    app.router.add_get("/sut/v1/audit-log", audit)
    return app


async def test_a_broken_interface_gets_one_finding_per_fault_each_naming_its_section() -> None:
    server = TestServer(_broken_sut(), host="127.0.0.1")
    await server.start_server()
    try:
        findings = await run_sut_check(CheckOptions(sut_url=str(server.make_url("")).rstrip("/"),
                                                    schemathesis_seconds=20))
    finally:
        await server.close()
    found: dict[str, PreflightFinding] = {f.check: f for f in findings}
    assert found["info"].status == "fail"
    assert "lack the SPOC party SPOC-AT" in found["info"].detail
    assert "differ from AT's published Art 11 list ['de', 'en']" in found["info"].detail
    assert found["capabilities"].status == "warn"
    assert "decisions." in found["capabilities"].detail
    assert found["openapi"].status == "fail"
    assert found["clock"].status == "skip"
    assert found["fixtures"].status == "fail"
    assert "originator_state" in found["fixtures"].detail
    assert found["exports.cases"].status == "fail"
    assert "case_id" in found["exports.cases"].detail
    assert found["exports.messages"].status == "pass"
    assert found["exports.audit_log"].status == "fail"
    assert found["exports.statistics"].status == "fail"
    assert "404" in found["exports.statistics"].detail
    for finding in findings:
        if finding.status == "fail":
            assert "read: docs/sut-interface.md" in finding.line(), finding


async def test_nothing_listening_is_one_finding_not_five() -> None:
    findings = await run_sut_check(CheckOptions(sut_url="http://127.0.0.1:9", schemathesis_seconds=1))
    assert [(f.check, f.status) for f in findings] == [("info", "fail")]
    assert "no answer" in findings[0].detail
    assert 'read: docs/sut-interface.md, "Info"' in findings[0].line()
