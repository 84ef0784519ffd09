"""Each injectable fault, set through the control API, per channel and party."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest


async def set_faults(net: Any, *faults: dict[str, Any]) -> None:
    answer = await net.call("PUT", "/control/faults", control=True, json_body={"faults": list(faults)})
    assert answer.status == 200, answer.body


async def register(net: Any, party: str, url: str) -> None:
    assert (await net.call("PUT", "/siena/webhook", party=party, json_body={"url": url})).status == 200


async def test_outage_503_hits_only_the_party_and_channel(net: Any) -> None:
    await set_faults(net, {"channel": "SIENA", "party": "SPOC-DE", "type": "outage",
                           "params": {"retry_after_seconds": 30}})
    down = await net.send("SPOC-DE")
    assert down.status == 503
    assert down.headers["Retry-After"] == "30"
    assert down.body["type"].endswith("/outage")
    assert (await net.send("SPOC-FR")).status == 201
    assert (await net.call("GET", "/control/traffic", control=True)).status == 200
    await net.call("DELETE", "/control/faults", control=True)
    assert (await net.send("SPOC-DE")).status == 201


async def test_outage_refuse_drops_the_connection(net: Any) -> None:
    await set_faults(net, {"party": "SPOC-DE", "type": "outage", "params": {"mode": "refuse"}})
    with pytest.raises(aiohttp.ClientError):
        await net.send("SPOC-DE")
    assert (await net.call("GET", "/control/traffic", control=True)).body["messages"] == []


async def test_outage_holds_pushes_until_it_ends(net: Any, receiver: Any) -> None:
    await register(net, "SPOC-AT", receiver.url)
    await set_faults(net, {"channel": "SIENA", "party": "SPOC-AT", "type": "outage"})
    await net.send("SPOC-DE")
    await asyncio.sleep(0.3)
    assert receiver.pushes == []
    await set_faults(net)
    await net.advance(1)
    await receiver.wait_for(1)


async def test_fixed_and_random_latency(net: Any) -> None:
    await set_faults(net, {"party": "SPOC-DE", "type": "latency", "params": {"ms": 300}})
    started = time.monotonic()
    assert (await net.send("SPOC-DE")).status == 201
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await net.send("SPOC-FR")
    assert time.monotonic() - started < 0.3
    await set_faults(net, {"type": "latency", "params": {"min_ms": 50, "max_ms": 120, "seed": 7}})
    for _ in range(3):
        started = time.monotonic()
        await net.call("GET", "/siena/mailbox", party="SPOC-AT")
        assert 0.05 <= time.monotonic() - started < 1.0


async def test_lost_ack_keeps_the_message_and_a_retry_finds_it(net: Any) -> None:
    await set_faults(net, {"channel": "SIENA", "party": "SPOC-DE", "type": "lost_ack"})
    lost = await net.send("SPOC-DE", idempotency_key="retry-me")
    assert lost.status == 503
    assert lost.body["type"].endswith("/lost-ack")
    traffic = (await net.call("GET", "/control/traffic", control=True)).body["messages"]
    assert len(traffic) == 1
    assert len((await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]) == 1
    await set_faults(net)
    retried = await net.send("SPOC-DE", idempotency_key="retry-me")
    assert retried.status == 200
    assert retried.body["message_id"] == traffic[0]["message_id"]


async def test_lost_ack_every_second_send_and_by_reset(net: Any) -> None:
    await set_faults(net, {"party": "SPOC-DE", "type": "lost_ack", "params": {"every": 2}})
    assert [(await net.send("SPOC-DE")).status for _ in range(4)] == [201, 503, 201, 503]
    await set_faults(net, {"party": "SPOC-DE", "type": "lost_ack", "params": {"mode": "reset"}})
    with pytest.raises(aiohttp.ClientError):
        await net.send("SPOC-DE")
    assert len((await net.call("GET", "/control/traffic", control=True)).body["messages"]) == 5


async def test_lost_ack_by_timeout(net: Any) -> None:
    await set_faults(net, {"party": "SPOC-DE", "type": "lost_ack", "params": {"mode": "timeout",
                                                                          "timeout_seconds": 5}})
    with pytest.raises((TimeoutError, aiohttp.ClientError)):
        async with net.session.post(net.url + "/siena/messages", json=net.message("SPOC-DE"),
                                    headers={"Authorization": f"Bearer {net.token('SPOC-DE')}"},
                                    timeout=aiohttp.ClientTimeout(total=0.5)) as response:
            await response.read()
    assert len((await net.call("GET", "/control/traffic", control=True)).body["messages"]) == 1


async def test_duplicate_deliveries_keep_their_id(net: Any, receiver: Any) -> None:
    await set_faults(net, {"party": "SPOC-AT", "type": "duplicate"}, {"party": "SPOC-FR", "type": "duplicate",
                                                                     "params": {"copies": 3}})
    await net.send("SPOC-DE", to=["SPOC-FR"])
    page = (await net.call("GET", "/siena/mailbox", party="SPOC-FR")).body["deliveries"]
    assert len(page) == 3
    assert len({d["delivery_id"] for d in page}) == 1
    await register(net, "SPOC-AT", receiver.url)
    await net.send("SPOC-DE", to=["SPOC-AT"])
    await receiver.wait_for(2)
    assert len({p["delivery_id"] for p in receiver.pushes}) == 1


async def test_reorder_in_the_mailbox_and_on_push(net: Any, receiver: Any) -> None:
    await set_faults(net, {"party": "SPOC-FR", "type": "reorder", "params": {"window": 2}},
                     {"party": "SPOC-AT", "type": "reorder", "params": {"window": 3, "hold_seconds": 5}})
    pulled = [(await net.send("SPOC-DE", to=["SPOC-FR"])).body["message_id"] for _ in range(4)]
    page = (await net.call("GET", "/siena/mailbox", party="SPOC-FR")).body["deliveries"]
    assert [d["message"]["message_id"] for d in page] == [pulled[1], pulled[0], pulled[3], pulled[2]]
    await register(net, "SPOC-AT", receiver.url)
    pushed = [(await net.send("SPOC-DE", to=["SPOC-AT"])).body["message_id"] for _ in range(3)]
    await receiver.wait_for(3)
    assert [p["message"]["message_id"] for p in receiver.pushes] == list(reversed(pushed))


async def test_slow_consumer_is_redelivered_with_the_same_id(net: Any, receiver: Any) -> None:
    await set_faults(net, {"party": "SPOC-AT", "type": "slow_consumer", "params": {"timeout_ms": 100}})
    receiver.delay = 0.4
    await register(net, "SPOC-AT", receiver.url)
    sent = (await net.send("SPOC-DE")).body
    await receiver.wait_for(1)
    for _ in range(100):  # the network gives up after 100 ms, while the consumer is still busy
        view = (await net.call("GET", f"/siena/messages/{sent['message_id']}", control=True)).body
        if view["acks"][0]["attempts"] == 1:
            break
        await asyncio.sleep(0.02)
    assert view["acks"][0]["status"] == "PENDING"
    assert view["acks"][0]["attempts"] == 1
    receiver.delay = 0
    await net.advance(1)
    await receiver.wait_for(2)
    assert len({p["delivery_id"] for p in receiver.pushes}) == 1


async def test_fault_validation_and_persistence(make_net: Any, tmp_path: Any) -> None:
    net = await make_net(tmp_path / "faults")
    bad = await net.call("PUT", "/control/faults", control=True,
                         json_body={"faults": [{"type": "latency", "params": {"ms": -1}}]})
    assert bad.status == 422, bad.body
    assert bad.fields == ["faults.0.params.ms"], bad.body
    unknown = await net.call("PUT", "/control/faults", control=True, json_body={"faults": [{"type": "gremlins"}]})
    assert unknown.status == 422
    assert unknown.fields == ["faults.0.type"]
    await set_faults(net, {"channel": "SIENA", "party": "spoc-de", "type": "outage"})
    await net.stop()
    again = await make_net(tmp_path / "faults")
    kept = (await again.call("GET", "/control/faults", control=True)).body["faults"]
    assert kept == [{"channel": "SIENA", "party": "SPOC-DE", "type": "outage", "params": {"mode": "503"}}]
    assert (await again.send("SPOC-DE")).status == 503
