"""The clock told, not polled: `GET /clock?after=` answers the moment the network clock moves past `after`."""

from __future__ import annotations

import asyncio
import time
from typing import Any


async def test_long_poll_answers_when_the_clock_moves_past_after(net: Any) -> None:
    now = (await net.call("GET", "/clock")).body["now"]
    began = time.monotonic()
    held = asyncio.ensure_future(net.call("GET", f"/clock?after={now}&wait=5"))
    await asyncio.sleep(0.1)
    assert not held.done()  # the clock has not moved: the poll is held
    await net.call("POST", "/control/clock", control=True, json_body={"advance_seconds": 3600})
    answer = await asyncio.wait_for(held, 2)
    assert answer.status == 200
    assert answer.body == {"now": "2026-03-02T11:00:00Z", "mode": "virtual"}
    assert time.monotonic() - began < 4  # told at the move, not at the end of the wait


async def test_long_poll_answers_at_once_when_the_clock_is_already_past_after(net: Any) -> None:
    answer = await net.call("GET", "/clock?after=2026-03-01T00:00:00Z&wait=5")
    assert answer.body["now"] == "2026-03-02T10:00:00Z"


async def test_long_poll_gives_the_unchanged_time_after_the_wait(net: Any) -> None:
    answer = await net.call("GET", "/clock?after=2026-03-02T10:00:00Z&wait=0.05")
    assert answer.status == 200
    assert answer.body["now"] == "2026-03-02T10:00:00Z"


async def test_malformed_long_poll_is_a_problem_naming_the_field(net: Any) -> None:
    naive = await net.call("GET", "/clock?after=2026-03-02T10:00:00")
    assert naive.status == 422
    assert naive.fields == ["query.after"]
    too_long = await net.call("GET", "/clock?after=2026-03-02T10:00:00Z&wait=600")
    assert too_long.status == 422
    assert too_long.fields == ["query.wait"]


async def test_shutting_down_answers_held_polls_at_once(net: Any) -> None:
    """A server stopping must not wait for its followers' polls (it would hold every campaign's end)."""
    assert net.server is not None
    held = asyncio.ensure_future(net.call("GET", "/clock?after=2026-03-02T10:00:00Z&wait=5"))
    await asyncio.sleep(0.1)
    began = time.monotonic()
    await net.server.close()
    assert time.monotonic() - began < 2
    answer = await asyncio.wait_for(held, 1)
    assert answer.body["now"] == "2026-03-02T10:00:00Z"
