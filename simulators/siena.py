"""The SIENA channel: send, read a message, read a case; mailbox, acks and webhook from the shared core."""

from __future__ import annotations

from aiohttp import web

from simulators.model.directive import ChannelName
from simulators.model.envelope import Envelope, MessageView
from simulators.model.siena import (
    PAYLOAD_IS_PLAIN,
    SienaCase,
    SienaEnvelope,
    SienaMessageView,
    SienaPayload,
    SienaSendRequest,
)
from simulators.runtime.auth import Caller
from simulators.runtime.http import accepted_response, caller, idempotency_key, json_response
from simulators.runtime.mailbox import add_mailbox_routes
from simulators.runtime.network import NETWORK, Network, SendRequest
from simulators.runtime.openapi import HeaderParam, route
from simulators.runtime.problems import ProblemError, read_model

__all__ = ["IDEMPOTENCY_HEADER", "setup"]

CHANNEL = ChannelName.SIENA
IDEMPOTENCY_HEADER = HeaderParam(
    "Idempotency-Key",
    "Repeat a send safely: the same key from the same party "
    "returns the original message (200) instead of a second one",
    max_length=200,
)


async def send(request: web.Request) -> web.Response:
    who = caller(request)
    party = who.require_party()
    message = await read_model(request, SienaSendRequest)
    network = request.app[NETWORK]
    if message.sender != party:
        await network.refuse(party, "send", f"send as {message.sender} on SIENA (authenticated as {party})")
    envelope = await network.accept(SendRequest(
        channel=CHANNEL,
        sender=message.sender,
        to=message.to,
        cc=message.cc,
        payload=message.payload_json(),
        directive=message.directive,
        case_id=message.case_id,
        in_reply_to=message.in_reply_to,
        idempotency_key=idempotency_key(request),
        payload_is_plain=PAYLOAD_IS_PLAIN,
    ))
    return accepted_response(request, envelope, location=f"/siena/messages/{envelope.message_id}")


def _not_found(what: str) -> ProblemError:
    return ProblemError(404, "Not found", f"no {what}", slug="not-found")


async def _visible(network: Network, who: Caller, envelope: Envelope, what: str, missing: ProblemError) -> None:
    if who.control and who.party is None:
        return
    if who.party is None or not network.can_see(envelope, who.party):
        # Answered as a missing id (ids are network-wide counters: a 403 would tell which exist).
        await network.refuse(who.party, "read", f"read {what}, which it neither sent nor received", answer=missing)


async def get_message(request: web.Request) -> web.Response:
    who = caller(request)
    network = request.app[NETWORK]
    message_id = request.match_info["message_id"]
    view = await network.message(message_id)
    missing = _not_found(f"SIENA message {message_id!r}")
    if view is None or view.channel is not CHANNEL:
        raise missing
    await _visible(network, who, view, f"SIENA message {message_id}", missing)
    return json_response(view)


async def get_case(request: web.Request) -> web.Response:
    who = caller(request)
    network = request.app[NETWORK]
    case_id = request.match_info["case_id"]
    views: list[MessageView] = await network.case_messages(CHANNEL, case_id)
    missing = _not_found(f"SIENA case {case_id!r}")
    if not views:
        raise missing
    if not (who.control and who.party is None):
        views = [v for v in views if who.party is not None and network.can_see(v, who.party)]
        if not views:
            await network.refuse(who.party, "read", f"read SIENA case {case_id}, in which it has no message",
                                 answer=missing)
    first = SienaPayload.model_validate(views[0].payload)
    areas = list(
        dict.fromkeys(area for v in views for area in SienaPayload.model_validate(v.payload).crime_areas)
    )
    case = SienaCase(
        case_id=case_id,
        opened_at=views[0].created_at,
        crime_areas=areas or first.crime_areas,
        messages=[SienaMessageView.model_validate(v.model_dump()) for v in views],
    )
    return json_response(case)


def setup(app: web.Application) -> None:
    route(
        app,
        "POST",
        "/siena/messages",
        send,
        operation_id="siena_send",
        tag="SIENA",
        channel=CHANNEL,
        send=True,
        summary="Send a SIENA message (journaled before the answer)",
        request=SienaSendRequest,
        responses={201: SienaEnvelope, 200: SienaEnvelope},
        headers=[IDEMPOTENCY_HEADER],
        description="201 with the stored envelope; 200 with the original when the Idempotency-Key was seen. "
        "A new case_id is assigned when none is given; a reply inherits the case of in_reply_to.",
    )
    route(
        app,
        "GET",
        "/siena/messages/{message_id}",
        get_message,
        operation_id="siena_get_message",
        tag="SIENA",
        channel=CHANNEL,
        summary="A SIENA message with each recipient's delivery and read state",
        responses={200: SienaMessageView},
    )
    route(
        app,
        "GET",
        "/siena/cases/{case_id}",
        get_case,
        operation_id="siena_get_case",
        tag="SIENA",
        channel=CHANNEL,
        summary="The messages of a SIENA case visible to the caller",
        responses={200: SienaCase},
    )
    add_mailbox_routes(app, CHANNEL)
