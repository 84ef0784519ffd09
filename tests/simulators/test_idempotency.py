"""Idempotency-Key: a repeated send returns the original message, never a second one."""

from __future__ import annotations

import asyncio
from typing import Any


async def test_same_key_returns_the_original(net: Any) -> None:
    first = await net.send("SPOC-DE", idempotency_key="k-1")
    await net.advance(5)
    again = await net.send("SPOC-DE", idempotency_key="k-1")
    assert (first.status, again.status) == (201, 200)
    assert again.body == first.body  # same id, same case, same (original) time
    traffic = (await net.call("GET", "/control/traffic", control=True)).body["messages"]
    assert len(traffic) == 1
    assert len((await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]) == 1


async def test_same_key_with_another_message_is_a_conflict(net: Any) -> None:
    await net.send("SPOC-DE", idempotency_key="k-2")
    clash = await net.send("SPOC-DE", idempotency_key="k-2", subject="Something else")
    assert clash.status == 409
    assert clash.fields == ["Idempotency-Key"]


async def test_keys_belong_to_their_party(net: Any) -> None:
    a = await net.send("SPOC-DE", idempotency_key="shared", to=["SPOC-FR"])
    b = await net.send("SPOC-AT", idempotency_key="shared", to=["SPOC-FR"])
    assert (a.status, b.status) == (201, 201)
    assert a.body["message_id"] != b.body["message_id"]


async def test_concurrent_sends_with_one_key_make_one_message(net: Any) -> None:
    answers = await asyncio.gather(*(net.send("SPOC-DE", idempotency_key="race") for _ in range(10)))
    assert sorted(a.status for a in answers) == [200] * 9 + [201]
    assert len({a.body["message_id"] for a in answers}) == 1
    assert len((await net.call("GET", "/control/traffic", control=True)).body["messages"]) == 1


async def test_keys_survive_a_restart(make_net: Any, tmp_path: Any) -> None:
    first = await make_net(tmp_path / "keys")
    sent = await first.send("SPOC-DE", idempotency_key="durable")
    await first.stop()
    second = await make_net(tmp_path / "keys")
    again = await second.send("SPOC-DE", idempotency_key="durable")
    assert again.status == 200
    assert again.body["message_id"] == sent.body["message_id"]


async def test_bad_key_is_refused(net: Any) -> None:
    long_key = await net.send("SPOC-DE", idempotency_key="x" * 201)
    assert long_key.status == 400
    assert long_key.fields == ["Idempotency-Key"]
