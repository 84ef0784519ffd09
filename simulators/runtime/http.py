"""HTTP plumbing shared by every channel: authentication, fault injection, network time, answers.

`network_middleware` reads the `Operation` that `openapi.route` registered for the matched route:
it authenticates the caller (storing a `Caller` under `CALLER`), refuses party tokens on control
routes, and for channel routes applies the faults in force for (channel, acting party): outage and
latency before the handler, lost acknowledgement after a successful send (the message stays
journaled and delivered; only the answer is lost). It also turns every failure into its RFC 9457
problem answer and stamps every answer with the network time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from simulators.model.envelope import Envelope
from simulators.runtime.auth import Caller, Credentials, resolve_caller
from simulators.runtime.network import NETWORK, Network
from simulators.runtime.openapi import OPENAPI, Operation
from simulators.runtime.problems import FieldError, ProblemError, problem_for
from simulators.runtime.store import db_time

__all__ = [
    "CALLER",
    "CREDENTIALS",
    "NETWORK_TIME_HEADER",
    "accepted_response",
    "caller",
    "idempotency_key",
    "json_response",
    "network_middleware",
]

NETWORK_TIME_HEADER = "X-Network-Time"
CREDENTIALS = web.AppKey("credentials", Credentials)
CALLER = web.RequestKey("caller", Caller)
_SENT = web.RequestKey("sent", bool)
_JSON_UTF8 = "application/json; charset=utf-8"
_log = logging.getLogger("simulators.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def caller(request: web.Request) -> Caller:
    """The authenticated caller of a route registered with auth "party" or "control"."""
    found = request.get(CALLER)
    if not isinstance(found, Caller):
        raise ProblemError(401, "Unauthorized", "this route needs a bearer token")
    return found


def json_response(
    body: BaseModel | dict[str, Any] | list[Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body, ensure_ascii=False)
    return web.Response(status=status, text=text, content_type="application/json", headers=headers)


def accepted_response(request: web.Request, envelope: Envelope, location: str | None = None) -> web.Response:
    """201 with the stored envelope, or 200 when an Idempotency-Key replayed an earlier send."""
    request[_SENT] = True
    headers = {"Content-Type": _JSON_UTF8, "Location": location} if location else {"Content-Type": _JSON_UTF8}
    return web.Response(status=200 if envelope.replayed else 201, body=envelope.to_json().encode(), headers=headers)


def _operation(request: web.Request) -> Operation | None:
    return request.app[OPENAPI].for_route(request.match_info.route)


def _drop_connection(request: web.Request) -> None:
    # aiohttp then fails to write the answer with a ConnectionError, which it handles quietly.
    if request.transport is not None:
        request.transport.abort()


@web.middleware
async def network_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request of the network server: the problem answer for any failure, the network time on every answer.

    One middleware rather than a chain of them: it runs on every request, and each layer costs.
    """
    network = request.app[NETWORK]
    try:
        response = await _authorised(request, handler, network)
    except web.HTTPException as exc:
        if exc.status < 400:  # a redirect: aiohttp answers with the exception itself
            exc.headers[NETWORK_TIME_HEADER] = db_time(network.clock.now())
            raise
        response = problem_for(request, exc)
    except Exception as exc:
        response = problem_for(request, exc)
    response.headers[NETWORK_TIME_HEADER] = db_time(network.clock.now())
    return response


async def _authorised(request: web.Request, handler: Handler, network: Network) -> web.StreamResponse:
    """Authentication, then the faults in force for (channel, acting party) around the handler."""
    operation = _operation(request)
    if operation is None or operation.auth == "none":
        return await handler(request)
    who = resolve_caller(request, request.app[CREDENTIALS])
    request[CALLER] = who
    if operation.auth == "control" and not who.control:
        await network.refuse(who.party, "control", f"use the control API ({request.method} {request.path})")
    channel = operation.channel
    faults = network.faults
    if channel is None or not faults.any:
        return await handler(request)
    outage = faults.outage(channel, who.party)
    if outage is not None:
        if outage.mode == "refuse":
            _drop_connection(request)
            raise ProblemError(
                503, "Channel unavailable", "connection dropped (injected outage)", slug="outage"
            )
        headers = (
            {"Retry-After": str(outage.retry_after_seconds)} if outage.retry_after_seconds is not None else {}
        )
        raise ProblemError(
            503,
            "Channel unavailable",
            f"{channel.value} is unavailable for {who.party or 'the caller'} (injected outage)",
            slug="outage",
            headers=headers,
        )
    delay = faults.latency_seconds(channel, who.party)
    if delay > 0:
        await asyncio.sleep(delay)
    response = await handler(request)
    if operation.send and request.get(_SENT) and 200 <= response.status < 300:
        await _maybe_lose_ack(request, network, operation, who)
    return response


async def _maybe_lose_ack(request: web.Request, network: Network, operation: Operation, who: Caller) -> None:
    assert operation.channel is not None
    lost = network.faults.lost_ack(operation.channel, who.party)
    if lost is None:
        return
    _log.info("losing the acknowledgement of a %s send by %s (injected fault)", operation.channel, who.party)
    if lost.mode == "503":
        raise ProblemError(
            503,
            "Channel unavailable",
            "the channel failed before answering; the message may or "
            "may not have been accepted (retry with the same Idempotency-Key)",
            slug="lost-ack",
        )
    if lost.mode == "timeout":
        await asyncio.sleep(lost.timeout_seconds)
    _drop_connection(request)  # the answer below is written into a closed connection: nobody gets it
    raise ProblemError(
        503, "Channel unavailable", "connection dropped (injected lost acknowledgement)", slug="lost-ack"
    )


def idempotency_key(request: web.Request) -> str | None:
    """The send's Idempotency-Key (1 to 200 characters, trimmed), or None when the caller gave none."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise ProblemError(
            400,
            "Bad request",
            "Idempotency-Key must have 1 to 200 characters",
            slug="bad-request",
            errors=[FieldError(field="Idempotency-Key", rule="1 to 200 characters")],
        )
    return key
