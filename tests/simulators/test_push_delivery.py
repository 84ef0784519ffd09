"""Push delivery: at-least-once, stable delivery ids, retries on the network clock, resumed after restart."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from simulators.runtime.delivery import backoff_seconds


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def register(net: Any, party: str, url: str) -> None:
    answer = await net.call("PUT", "/siena/webhook", party=party, json_body={"url": url})
    assert answer.status == 200, answer.body


async def test_push_reaches_the_webhook_and_acknowledges(net: Any, receiver: Any) -> None:
    await register(net, "SPOC-AT", receiver.url)
    sent = (await net.send("SPOC-DE")).body
    await receiver.wait_for(1)
    (push,) = receiver.pushes
    assert push["channel"] == "SIENA"
    assert push["message"] == sent
    assert receiver.headers == [push["delivery_id"]]
    for _ in range(50):
        view = (await net.call("GET", f"/siena/messages/{sent['message_id']}", party="SPOC-DE")).body
        if view["acks"][0]["status"] == "DELIVERED":
            break
        await asyncio.sleep(0.02)
    assert view["acks"][0]["status"] == "DELIVERED"
    assert view["acks"][0]["attempts"] == 1
    assert (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"] == []


async def test_a_push_carries_the_network_time_it_leaves_at(net: Any, receiver: Any) -> None:
    """So that a CMS following the network clock need not read it per push (simulators/runtime/delivery.py)."""
    await register(net, "SPOC-AT", receiver.url)
    await net.send("SPOC-DE")
    await receiver.wait_for(1)
    now = (await net.call("GET", "/clock")).body["now"]
    await net.advance(3600)
    await net.send("SPOC-DE")
    await receiver.wait_for(2)
    later = (await net.call("GET", "/clock")).body["now"]
    # The clock is frozen between the moves: each push says the network time exactly.
    assert [moment(t) for t in receiver.network_times] == [moment(now), moment(later)]


async def test_registering_pushes_what_waits_in_the_mailbox_in_order(net: Any, receiver: Any) -> None:
    ids = [(await net.send("SPOC-DE")).body["message_id"] for _ in range(3)]
    await register(net, "SPOC-AT", receiver.url)
    await receiver.wait_for(3)
    assert [p["message"]["message_id"] for p in receiver.pushes] == ids


async def test_retry_follows_the_network_clock_with_the_same_delivery_id(net: Any, receiver: Any) -> None:
    receiver.status = 503
    await register(net, "SPOC-AT", receiver.url)
    first = (await net.send("SPOC-DE")).body
    second = (await net.send("SPOC-DE")).body
    await receiver.wait_for(1)
    await asyncio.sleep(0.2)
    # The clock is frozen: no retry happens until network time passes, and the second message waits
    # behind the first so that the recipient still sees them in order.
    assert len(receiver.pushes) == 1
    await net.advance(backoff_seconds(1) - 0.5)
    await asyncio.sleep(0.2)
    assert len(receiver.pushes) == 1
    await net.advance(0.5)
    await receiver.wait_for(2)
    receiver.status = 200  # the consumer comes back
    await net.advance(backoff_seconds(2))
    await receiver.wait_for(2, accepted=True)
    accepted = receiver.accepted()
    assert [p["message"]["message_id"] for p in accepted] == [first["message_id"], second["message_id"]]
    first_ids = {p["delivery_id"] for p in receiver.pushes if p["message"]["message_id"] == first["message_id"]}
    assert len(first_ids) == 1
    failures = [m for m in (await net.call("GET", f"/siena/messages/{first['message_id']}", control=True)).body["acks"]]
    assert failures[0]["attempts"] == 3


def test_backoff_is_deterministic_and_capped() -> None:
    assert [backoff_seconds(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert backoff_seconds(40) == 300


async def test_pending_pushes_resume_after_a_restart(make_net: Any, receiver: Any, tmp_path: Any) -> None:
    first = await make_net(tmp_path / "resume")
    receiver.status = 500
    await register(first, "SPOC-AT", receiver.url)
    sent = (await first.send("SPOC-DE")).body
    await receiver.wait_for(1)
    await first.stop()
    receiver.status = 200
    second = await make_net(tmp_path / "resume")
    await second.advance(backoff_seconds(1))
    await receiver.wait_for(1, accepted=True)
    assert receiver.accepted()[0]["message"]["message_id"] == sent["message_id"]
    assert {p["delivery_id"] for p in receiver.pushes} == {receiver.pushes[0]["delivery_id"]}


async def test_removing_the_webhook_leaves_mail_in_the_mailbox(net: Any, receiver: Any) -> None:
    receiver.status = 503
    await register(net, "SPOC-AT", receiver.url)
    await net.send("SPOC-DE")
    await receiver.wait_for(1)
    removed = await net.call("DELETE", "/siena/webhook", party="SPOC-AT")
    assert removed.body["url"] is None
    await net.advance(600)
    await asyncio.sleep(0.2)
    assert len(receiver.pushes) == 1
    assert len((await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]) == 1


async def test_webhook_hosts_are_loopback_only(net: Any) -> None:
    remote = await net.call("PUT", "/siena/webhook", party="SPOC-AT", json_body={"url": "http://example.org/x"})
    assert remote.status == 422
    assert remote.fields == ["url"]
    broken = await net.call("PUT", "/siena/webhook", party="SPOC-AT", json_body={"url": "http://[::1/x"})
    assert broken.status == 422
    assert broken.fields == ["url"]
    shown = await net.call("GET", "/siena/webhook", party="SPOC-AT")
    assert shown.body == {"party": "SPOC-AT", "channel": "SIENA", "url": None}


async def test_a_push_answered_after_a_read_receipt_leaves_it_read(net: Any, receiver: Any) -> None:
    receiver.delay = 0.5  # the consumer takes its time to answer the push
    await register(net, "SPOC-AT", receiver.url)
    sent = (await net.send("SPOC-DE")).body
    await receiver.wait_for(1)
    delivery_id = receiver.pushes[0]["delivery_id"]
    # Meanwhile the recipient sends its read receipt by the mailbox route.
    read = await net.call("POST", f"/siena/mailbox/{delivery_id}/ack", party="SPOC-AT", json_body={"status": "READ"})
    assert read.body["status"] == "READ"
    for _ in range(100):  # then the push is answered with a 2xx
        view = (await net.call("GET", f"/siena/messages/{sent['message_id']}", party="SPOC-DE")).body
        if view["acks"][0]["attempts"] == 1:
            break
        await asyncio.sleep(0.02)
    assert view["acks"][0]["attempts"] == 1
    assert (view["acks"][0]["status"], view["acks"][0]["read_at"]) == ("READ", "2026-03-02T10:00:00Z")


async def test_a_redirect_is_a_failed_delivery_and_is_not_followed(net: Any, receiver: Any) -> None:
    """A webhook answering 307 would send the whole message to a host `PUT .../webhook` never checked."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(receiver.url)

    app = web.Application()
    app.router.add_post("/moved", redirect)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        await register(net, "SPOC-AT", str(server.make_url("/moved")))
        sent = (await net.send("SPOC-DE")).body
        for _ in range(100):
            view = (await net.call("GET", f"/siena/messages/{sent['message_id']}", party="SPOC-DE")).body
            if view["acks"][0]["attempts"] >= 1:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert receiver.pushes == []
        assert view["acks"][0]["status"] == "PENDING"
        assert view["acks"][0]["attempts"] >= 1
        # Still in the mailbox: a failed push loses nothing.
        assert len((await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]) == 1
    finally:
        await server.close()
