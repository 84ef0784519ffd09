"""The SUT client against a minimal vendor interface: automated operations go over HTTP, the others to a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from conformance.campaign.http import HttpCaller
from conformance.ledger import Ledger
from conformance.sut import ManualStepNotDone, SutClient

NOW = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


def _app(received: list[dict[str, Any]]) -> web.Application:
    async def info(request: web.Request) -> web.Response:
        return web.json_response({"state": "AT", "parties": ["SPOC-AT"], "interface_version": "1",
                                  "automated": ["fixtures"], "languages": ["de", "en"]})

    async def fixtures(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"records": 1}, headers={"X-Network-Time": "2026-03-27T09:00:00Z"})

    app = web.Application()
    app.router.add_get("/sut/v1/info", info)
    app.router.add_put("/sut/v1/fixtures", fixtures)
    return app


@pytest.fixture
async def client() -> AsyncIterator[tuple[SutClient, list[dict[str, Any]], list[str], Ledger]]:
    received: list[dict[str, Any]] = []
    said: list[str] = []
    server = TestServer(_app(received), host="127.0.0.1")
    await server.start_server()
    ledger = Ledger(seed=1)
    async with aiohttp.ClientSession() as session:
        caller = HttpCaller(session, str(server.make_url("")), ledger, now=lambda: NOW)
        yield SutClient(caller, manual_timeout=1.2, announce=said.append), received, said, ledger
    await server.close()


async def test_automated_operation_goes_over_http_and_is_recorded(
    client: tuple[SutClient, list[dict[str, Any]], list[str], Ledger],
) -> None:
    sut, received, said, ledger = client

    async def never() -> dict[str, Any] | None:
        return None

    records = [{"subject": "Anna Berger", "item": "holder of a firearms licence"}]
    await sut.perform("fixtures", lambda: _put(sut, records), instructions="load the records", evidence=never)
    assert received == [{"records": records}]
    assert said == []
    assert ledger.actions[-1].what == "fixtures"
    assert ledger.actions[-1].at == NOW


async def _put(sut: SutClient, records: list[dict[str, Any]]) -> dict[str, Any]:
    await sut.put_fixtures(records)
    return {}


async def test_manual_step_is_shown_to_a_person_and_waits_for_its_evidence(
    client: tuple[SutClient, list[dict[str, Any]], list[str], Ledger],
) -> None:
    sut, _, said, _ = client
    calls = 0

    async def evidence() -> dict[str, Any] | None:
        nonlocal calls
        calls += 1
        return {"case_id": "AT-1"} if calls >= 2 else None

    async def not_offered() -> dict[str, Any]:
        raise AssertionError("a non-automated operation must not be called over HTTP")

    done = await sut.perform("stimuli.outgoing_request", not_offered,
                             instructions="send a request to DE about Anna Berger", evidence=evidence)
    assert done == {"case_id": "AT-1"}
    assert any("MANUAL STEP (stimuli.outgoing_request)" in line and "Anna Berger" in line for line in said)


async def test_manual_step_nobody_does_is_reported(
    client: tuple[SutClient, list[dict[str, Any]], list[str], Ledger],
) -> None:
    sut, _, _, _ = client

    async def never() -> dict[str, Any] | None:
        return None

    async def not_offered() -> dict[str, Any]:
        raise AssertionError("not automated")

    with pytest.raises(ManualStepNotDone, match="nobody did it"):
        await sut.perform("decisions.judicial_granted", not_offered, instructions="record the grant",
                          evidence=never)
    sut.manual_timeout = 0
    with pytest.raises(ManualStepNotDone, match="no manual timeout"):
        await sut.perform("decisions.judicial_granted", not_offered, instructions="record the grant",
                          evidence=never)
