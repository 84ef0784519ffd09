"""The reference SPOC CMS as an aiohttp service: SUT interface, webhook intake, worker, mailbox sweep.

It reaches the channel simulators over HTTP only, as any vendor CMS would: it logs in as its state's
parties, registers a webhook per mailbox for push delivery, sweeps the mailboxes as a safety net,
and sends through the channels' public API. It never imports the simulators' code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from simulators.reference_cms.audit import AuditTrail
from simulators.reference_cms.channels import ChannelError, ChannelsClient, load_party_tokens
from simulators.reference_cms.clock_follower import CmsClock
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import DEFECTS, IGNORES_HARNESS_CLOCK, ActiveDefects
from simulators.reference_cms.engine import CaseEngine
from simulators.reference_cms.guard import allowed_host_names, guard_middleware
from simulators.reference_cms.openapi import build_openapi
from simulators.reference_cms.policy import PolicySettings
from simulators.reference_cms.problems import MAX_BODY_BYTES, CmsProblemError, problem_middleware, read_body
from simulators.reference_cms.store import Store
from simulators.reference_cms.sut_api import SutApi

__all__ = ["RESTART_PATH", "CmsOptions", "ReferenceCms", "run_cms", "run_installations"]

_log = logging.getLogger("reference_cms")
PRODUCT = "spoc-harness reference CMS"
# Under /sut/, so the SUT token guards it, but outside /sut/v1: no part of the vendor contract.
RESTART_PATH = "/sut/reference/restart"
_RECORDED = json.dumps({"status": "recorded"}).encode()  # the answer to every push, written once


@dataclass
class CmsOptions:
    state: str
    channels_url: str
    credentials: Path
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8800
    defects: list[str] = field(default_factory=list)
    follow_network_clock: bool = False
    settings: PolicySettings = field(default_factory=PolicySettings)
    poll_interval: float = 0.025
    sweep_every: float = 2.0
    sut_token: str | None = None  # when set, every /sut/v1 call needs "Authorization: Bearer <token>"
    allow_restart: bool = False  # reference only: POST /sut/reference/restart (RESTART_PATH) switches defects
    allowed_hosts: list[str] = field(default_factory=list)  # host names besides loopback and the bound address
    # A push's receipt time from its X-Network-Time header (False: a fresh read of the network clock per push,
    # the cost benchmarks/cms_cpu.py measures the header against).
    receipt_time_from_push: bool = True


class RestartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defects: list[str] = Field(default_factory=list, description="Named defects of the restarted CMS")


class ReferenceCms:
    """One CMS: build it, `start()` it (listening and connected), `stop()` it.

    With `CmsOptions.allow_restart` it also answers `POST /sut/reference/restart` (RESTART_PATH), which only
    the reference CMS has and no vendor needs: the kill matrix switches defects there instead of starting a
    process per defect. A restart leaves the listening socket alone and replaces everything else (store,
    clock, channel connections, case engine, defects) by what a freshly started process would have.
    """

    def __init__(self, options: CmsOptions) -> None:
        self.options = options
        self._tokens = load_party_tokens(options.credentials, options.state)
        self._build(options.defects)
        guard = guard_middleware(allowed_host_names(options.host, options.allowed_hosts), options.sut_token)
        self.app = web.Application(middlewares=[problem_middleware, guard], client_max_size=MAX_BODY_BYTES)
        self.sut_api = SutApi(self.ctx, self.engine, build_openapi(), PRODUCT)
        self.sut_api.register(self.app)
        self.app.router.add_get("/healthz", self._health)
        self.app.router.add_post("/channels/{channel}/{party}", self._webhook)
        if options.allow_restart:
            self.app.router.add_post(RESTART_PATH, self._restart)
        self._runner: web.AppRunner | None = None
        self._restarting = asyncio.Lock()
        self.url = ""
        self._hooks: list[tuple[str, str]] = []

    def _build(self, defect_names: Sequence[str]) -> None:
        """The parts a CMS installation is made of, on the store in `data_dir` (created if missing)."""
        options = self.options
        defects = ActiveDefects(defect_names)
        self.store = Store(options.data_dir / f"cms-{options.state}.sqlite3")
        channels: ChannelsClient | None = None

        async def read_network() -> Any:
            assert channels is not None
            return await channels.read_clock()

        async def watch_network(after: datetime) -> Any:
            assert channels is not None
            return await channels.watch_clock(after)

        clock = CmsClock(read_network, poll_interval=options.poll_interval, watch_network=watch_network,
                         ignore_network=defects.active(IGNORES_HARNESS_CLOCK))
        channels = ChannelsClient(options.channels_url, self._tokens, clock, key_scope=self.store.instance_id)
        self.ctx = Context(state=options.state, store=self.store, clock=clock, channels=channels, defects=defects,
                           settings=options.settings, audit=AuditTrail(self.store, defects, clock.now, options.state))
        self.engine = CaseEngine(self.ctx)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "state": self.ctx.state})

    async def _webhook(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"].upper()
        party = request.match_info["party"].upper()
        if (channel, party) not in self.engine.mailboxes:
            raise CmsProblemError(404, "No such mailbox", f"{party} on {channel} is not one of this CMS's mailboxes",
                               errors=[("path", "must name a channel and an own party")])
        try:
            body = await request.json(loads=_loads)
        except ValueError:
            raise CmsProblemError(400, "Malformed JSON", "a push body is JSON",
                               errors=[("body", "must be JSON")]) from None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict) or not message.get("message_id"):
            raise CmsProblemError(422, "Invalid push", "a push carries a message envelope with its message_id",
                               errors=[("message.message_id", "required")])
        stamped = request.headers.get("X-Network-Time") if self.options.receipt_time_from_push else None
        await self.engine.receive_push(channel, party, body, pushed_at=stamped)
        return web.Response(body=_RECORDED, content_type="application/json")

    async def _restart(self, request: web.Request) -> web.Response:
        names = (await read_body(request, RestartRequest)).defects
        unknown = [n for n in names if n not in DEFECTS]
        if unknown:
            raise CmsProblemError(422, "Validation failed", f"unknown defect(s) {', '.join(unknown)}",
                               errors=[("defects", "must name defects `spoc-harness defects` lists")])
        await self.restart(names)
        return web.json_response({"defects": list(self.ctx.defects.names), "instance": self.store.instance_id})

    async def restart(self, defects: Sequence[str]) -> None:
        """Become a freshly installed CMS with `defects`: the store deleted, every connection made anew."""
        async with self._restarting:
            await self._detach()
            await self._close()
            for suffix in ("", "-wal", "-shm"):
                (self.options.data_dir / f"cms-{self.options.state}.sqlite3{suffix}").unlink(missing_ok=True)
            self._build(defects)
            self.sut_api.ctx, self.sut_api.engine = self.ctx, self.engine
            await self._connect()

    async def start(self) -> str:
        options = self.options
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, options.host, options.port, reuse_address=True)
        await site.start()
        addresses = self._runner.addresses
        port = int(addresses[0][1]) if addresses else options.port
        self.url = f"http://{options.host}:{port}"
        await self._connect()
        return self.url

    async def _connect(self) -> None:
        """Follow the clock if told to, register the webhooks, sweep the mailboxes, start the engine."""
        if self.options.follow_network_clock:
            await self.ctx.clock.follow()
        for channel, party in self.engine.mailboxes:
            url = f"{self.url}/channels/{channel.lower()}/{party}"
            try:
                await self.ctx.channels.register_webhook(channel, party, url)
                self._hooks.append((channel, party))
            except ChannelError as exc:
                _log.warning("no push delivery for %s on %s (%s); the mailbox sweep picks its messages up",
                             party, channel, exc)
        with contextlib.suppress(ChannelError):
            await self.engine.sweep()
        self.engine.start(self.options.sweep_every)

    async def _detach(self) -> None:
        await self.engine.stop()
        for channel, party in self._hooks:
            with contextlib.suppress(ChannelError):
                await self.ctx.channels.remove_webhook(channel, party)
        self._hooks = []

    async def _close(self) -> None:
        await self.ctx.clock.close()
        await self.ctx.channels.close()
        self.store.close()

    async def stop(self) -> None:
        async with self._restarting:
            await self._detach()
            if self._runner is not None:
                await self._runner.cleanup()
            await self._close()


def _loads(text: str) -> Any:
    """A push body: orjson's parse, a tenth of json's cost for a message of a few kB; json's where orjson refuses
    what json takes (NaN, an unpaired surrogate), so that the CMS accepts what it did."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


