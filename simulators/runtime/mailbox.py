"""The delivery routes every channel shares: mailbox pull and ack, webhook registration.

`add_mailbox_routes(app, ChannelName.X)` adds, under `/x/`:
`GET mailbox`, `POST mailbox/{delivery_id}/ack`, `POST mailbox/ack` (several at once),
`GET|PUT|DELETE webhook`. A party sees and
acknowledges only its own deliveries; anything else is refused with a journaled 403.
"""

from __future__ import annotations

from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.envelope import (
    Ack,
    AckRequest,
    BatchAck,
    BatchAckRequest,
    MailboxPage,
    WebhookRegistration,
    WebhookView,
)
from simulators.runtime.admin import set_webhook
from simulators.runtime.http import caller, json_response
from simulators.runtime.network import NETWORK
from simulators.runtime.openapi import route
from simulators.runtime.problems import FieldError, ProblemError, read_model, validation_problem

__all__ = ["MailboxQuery", "add_mailbox_routes", "parse_query"]

Q = TypeVar("Q", bound=BaseModel)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MailboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: Annotated[
        int, Field(ge=0, le=2**62, description="Cursor of the last delivery seen; 0 = from the start")
    ] = 0
    limit: Annotated[int, Field(ge=1, le=1000, description="Most deliveries to return")] = 100


def parse_query(request: web.Request, model: type[Q]) -> Q:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise validation_problem(exc, prefix="query.") from None


# Long: the mailbox routes of one channel as closures over that channel,
# with their OpenAPI entries; one table, read top to bottom.
def add_mailbox_routes(app: web.Application, channel: ChannelName) -> None:
    prefix = CHANNELS[channel].url_prefix
    tag = channel.value

    async def pull(request: web.Request) -> web.Response:
        party = caller(request).require_party()
        query = parse_query(request, MailboxQuery)
        page = await request.app[NETWORK].mailbox_json(channel, party, after=query.after, limit=query.limit)
        return web.Response(body=page, content_type="application/json", charset="utf-8")

    async def ack(request: web.Request) -> web.Response:
        party = caller(request).require_party()
        body = await read_model(request, AckRequest)
        result = await request.app[NETWORK].ack(
            channel, party, request.match_info["delivery_id"], body.status
        )
        return json_response(result)

    async def ack_batch(request: web.Request) -> web.Response:
        party = caller(request).require_party()
        body = await read_model(request, BatchAckRequest)
        acks = await request.app[NETWORK].ack_many_json(channel, party, body.delivery_ids, body.status)
        return web.Response(body=acks, content_type="application/json", charset="utf-8")

    async def get_webhook(request: web.Request) -> web.Response:
        party = caller(request).require_party()
        url = request.app[NETWORK].webhooks.get((party, channel.value))
        return json_response(WebhookView(party=party, channel=channel, url=url))

    async def put_webhook(request: web.Request) -> web.Response:
        party = caller(request).require_party()
        body = await read_model(request, WebhookRegistration)
        network = request.app[NETWORK]
        host = urlsplit(body.url).hostname or ""
        if host not in _LOOPBACK and not network.allow_remote_webhooks:
            raise ProblemError(
                422,
                "Validation failed",
                f"url: {host!r} is not a loopback host; this network pushes "
                "only to 127.0.0.1 unless started with --allow-remote-webhooks",
                slug="validation",
                errors=[FieldError(field="url", rule="host must be loopback")],
            )
        await set_webhook(network, channel, party, body.url)
        return json_response(WebhookView(party=party, channel=channel, url=body.url))

    async def delete_webhook(request: web.Request) -> web.Response:
        party = caller(request).require_party()
        await set_webhook(request.app[NETWORK], channel, party, None)
        return json_response(WebhookView(party=party, channel=channel, url=None))

    lower = channel.value.lower()
    route(
        app,
        "GET",
        f"{prefix}/mailbox",
        pull,
        operation_id=f"{lower}_mailbox",
        tag=tag,
        channel=channel,
        summary="Pull unacknowledged deliveries of the calling party",
        query=MailboxQuery,
        responses={200: MailboxPage},
    )
    route(
        app,
        "POST",
        f"{prefix}/mailbox/{{delivery_id}}/ack",
        ack,
        operation_id=f"{lower}_ack",
        tag=tag,
        channel=channel,
        summary="Acknowledge a delivery (DELIVERED) or send a read receipt (READ)",
        request=AckRequest,
        responses={200: Ack},
    )
    route(app, "POST", f"{prefix}/mailbox/ack", ack_batch, operation_id=f"{lower}_ack_batch", tag=tag,
          channel=channel, summary="Acknowledge several deliveries at once (all or none)",
          request=BatchAckRequest, responses={200: BatchAck})
    route(
        app,
        "GET",
        f"{prefix}/webhook",
        get_webhook,
        operation_id=f"{lower}_webhook_get",
        tag=tag,
        channel=channel,
        summary="The calling party's push webhook",
        responses={200: WebhookView},
    )
    route(
        app,
        "PUT",
        f"{prefix}/webhook",
        put_webhook,
        operation_id=f"{lower}_webhook_put",
        tag=tag,
        channel=channel,
        summary="Register the push webhook of the calling party",
        request=WebhookRegistration,
        responses={200: WebhookView},
    )
    route(
        app,
        "DELETE",
        f"{prefix}/webhook",
        delete_webhook,
        operation_id=f"{lower}_webhook_delete",
        tag=tag,
        channel=channel,
        summary="Remove the push webhook of the calling party",
        responses={200: WebhookView},
    )
