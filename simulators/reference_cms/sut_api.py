"""The SUT test interface (docs/sut-interface.md) as the reference CMS serves it, under /sut/v1.

`ROUTES` is the single table of operations: the aiohttp routes are registered from it and the
OpenAPI document (docs/sut-interface.openapi.json) is generated from it, so the two cannot drift.
Each operation names its manual equivalent: what an operator does in a CMS that does not automate it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from simulators.model.sut_interface import (
    INTERFACE_VERSION,
    Agenda,
    AuditLog,
    CaseList,
    CaseRecord,
    ClockSetting,
    ClockState,
    Communication,
    Decision,
    DecisionAction,
    DecisionResult,
    FixtureSet,
    Info,
    OutgoingRequestStimulus,
    OwnInitiativeStimulus,
    Statistics,
    StimulusResult,
)
from simulators.reference_cms.channels import ChannelRejected
from simulators.reference_cms.clock_follower import parse_network_time
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import IGNORES_HARNESS_CLOCK, STATISTICS_COMPILED_BY_HAND
from simulators.reference_cms.engine import CaseEngine
from simulators.reference_cms.problems import CmsProblemError, read_body
from simulators.reference_cms.scheduler import agenda, wait_until_idle

__all__ = ["BASE", "ROUTES", "MessageList", "QueryParam", "Route", "SutApi"]

BASE = "/sut/v1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_AGENDA_WAIT = 30.0  # real seconds `GET /agenda?wait=` may hold the request


class FixtureSummary(BaseModel):
    records: int = Field(description="Number of records now held")
    replaced: int = Field(description="Number of records the new set replaced")


class MessageEntry(Communication):
    case_id: str


class MessageList(BaseModel):
    messages: list[MessageEntry]


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    type: str = "string"
    format: str | None = None
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation: str
    summary: str
    manual: str
    handler: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: tuple[QueryParam, ...] = ()
    optional: bool = False
    tag: str = "exports"
    capabilities: tuple[str, ...] = ()


DECISIONS = tuple(f"decisions.{a.value}" for a in DecisionAction)


_SINCE = QueryParam("since", "Only entries at or after this network time (ISO 8601 with offset)", format="date-time")

ROUTES: tuple[Route, ...] = (
    Route("GET", "/info", "info", "What this CMS is and which operations it automates",
          "Read the vendor's interface declaration", "get_info", response=Info, tag="info"),
    Route("GET", "/openapi.json", "openapi", "This interface as OpenAPI 3.1",
          "Read docs/sut-interface.openapi.json", "get_openapi", tag="info"),
    Route("GET", "/clock", "clock.read", "The CMS's clock and whether it follows the network clock",
          "Read the CMS's clock in its status screen", "get_clock", response=ClockState, tag="clock"),
    Route("PUT", "/clock", "clock.follow", "Follow (or stop following) the channels' network clock",
          "Configure the test deployment to take its time from the network clock (GET /clock, X-Network-Time)",
          "put_clock", body=ClockSetting, response=ClockState, tag="clock", capabilities=("clock",)),
    Route("GET", "/agenda", "agenda", "OPTIONAL: the CMS's next planned action, for a harness in virtual time; "
          "with `wait`, the quiescence signal: answers once nothing is due at or before the network time and every "
          "received message is processed (`idle`), or after `wait` seconds (`idle: false`)",
          "None: without it the harness steps the clock in fixed increments and waits for a quiet period",
          "get_agenda", response=Agenda, optional=True, tag="clock", capabilities=("agenda",),
          query=(QueryParam("wait", "Real seconds to wait at most for quiescence (0 to 30)", type="number",
                           minimum=0, maximum=30),)),
    Route("GET", "/fixtures", "fixtures.read", "The records the national databases hold",
          "Read the test data loaded into the national databases", "get_fixtures", response=FixtureSet,
          tag="fixtures"),
    Route("PUT", "/fixtures", "fixtures.replace", "Replace what the national databases hold",
          "Load the test data into the national databases the SPOC consults", "put_fixtures", body=FixtureSet,
          response=FixtureSummary, tag="fixtures", capabilities=("fixtures",)),
    Route("POST", "/stimuli/outgoing-request", "stimuli.outgoing_request",
          "Create and send a request for information (Art 4, Art 8)",
          "An operator (or a designated / competent authority) creates the request in the CMS and sends it",
          "post_outgoing_request", body=OutgoingRequestStimulus, response=StimulusResult, status=201,
          tag="stimuli", capabilities=("stimuli.outgoing_request",)),
    Route("POST", "/stimuli/own-initiative", "stimuli.own_initiative",
          "Provide information on own initiative (Art 7)",
          "An operator (or a competent authority) enters the information and sends it", "post_own_initiative",
          body=OwnInitiativeStimulus, response=StimulusResult, status=201, tag="stimuli",
          capabilities=("stimuli.own_initiative",)),
    Route("POST", "/cases/{case_id}/decision", "stimuli.decision",
          "An operator's decision on an incoming request",
          "The operator opens the case and provides, refuses, asks for clarification, records the judicial "
          "authorisation steps or hands the request over to a domestic authority", "post_decision",
          body=Decision, response=DecisionResult, tag="stimuli", capabilities=DECISIONS),
    Route("GET", "/cases", "exports.cases", "Every case record (Art 16(1)(a)-(c))",
          "Export the case list from the CMS", "get_cases", response=CaseList,
          query=(QueryParam("direction", "INCOMING or OUTGOING", enum=("INCOMING", "OUTGOING")),
                 QueryParam("reference", "The requester's reference of the exchange"),
                 QueryParam("message_id", "A channel message id recorded in the case")),
          capabilities=("exports.cases",)),
    Route("GET", "/cases/{case_id}", "exports.case", "One case record", "Export one case from the CMS",
          "get_case", response=CaseRecord),
    Route("GET", "/messages", "exports.messages", "Every message sent or received, with its channel and "
          "Art 13(2) exception", "Export the message log of the CMS", "get_messages", response=MessageList,
          query=(_SINCE,), capabilities=("exports.messages",)),
    Route("GET", "/audit-log", "exports.audit_log", "The audit log (Art 16(1)(h), Art 25 Directive (EU) 2016/680)",
          "Export the audit log", "get_audit_log", response=AuditLog,
          query=(_SINCE, QueryParam("case_id", "Only the entries of this case")),
          capabilities=("exports.audit_log",)),
    Route("GET", "/statistics", "exports.statistics", "The Art 18 statistics of one calendar year",
          "Produce the annual statistics report", "get_statistics", response=Statistics,
          query=(QueryParam("year", "Calendar year (default: the current one)", type="integer",
                            minimum=2000, maximum=2200),),
          capabilities=("exports.statistics",)),
)


def _since(request: web.Request) -> datetime | None:
    raw = request.query.get("since")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CmsProblemError(422, "Invalid input", f"since: {raw!r} is not an ISO 8601 time with an offset",
                           errors=[("query.since", "must be an ISO 8601 date-time with a UTC offset")],
                           slug="validation")
    return moment


def _wait_seconds(request: web.Request) -> float | None:
    raw = request.query.get("wait")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_AGENDA_WAIT:
        raise CmsProblemError(422, "Invalid input",
                           f"wait: {raw!r} is not a number of seconds from 0 to {MAX_AGENDA_WAIT:g}",
                           errors=[("query.wait", f"must be a number of seconds from 0 to {MAX_AGENDA_WAIT:g}")],
                           slug="validation")
    return seconds


def _json(body: BaseModel | dict[str, Any], status: int = 200) -> web.Response:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return web.Response(status=status, text=text, content_type="application/json")


class SutApi:
    def __init__(self, ctx: Context, engine: CaseEngine, openapi: dict[str, Any], product: str) -> None:
        self.ctx = ctx
        self.engine = engine
        self.openapi = openapi
        self.product = product

    def register(self, app: web.Application) -> None:
        for route in ROUTES:
            handler = getattr(self, route.handler)
            if route.method != "GET" and route.path != "/clock":
                handler = self._at_network_time(handler)
            app.router.add_route(route.method, BASE + route.path, handler)

    def _at_network_time(self, handler: Handler) -> Handler:
        """A stimulus or decision is carried out, and stamped, at the network time of its request.

        The clock stream tells the CMS of every move, but a request may arrive a moment before the news; so the
        network time is taken from the request (the harness tells the time it set) or else read afresh from the
        channels, and what the CMS does is stamped with the time the harness set.
        """

        async def at_network_time(request: web.Request) -> web.StreamResponse:
            await self._current_time(request)
            return await handler(request)

        return at_network_time

    async def _current_time(self, request: web.Request) -> None:
        """Bring the CMS's clock to the network time of the request: the harness's `X-Network-Time` (the time it
        set the network's clock to) taken as a channel's header is, or else the channels' clock read afresh."""
        told = request.headers.get("X-Network-Time")
        clock = self.ctx.clock
        # As a push's header is taken (CaseEngine.receive_push): only while following the network clock.
        if told and clock.following and not self.ctx.defects.active(IGNORES_HARNESS_CLOCK):
            with contextlib.suppress(ValueError):  # a header it cannot read: the channels' clock is asked instead
                clock.observe(parse_network_time(told))
                return
        await self.engine.receipt_time()

    async def get_info(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        return _json(Info(
            state=ctx.state, parties=ctx.channels.parties, interface_version=INTERFACE_VERSION, product=self.product,
            automated=[c for r in ROUTES for c in r.capabilities],
            optional=[c for r in ROUTES if r.optional for c in r.capabilities],
            languages=ctx.languages, timezone=ctx.timezone, defects=list(ctx.defects.names),
        ))

    async def get_openapi(self, request: web.Request) -> web.Response:
        return _json(self.openapi)

    async def get_clock(self, request: web.Request) -> web.Response:
        return _json(ClockState(follow_network_clock=self.ctx.clock.following, now=self.ctx.now()))

    async def put_clock(self, request: web.Request) -> web.Response:
        setting = await read_body(request, ClockSetting)
        clock = self.ctx.clock
        if setting.follow_network_clock:
            try:
                await clock.follow()
            except Exception as exc:
                raise CmsProblemError(502, "Network clock unavailable", f"GET /clock on the channels failed: {exc}",
                                   errors=[("follow_network_clock", "the channels' clock must answer")]) from None
        else:
            await clock.stop_following()
        return _json(ClockState(follow_network_clock=clock.following, now=self.ctx.now()))

    async def get_agenda(self, request: web.Request) -> web.Response:
        wait = _wait_seconds(request)
        if wait is None:
            return _json(agenda(self.ctx))
        # The network time the harness just set: told or read afresh, not left to the clock stream's next answer.
        await self._current_time(request)
        idle = await wait_until_idle(self.ctx, self.engine.worker, wait)
        return _json(agenda(self.ctx).model_copy(update={"idle": idle, "now": self.ctx.now()}))

    async def get_fixtures(self, request: web.Request) -> web.Response:
        return _json(FixtureSet(records=self.ctx.store.fixtures()))

    async def put_fixtures(self, request: web.Request) -> web.Response:
        fixtures = await read_body(request, FixtureSet)
        async with self.ctx.lock:
            replaced = self.ctx.store.replace_fixtures(fixtures.records)
            self.ctx.store.put("fixtures-loaded-at", self.ctx.now().isoformat())
        return _json(FixtureSummary(records=len(fixtures.records), replaced=replaced))

    async def post_outgoing_request(self, request: web.Request) -> web.Response:
        stimulus = await read_body(request, OutgoingRequestStimulus)
        async with self.ctx.lock:
            result = await self._sending(self.engine.stimuli.outgoing_request(stimulus))
        return _json(result, 201)

    async def post_own_initiative(self, request: web.Request) -> web.Response:
        stimulus = await read_body(request, OwnInitiativeStimulus)
        async with self.ctx.lock:
            result = await self._sending(self.engine.stimuli.own_initiative(stimulus))
        return _json(result, 201)

    async def _sending(self, work: Any) -> StimulusResult:
        try:
            result: StimulusResult = await work
        except ChannelRejected as exc:
            raise CmsProblemError(502, "Channel refused the message", str(exc),
                               errors=[(f"channel.{e.get('field')}", str(e.get("rule")))
                                       for e in exc.problem.get("errors", []) if isinstance(e, dict)]) from None
        return result

    async def post_decision(self, request: web.Request) -> web.Response:
        decision = await read_body(request, Decision)
        async with self.ctx.lock:
            result = await self.engine.stimuli.decide(request.match_info["case_id"], decision)
        return _json(result)

    async def get_cases(self, request: web.Request) -> web.Response:
        direction = request.query.get("direction")
        if direction is not None and direction not in ("INCOMING", "OUTGOING"):
            raise CmsProblemError(422, "Invalid input", "direction must be INCOMING or OUTGOING",
                               errors=[("query.direction", "must be INCOMING or OUTGOING")], slug="validation")
        cases = self.engine.export_cases(direction=direction, reference=request.query.get("reference"),
                                         message_id=request.query.get("message_id"))
        return _json(CaseList(cases=cases))

    async def get_case(self, request: web.Request) -> web.Response:
        case_id = request.match_info["case_id"]
        case = self.ctx.store.case(case_id)
        if case is None or not self.engine.in_cms(case):
            raise CmsProblemError(404, "No such case", f"no case {case_id}", errors=[("case_id", "must name a case")])
        return _json(self.engine.export_case(case))

    async def get_messages(self, request: web.Request) -> web.Response:
        since = _since(request)
        outside = {c.case_id for c in self.ctx.store.cases() if not self.engine.in_cms(c)}
        entries = [MessageEntry(case_id=case_id, **c.model_dump()) for case_id, c in self.ctx.store.all_communications()
                   if (since is None or c.at >= since) and case_id not in outside]
        return _json(MessageList(messages=entries))

    async def get_audit_log(self, request: web.Request) -> web.Response:
        entries = self.ctx.store.audit_entries(_since(request), request.query.get("case_id"))
        return _json(AuditLog(entries=entries))

    async def get_statistics(self, request: web.Request) -> web.Response:
        raw = request.query.get("year")
        year = self.ctx.now().year
        if raw is not None:
            # ASCII digits only, and few: str.isdigit() admits '²' and '٢', which int() then refuses, and
            # int() of thousands of digits raises (the int-string limit): both used to answer 500.
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 2000 <= int(raw) <= 2200:
                raise CmsProblemError(422, "Invalid input", f"year: {raw!r} is not a calendar year",
                                   errors=[("query.year", "must be a year between 2000 and 2200")], slug="validation")
            year = int(raw)
        if self.ctx.defects.active(STATISTICS_COMPILED_BY_HAND):
            raise CmsProblemError(501, "Not implemented", "this CMS produces no statistics; the Art 18 figures are "
                               "compiled outside it", errors=[("year", "no statistics function")])
        return _json(self.engine.statistics(year))
