"""Composition of the network server: journal, clock, network, middlewares, channels, control API.

`build_app(config)` returns a ready aiohttp application; `spoc-harness serve` runs it. Channels are
modules with `setup(app)` (see `simulators.runtime.network`); the channel registry
(`simulators.model.channels`) names each one's module, and `ServerConfig.channels` selects by key which
ones this server carries (one alone is fine).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from simulators import clock_stream, control
from simulators.clock_stream import CLOSING, ClockWait, read_clock_wait, wait_for_move
from simulators.control import ClockView
from simulators.model.channels import UnknownChannelError, served_channels, spec_for_key
from simulators.model.parties import PartyDirectory, party_directory
from simulators.runtime.auth import load_or_create_credentials
from simulators.runtime.clock import Clock, ScaledClock, SystemClock, VirtualClock
from simulators.runtime.http import CREDENTIALS, add_fallback_routes, guard, json_response
from simulators.runtime.network import NETWORK, Network
from simulators.runtime.openapi import OPENAPI, OpenApiRegistry, route
from simulators.runtime.problems import BODY_READ_SECONDS
from simulators.runtime.refusals import DEFAULT_REFUSAL_LIMIT, DEFAULT_REFUSAL_WINDOW_SECONDS, RefusalBudget
from simulators.runtime.store import Journal, JournalIntegrityError, parse_db_time

__all__ = [
    "CHANNEL_SETTINGS",
    "CREDENTIALS_PATH",
    "HealthStatus",
    "ServerConfig",
    "build_app",
    "network_openapi",
]

CREDENTIALS_PATH = web.AppKey("credentials_path", Path)
# What a channel's `setup` reads its own settings from (`ServerConfig.channel_settings`).
CHANNEL_SETTINGS: web.AppKey[Mapping[str, Mapping[str, Any]]] = web.AppKey("channel_settings")
_log = logging.getLogger("simulators.app")


@dataclass(frozen=True)
class ServerConfig:
    data: Path
    clock: Literal["system", "virtual", "scaled"] = "system"
    start: datetime | None = None
    rate: float = 0.0
    speed: float = 1.0  # network seconds per wall second of the scaled clock
    channels: Sequence[str] = field(default_factory=lambda: tuple(spec.key for spec in served_channels()))
    max_body_bytes: int = 2 * 1024 * 1024
    allow_remote_webhooks: bool = False
    # Journaled refusals per caller and window of wall time; beyond, a burst is journaled once (429).
    refusal_limit: int = DEFAULT_REFUSAL_LIMIT
    refusal_window_seconds: float = DEFAULT_REFUSAL_WINDOW_SECONDS
    # Seconds a handler waits for a body that did not arrive with its head (then 408).
    body_read_seconds: float = 30.0
    # Serve a journal whose verification fails at start-up (to look at it); refused otherwise.
    allow_broken_journal: bool = False
    # Per-channel settings, e.g. {"sirene": {"immediate_seconds": 900}, "interpol": {"review_delay_seconds": 3600}}.
    channel_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


async def _make_clock(config: ServerConfig, journal: Journal) -> Clock:
    if config.clock == "system":
        return SystemClock()

    def last_times(conn: Any) -> list[str]:
        found = [
            conn.execute("SELECT value FROM meta WHERE key='clock'").fetchone(),
            conn.execute("SELECT MAX(at) FROM journal").fetchone(),
        ]
        return [str(row[0]) for row in found if row and row[0]]

    # A restarted virtual (or scaled) network resumes where its time stood: time never runs backwards in a journal.
    known = [parse_db_time(t) for t in await journal.read(last_times)]
    start = max([*known, *([config.start] if config.start else [])], default=None)
    if config.start is not None and start is not None and start > config.start:
        _log.warning("--start %s is before the journal's latest time; resuming at %s", config.start, start)
    if config.clock == "scaled":
        return ScaledClock(start, speed=config.speed)
    return VirtualClock(start, rate=config.rate)


async def _verify_at_start(journal: Journal, config: ServerConfig) -> None:
    """Refuse to serve a journal whose chain, or whose tables, the chain does not vouch for."""
    verification = await journal.verify()
    if verification.ok:
        _log.info("journal verified: %d entries, head %s", verification.entries, verification.head)
        return
    what = (f"the journal {journal.path} fails verification at entry {verification.first_bad_seq}: "
            f"{verification.detail}")
    if config.allow_broken_journal:
        _log.error("%s; serving it anyway (--allow-broken-journal): it is no evidence", what)
        return
    await journal.close()
    raise JournalIntegrityError(f"{what}; refusing to serve it (start with --allow-broken-journal to inspect it)")


async def build_app(config: ServerConfig) -> web.Application:
    journal = await Journal.open(config.data / "journal.sqlite3")
    await _verify_at_start(journal, config)
    clock = await _make_clock(config, journal)
    network = await Network.open(journal, clock, allow_remote_webhooks=config.allow_remote_webhooks,
                                 refusals=RefusalBudget(config.refusal_limit, config.refusal_window_seconds))
    credentials, credentials_path = load_or_create_credentials(config.data)

    app = web.Application(client_max_size=config.max_body_bytes)
    app[NETWORK] = network
    app[CREDENTIALS] = credentials
    app[CREDENTIALS_PATH] = credentials_path
    app[OPENAPI] = OpenApiRegistry(guard=guard)
    app[CHANNEL_SETTINGS] = config.channel_settings
    app[BODY_READ_SECONDS] = config.body_read_seconds

    _public_routes(app)
    clock_stream.setup(app)
    control.setup(app)
    for name in config.channels:
        try:
            module_name = spec_for_key(name).service_module
        except UnknownChannelError as exc:
            raise ValueError(str(exc)) from None
        assert module_name is not None  # served channels have a module
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            _log.warning("channel %s is not available in this installation", name)
            continue
        module.setup(app)
    add_fallback_routes(app)  # last: after every route of every channel

    async def start(_app: web.Application) -> None:
        await network.start()

    async def stop(_app: web.Application) -> None:
        await network.close()
        await journal.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def network_openapi(app: web.Application) -> dict[str, Any]:
    """The OpenAPI document of a built network server (served at /openapi.json, kept in docs/)."""
    return app[OPENAPI].document(
        title="SPOC exchange network: SIENA, SIRENE, Interpol I-24/7 simulators",
        version="1",
        description="Simulated channels for Directive (EU) 2023/977 conformance testing. SIENA payloads are "
        "UMF-inspired, not UMF-conformant. The `directive` field of every message is a DirectiveMessage "
        "(components below; docs/directive-messages.md), carried as sent.",
    )


# Long: the table of public routes with their small handlers, read top to bottom
# like the published API document.
def _public_routes(app: web.Application) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return json_response(HealthStatus())

    async def clock(request: web.Request) -> web.Response:
        network_clock = request.app[NETWORK].clock
        await wait_for_move(network_clock, read_clock_wait(request), request.app.get(CLOSING))
        return json_response(ClockView(now=network_clock.now(), mode=network_clock.mode))

    async def parties(request: web.Request) -> web.Response:
        return json_response(party_directory())

    built: dict[str, Any] = {}

    async def openapi(request: web.Request) -> web.Response:
        if not built:
            # Built once, on first use, when every channel has registered its routes.
            built.update(network_openapi(request.app))
        return json_response(built)

    route(
        app,
        "GET",
        "/healthz",
        healthz,
        operation_id="healthz",
        summary="Liveness",
        tag="Public",
        auth="none",
        responses={200: HealthStatus},
    )
    route(
        app,
        "GET",
        "/clock",
        clock,
        operation_id="clock",
        summary="The network clock; with `after`, a long poll that answers once the clock has moved past it",
        tag="Public",
        auth="none",
        query=ClockWait,
        responses={200: ClockView},
    )
    route(
        app,
        "GET",
        "/parties",
        parties,
        operation_id="parties",
        summary="Every state (Art 11 languages, time zone) and party (id, role) of the network",
        tag="Public",
        auth="none",
        responses={200: PartyDirectory},
        description="The same data as docs/parties.json in the repository.",
    )
    route(
        app,
        "GET",
        "/openapi.json",
        openapi,
        operation_id="openapi",
        summary="This document",
        tag="Public",
        auth="none",
        responses={200: None},
    )
