"""How the timeline settles a step: on the SUT's quiescence signal, or on a quiet period (the weaker fallback).

Real simulators (virtual clock) in process and a stand-in vendor SUT interface on loopback: one that
offers `GET /sut/v1/agenda?wait=` and holds its answer until its work is done, one that offers only the
plain agenda (its answer has no `idle`), one that offers no agenda at all.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from conformance.actors import NetworkControl
from conformance.campaign.http import HttpCaller
from conformance.campaign.timeline import QUIET_PERIOD, SIGNAL, Timeline
from conformance.ledger import Ledger
from conformance.settings import CampaignSettings
from conformance.sut import SutClient
from simulators.app import ServerConfig, build_app

START = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


class StandIn:
    """A vendor SUT's agenda: `busy_for` real seconds of work after every clock move it hears of."""

    def __init__(self, *, signal: bool, agenda: bool = True, busy_for: float = 0.0) -> None:
        self.signal, self.agenda, self.busy_for = signal, agenda, busy_for
        self.asked_wait = 0
        self.done_at: datetime | None = None

    def app(self, network_now: Callable[[], Awaitable[datetime]]) -> web.Application:
        async def get_agenda(request: web.Request) -> web.Response:
            if not self.agenda:
                raise web.HTTPNotFound()
            body: dict[str, Any] = {"next_action_at": None, "pending": 0}
            if "wait" in request.query and self.signal:
                self.asked_wait += 1
                now = await network_now()
                wait = float(request.query["wait"])
                await asyncio.sleep(min(self.busy_for, wait))  # the work due at `now`, however long it takes
                idle = self.busy_for <= wait
                if idle:
                    self.done_at = now
                body |= {"idle": idle, "now": now.isoformat()}
            return web.json_response(body)

        app = web.Application()
        app.router.add_get("/sut/v1/agenda", get_agenda)
        return app


@pytest.fixture
async def timeline_for(tmp_path: Path) -> AsyncIterator[Callable[[StandIn], Awaitable[Timeline]]]:
    closing: list[Any] = []

    async def make(stand_in: StandIn) -> Timeline:
        data = tmp_path / f"net-{len(closing)}"
        channels = TestServer(await build_app(ServerConfig(data=data, clock="virtual", start=START)), host="127.0.0.1")
        await channels.start_server()
        session = aiohttp.ClientSession()
        ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
        control = json.loads((data / "credentials.json").read_text())["control"]
        network = NetworkControl(HttpCaller(session, str(channels.make_url("")).rstrip("/"), ledger, token=control,
                                     now=lambda: START))
        sut_server = TestServer(stand_in.app(network.clock), host="127.0.0.1")
        await sut_server.start_server()
        closing.extend([channels, sut_server, session])
        sut = SutClient(HttpCaller(session, str(sut_server.make_url("")).rstrip("/"), ledger, now=lambda: START))
        timeline = Timeline(network, sut, ledger, CampaignSettings())
        await timeline.start()
        return timeline

    yield make
    for thing in reversed(closing):
        await thing.close()


async def test_a_step_waits_for_the_sut_signal_however_long_its_work_takes(
    timeline_for: Callable[[StandIn], Awaitable[Timeline]],
) -> None:
    stand_in = StandIn(signal=True, busy_for=0.6)  # far longer than any quiet period
    timeline = await timeline_for(stand_in)
    target = START + timedelta(hours=6)
    await timeline.advance_to(target)
    assert await timeline.settle(after_actions=True)
    assert stand_in.done_at == target  # settled only once the SUT had done its work at the new time
    assert timeline.settling == SIGNAL
    assert timeline.settle_timeouts == 0


async def test_without_the_signal_the_quiet_period_is_used_and_named(
    timeline_for: Callable[[StandIn], Awaitable[Timeline]],
) -> None:
    for stand_in in (StandIn(signal=False), StandIn(signal=False, agenda=False)):
        timeline = await timeline_for(stand_in)
        await timeline.advance_to(START + timedelta(hours=1))
        assert await timeline.settle(after_actions=True)
        assert timeline.settling == QUIET_PERIOD
        assert any("quiet period" in note and "weaker" in note for note in timeline.ledger.notes)
        assert stand_in.asked_wait == 0


async def test_a_sut_that_never_settles_is_a_noted_timeout(
    timeline_for: Callable[[StandIn], Awaitable[Timeline]],
) -> None:
    stand_in = StandIn(signal=True, busy_for=0.5)
    timeline = await timeline_for(stand_in)
    timeline.settings = CampaignSettings(settle_timeout=0.2)
    await timeline.advance_to(START + timedelta(hours=1))
    assert not await timeline.settle(after_actions=True)
    assert timeline.settle_timeouts == 1
    assert any("had not settled after 0.2 s" in note for note in timeline.ledger.notes)
