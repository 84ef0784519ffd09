"""Fixtures for the channel simulator tests: a real network server on a loopback port, real SQLite.

`net` is a running server (all channels, virtual clock frozen at START) with an HTTP helper;
`make_net(**config)` starts more (for example again on the same data directory, to test restarts);
`receiver` is a webhook endpoint whose answers a test can switch between up, down and slow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from simulators.app import ServerConfig, build_app
from simulators.runtime.network import NETWORK, Network

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def siena_message(sender: str = "SPOC-DE", to: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid SIENA send body; `overrides` replace or add fields."""
    body: dict[str, Any] = {
        "sender": sender,
        "to": to or ["SPOC-AT"],
        "cc": [],
        "subject": "Vehicle keeper",
        "body": "Who keeps the vehicle W-12345X?",
        "language": "en",
        "urgency": "NON_URGENT",
        "crime_areas": ["MOTOR_VEHICLE_CRIME"],
        "handling_codes": ["H0"],
        "security_level": "BPL",
        "europol_involved": False,
    }
    body.update(overrides)
    return body


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def fields(self) -> list[str]:
        """The `field` of each error of a problem answer."""
        return [e["field"] for e in self.body.get("errors", [])] if isinstance(self.body, dict) else []


@dataclass
class Net:
    url: str
    data: Path
    credentials: dict[str, Any]
    session: aiohttp.ClientSession
    server: TestServer | None = None

    @property
    def network(self) -> Network:
        assert self.server is not None
        return self.server.app[NETWORK]

    def token(self, party: str) -> str:
        return str(self.credentials["parties"][party])

    async def call(
        self,
        method: str,
        path: str,
        *,
        party: str | None = None,
        control: bool = False,
        act_as: str | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if party is not None:
            sent["Authorization"] = f"Bearer {self.token(party)}"
        if control:
            sent["Authorization"] = f"Bearer {self.credentials['control']}"
        if act_as is not None:
            sent["X-Act-As"] = act_as
        kwargs: dict[str, Any] = {"headers": sent}
        if raw is not None:
            kwargs["data"] = raw
        elif json_body is not None:
            kwargs["json"] = json_body
        async with self.session.request(method, self.url + path, **kwargs) as response:
            text = await response.text()
            body = json.loads(text) if text else None
            return Answer(response.status, dict(response.headers), body)

    async def send(self, sender: str = "SPOC-DE", **overrides: Any) -> Answer:
        key = overrides.pop("idempotency_key", None)
        headers = {"Idempotency-Key": key} if key else None
        return await self.call("POST", "/siena/messages", party=sender, json_body=siena_message(sender, **overrides),
                               headers=headers)

    message = staticmethod(siena_message)

    async def stop(self) -> None:
        """Stop the server early, as on shutdown: requests finish, the journal closes."""
        await self.session.close()
        assert self.server is not None
        await self.server.close()

    async def advance(self, seconds: float) -> None:
        answer = await self.call("POST", "/control/clock", control=True, json_body={"advance_seconds": seconds})
        assert answer.status == 200, answer.body


NetFactory = Callable[..., Awaitable[Net]]


@pytest.fixture
async def make_net(tmp_path: Path) -> AsyncIterator[NetFactory]:
    started: list[tuple[TestServer, aiohttp.ClientSession]] = []

    async def start(data: Path | None = None, **config: Any) -> Net:
        directory = data or tmp_path / "network"
        config.setdefault("clock", "virtual")
        config.setdefault("start", START)
        app = await build_app(ServerConfig(data=directory, **config))
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        session = aiohttp.ClientSession()
        started.append((server, session))
        credentials = json.loads((directory / "credentials.json").read_text())
        return Net(url=str(server.make_url("")).rstrip("/"), data=directory, credentials=credentials,
                   session=session, server=server)

    yield start
    for server, session in reversed(started):
        await session.close()
        await server.close()


@pytest.fixture
async def net(make_net: NetFactory) -> Net:
    return await make_net()


@dataclass
class Receiver:
    """A webhook endpoint: records each push; `status` and `delay` decide its answers."""

    url: str = ""
    status: int = 200
    delay: float = 0.0
    pushes: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    network_times: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.headers.append(request.headers.get("X-Delivery-Id", ""))
        self.network_times.append(request.headers.get("X-Network-Time", ""))
        status = self.status
        self.pushes.append({"status": status, **body})  # recorded on arrival: a slow answer may be cut off
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=status)

    def accepted(self) -> list[dict[str, Any]]:
        return [p for p in self.pushes if 200 <= p["status"] < 300]

    async def wait_for(self, count: int, within: float = 5.0, *, accepted: bool = False) -> None:
        async def enough() -> None:
            while len(self.accepted() if accepted else self.pushes) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), within)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    hook.url = str(server.make_url("/hook"))
    yield hook
    await server.close()
