"""HTTP plumbing shared by every channel: authentication, fault injection, network time, answers.

`guard` wraps every handler `openapi.route` adds, knowing its `Operation`: it authenticates the
caller (storing a `Caller` under `CALLER`), refuses party tokens on control routes, and for channel
routes applies the faults in force for (channel, acting party): outage and latency before the
handler, lost acknowledgement after a successful send (the message stays journaled and delivered;
only the answer is lost). It also turns every failure into its RFC 9457 problem answer and stamps
every answer with the network time. `add_fallback_routes` gives unknown paths and methods the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from simulators.model.directive import ChannelName
from simulators.model.envelope import Envelope
from simulators.runtime.auth import Caller, Credentials, resolve_caller
from simulators.runtime.network import NETWORK, Network
from simulators.runtime.openapi import Operation
from simulators.runtime.problems import FieldError, ProblemError, problem_for

__all__ = [
    "CALLER",
    "CREDENTIALS",
    "NETWORK_TIME_HEADER",
    "accepted_response",
    "add_fallback_routes",
    "caller",
    "guard",
    "idempotency_key",
    "json_response",
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


def _drop_connection(request: web.Request) -> None:
    # aiohttp then fails to write the answer with a ConnectionError, which it handles quietly.
    if request.transport is not None:
        request.transport.abort()


def guard(operation: Operation, handler: Handler) -> Handler:
    """`handler` as every request of the network server runs it (the `OpenApiRegistry` guard).

    Authentication and the faults in force for (channel, acting party) around the handler, the
    problem answer for any failure, the network time on every answer. A closure per route rather
    than a middleware: the operation is known when the route is added, and aiohttp's middleware
    chain costs microseconds on every request.
    """
    auth, channel, send = operation.auth, operation.channel, operation.send

    async def guarded(request: web.Request) -> web.StreamResponse:
        network = request.app[NETWORK]
        try:
            if auth == "none":
                response = await handler(request)
            else:
                who = resolve_caller(request, request.app[CREDENTIALS])
                request[CALLER] = who
                if auth == "control" and not who.control:
                    await network.refuse(who.party, "control",
                                         f"use the control API ({request.method} {request.path})")
                if channel is None or not network.faults.any:
                    response = await handler(request)
                else:
                    response = await _with_faults(request, handler, network, channel, send, who)
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect: aiohttp answers with the exception itself
                exc.headers[NETWORK_TIME_HEADER] = network.clock.now_text()
                raise
            response = problem_for(request, exc)
        except Exception as exc:
            response = problem_for(request, exc)
        response.headers[NETWORK_TIME_HEADER] = network.clock.now_text()
        return response

    return guarded


def add_fallback_routes(app: web.Application) -> None:
    """Problem answers for a path no route has (404) and a method a path does not take (405).

    Call once every route is added: each resource gets a route for any other method, and a last
    resource takes every other path; both go through `guard`, so these answers are problems with
    the network time like every other.
    """
    def method_not_allowed(allowed: list[str]) -> Handler:
        async def answer(request: web.Request) -> web.StreamResponse:
            raise ProblemError(405, "Method not allowed", f"{request.method} is not allowed on {request.path}; "
                               f"use {', '.join(allowed)}", headers={"Allow": ",".join(allowed)})
        return answer

    async def not_found(request: web.Request) -> web.StreamResponse:
        raise ProblemError(404, "Not found", f"no route {request.path}", slug="not-found")

    fallback = Operation(method="*", path="", operation_id="", summary="", tag="", auth="none")
    for resource in list(app.router.resources()):
        allowed = sorted(r.method for r in resource if r.method != "*")
        if allowed and isinstance(resource, web.Resource):
            resource.add_route("*", guard(fallback, method_not_allowed(allowed)))
    app.router.add_route("*", r"/{path:[\s\S]*}", guard(fallback, not_found))  # newlines too


async def _with_faults(request: web.Request, handler: Handler, network: Network, channel: ChannelName,
                       send: bool, who: Caller) -> web.StreamResponse:
    faults = network.faults
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
    if send and request.get(_SENT) and 200 <= response.status < 300:
        await _maybe_lose_ack(request, network, channel, who)
    return response


async def _maybe_lose_ack(request: web.Request, network: Network, channel: ChannelName, who: Caller) -> None:
    lost = network.faults.lost_ack(channel, who.party)
    if lost is None:
        return
    _log.info("losing the acknowledgement of a %s send by %s (injected fault)", channel, who.party)
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