async def run_cms(options: CmsOptions, announce: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM."""
    await run_installations([options], lambda served: announce(served[0][1]))


async def run_installations(
    installations: Sequence[CmsOptions], announce: Callable[[list[tuple[str, str]]], None],
) -> None:
    """Serve several installations (one per state) in this one process until SIGINT or SIGTERM.

    Each keeps its own port, store, clock follower, channel client and worker: nothing is shared but the
    event loop. One process for many states costs one interpreter instead of many, which is what a small
    machine running the whole EU needs (docs/load.md). `announce` gets (state, URL) of each, once all serve.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = [ReferenceCms(options) for options in installations]
    try:
        # Side by side: each start and stop is mostly round trips to the channels (webhooks, the first sweep,
        # the clock), so thirty installations one after the other keep a restart of the process waiting.
        # Every start ends before any stop begins (a failed one is raised once all have).
        started = await asyncio.gather(*(cms.start() for cms in running), return_exceptions=True)
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        announce([(cms.ctx.state, cms.url) for cms in running])
        await stop.wait()
    finally:
        stopped = await asyncio.gather(*(cms.stop() for cms in running), return_exceptions=True)
        for cms, failure in zip(running, stopped, strict=True):
            if isinstance(failure, BaseException):
                _log.error("the %s installation did not stop cleanly: %r", cms.options.state, failure)
