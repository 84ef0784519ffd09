"""Real time mode never waits for ever on a network clock that does not run.

Against a real channel server: on a frozen virtual clock the timeline refuses to start, naming the fix; on a
clock that runs and then stops (a server restarted on a virtual clock), a wait for a later time ends with the
reason after the stall limit, and says what it waits for meanwhile.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from conformance.actors import NetworkControl
from conformance.campaign import timeline as timeline_module
from conformance.campaign.http import HttpCaller
from conformance.campaign.timeline import Timeline
from conformance.ledger import Ledger
from conformance.settings import CampaignSettings
from conformance.sut import SutClient
from simulators.app import ServerConfig, build_app

START = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)


async def _timeline(tmp_path: Path) -> AsyncIterator[tuple[Timeline, list[str]]]:
    app = await build_app(ServerConfig(data=tmp_path / "net", clock="virtual", start=START))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    control = json.loads((tmp_path / "net" / "credentials.json").read_text())["control"]
    ledger = Ledger(seed=1, command="")
    said: list[str] = []
    async with aiohttp.ClientSession() as session:
        url = str(server.make_url("")).rstrip("/")
        network = NetworkControl(HttpCaller(session, url, ledger, token=control, now=lambda: START))
        sut = SutClient(HttpCaller(session, "http://127.0.0.1:9", ledger, now=lambda: START))
        yield Timeline(network, sut, ledger, CampaignSettings(), virtual=False, say=said.append), said
    await server.close()


@pytest.fixture
async def frozen(tmp_path: Path) -> AsyncIterator[tuple[Timeline, list[str]]]:
    async for made in _timeline(tmp_path):
        yield made


async def test_a_frozen_virtual_clock_is_refused_at_the_start_with_the_fix(frozen: tuple[Timeline, list[str]]) -> None:
    timeline, _ = frozen
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="--time-mode real needs a running network clock") as refused:
        await timeline.start()
    assert "spoc-harness serve --clock system" in str(refused.value)
    assert time.monotonic() - began < 10


async def test_a_clock_that_stops_ends_the_wait_with_the_reason_and_progress_lines(
        frozen: tuple[Timeline, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    timeline, said = frozen
    # A run already under way (past the start probe) whose network clock stands still from here on, as when
    # the server comes back on a frozen virtual clock. Short limits keep the test quick; the behaviour is the
    # one the 30 s stall limit and the 15 s progress interval give.
    timeline.now = await timeline.network.clock()
    monkeypatch.setattr(timeline_module, "_CLOCK_STALL_SECONDS", 1.5)
    monkeypatch.setattr(timeline_module, "_WAIT_LINE_SECONDS", 0.5)
    with pytest.raises(RuntimeError, match="the network clock stopped at 2026-03-27T08:00:00Z"):
        await timeline.advance_to(timeline.now + timedelta(hours=1))
    assert any(line.startswith("waiting in real time for network time 2026-03-27T09:00:00Z") for line in said), said


async def test_a_real_time_tick_on_a_stopped_clock_ends_with_the_reason(
        frozen: tuple[Timeline, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    timeline, _ = frozen
    timeline.now = await timeline.network.clock()
    monkeypatch.setattr(timeline_module, "_CLOCK_STALL_SECONDS", 1.0)


    async def tick_for_two_seconds() -> None:
        for _ in range(20):
            await timeline.real_tick(0.1)

    with pytest.raises(RuntimeError, match="the network clock stopped"):
        await tick_for_two_seconds()
