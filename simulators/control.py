"""The control API (control token only): traffic, clock, faults, reset, journal verification, audit."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from simulators.model.directive import ChannelName, MessageKind
from simulators.model.envelope import MessageView
from simulators.runtime.admin import move_clock, set_faults
from simulators.runtime.admin import reset as admin_reset
from simulators.runtime.faults import FaultList
from simulators.runtime.http import json_response
from simulators.runtime.mailbox import parse_query
from simulators.runtime.network import NETWORK
from simulators.runtime.openapi import route
from simulators.runtime.problems import read_model
from simulators.runtime.queries import TrafficFilter
from simulators.runtime.store import JournalVerification, db_time

__all__ = ["AuditEvent", "ClockMove", "ClockView", "ResetRequest", "TrafficQuery", "setup"]


class ClockView(BaseModel):
    now: AwareDatetime
    mode: str


class ClockMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    set: AwareDatetime | None = Field(default=None, description="New network time; never earlier than now")
    advance_seconds: Annotated[float, Field(ge=0, le=3.2e10)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockMove:
        if (self.set is None) == (self.advance_seconds is None):
            raise ValueError("give exactly one of set and advance_seconds")
        return self


class TrafficQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: Annotated[str, Field(max_length=64, description="Sender or recipient")] | None = None
    channel: ChannelName | None = None
    kind: MessageKind | None = Field(default=None, description="Directive message kind")
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    case_id: Annotated[str, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=100_000)] = 10_000


class VerifyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since_verified: bool = Field(
        default=False,
        description="Recompute only the entries after the head this server's last sound verification found (that "
                    "entry must still carry its hash); the tables are compared in full. For a network reused run "
                    "after run: a full verification at the end of its use still covers every entry.",
    )


class Traffic(BaseModel):
    messages: list[MessageView]


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clock: AwareDatetime | None = Field(
        default=None,
        description="Virtual clock only: network time at which the new segment starts, earlier than now if need be",
    )


class ResetResult(BaseModel):
    segment: int


class AuditEvent(BaseModel):
    journal_seq: int
    at: str
    party: str | None
    action: str
    detail: str


class NetworkAuditLog(BaseModel):
    events: list[AuditEvent]


async def traffic(request: web.Request) -> web.Response:
    query = parse_query(request, TrafficQuery)
    network = request.app[NETWORK]
    found = await network.traffic(
        TrafficFilter(
            segment=network.journal.segment,
            party=query.party.upper() if query.party else None,
            channel=query.channel.value if query.channel else None,
            kind=query.kind.value if query.kind else None,
            since=db_time(query.since) if query.since else None,
            until=db_time(query.until) if query.until else None,
            case_id=query.case_id,
            limit=query.limit,
        )
    )
    return json_response(Traffic(messages=found))


async def get_clock(request: web.Request) -> web.Response:
    clock = request.app[NETWORK].clock
    return json_response(ClockView(now=clock.now(), mode=clock.mode))


async def clock_move(request: web.Request) -> web.Response:
    move = await read_model(request, ClockMove)
    network = request.app[NETWORK]
    now = await move_clock(network, to=move.set, advance_seconds=move.advance_seconds)
    return json_response(ClockView(now=now, mode=network.clock.mode))


async def get_faults(request: web.Request) -> web.Response:
    return json_response(FaultList(faults=request.app[NETWORK].faults.faults))


async def put_faults(request: web.Request) -> web.Response:
    body = await read_model(request, FaultList)
    await set_faults(request.app[NETWORK], body.faults)
    return json_response(body)


async def delete_faults(request: web.Request) -> web.Response:
    await set_faults(request.app[NETWORK], [])
    return json_response(FaultList())


async def reset(request: web.Request) -> web.Response:
    # The body is optional: a bare POST (as before) resets without touching the clock.
    body = ResetRequest() if not request.can_read_body else await read_model(request, ResetRequest)
    return json_response(ResetResult(segment=await admin_reset(request.app[NETWORK], clock=body.clock)))


async def verify(request: web.Request) -> web.Response:
    query = parse_query(request, VerifyQuery)
    return json_response(await request.app[NETWORK].journal.verify(since_verified=query.since_verified))


async def audit(request: web.Request) -> web.Response:
    def work(conn: Any) -> list[AuditEvent]:
        rows = conn.execute("SELECT journal_seq, at, party, action, detail FROM audit ORDER BY id").fetchall()
        return [AuditEvent(journal_seq=r[0], at=r[1], party=r[2], action=r[3], detail=r[4]) for r in rows]

    return json_response(NetworkAuditLog(events=await request.app[NETWORK].journal.read(work)))


# Long: the table of control routes, one `route(...)` per operation, as the
# published OpenAPI lists them.
def setup(app: web.Application) -> None:
    common: dict[str, Any] = {"tag": "Control", "auth": "control"}
    route(
        app,
        "GET",
        "/control/traffic",
        traffic,
        operation_id="control_traffic",
        query=TrafficQuery,
        summary="Messages of the current segment in journal order, with their acks",
        responses={200: Traffic},
        **common,
    )
    route(
        app,
        "GET",
        "/control/clock",
        get_clock,
        operation_id="control_clock_get",
        summary="The network clock",
        responses={200: ClockView},
        **common,
    )
    route(
        app,
        "POST",
        "/control/clock",
        clock_move,
        operation_id="control_clock_move",
        request=ClockMove,
        summary="Set or advance the virtual clock (409 on the system clock)",
        responses={200: ClockView},
        **common,
    )
    route(
        app,
        "GET",
        "/control/faults",
        get_faults,
        operation_id="control_faults_get",
        summary="Faults in force",
        responses={200: FaultList},
        **common,
    )
    route(
        app,
        "PUT",
        "/control/faults",
        put_faults,
        operation_id="control_faults_put",
        request=FaultList,
        summary="Replace the faults in force",
        responses={200: FaultList},
        **common,
    )
    route(
        app,
        "DELETE",
        "/control/faults",
        delete_faults,
        operation_id="control_faults_delete",
        summary="Clear every fault",
        responses={200: FaultList},
        **common,
    )
    route(
        app,
        "POST",
        "/control/reset",
        reset,
        operation_id="control_reset",
        request=ResetRequest,
        request_required=False,
        responses={200: ResetResult},
        summary="Forget traffic (new journal segment); clear faults, webhooks and timers; optionally restart "
                "the virtual clock",
        **common,
    )
    route(
        app,
        "GET",
        "/control/journal/verify",
        verify,
        operation_id="control_journal_verify",
        query=VerifyQuery,
        summary="Recompute the journal's hash chain",
        responses={200: JournalVerification},
        **common,
    )
    route(
        app,
        "GET",
        "/control/audit",
        audit,
        operation_id="control_audit",
        responses={200: NetworkAuditLog},
        summary="Refused access attempts (403s), in order",
        **common,
    )
