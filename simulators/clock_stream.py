"""The network clock told, not polled: `GET /clock?after=T&wait=S` answers once network time passes T.

A CMS following a virtual clock that the harness moves in jumps needs to learn of each move at once.
Polling `GET /clock` every few milliseconds costs both sides CPU and still lags by the poll interval;
a long poll answers the moment the clock moves past the time the follower last saw (or after `wait`
real seconds with the unchanged time, so that a follower can tell the server is alive). Without
`after`, `GET /clock` answers at once, as it always has; `X-Network-Time` on every answer is unchanged.
When the server shuts down, every held poll is answered at once, so that stopping it never waits for them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from simulators.runtime.clock import Clock
from simulators.runtime.mailbox import parse_query

__all__ = ["CLOSING", "MAX_WAIT_SECONDS", "ClockWait", "read_clock_wait", "setup", "wait_for_move"]

MAX_WAIT_SECONDS = 5.0
CLOSING = web.AppKey("clock_stream_closing", asyncio.Event)
# The smallest step that counts as "later than `after`": network times are written to the microsecond.
_TICK = timedelta(microseconds=1)


class ClockWait(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: AwareDatetime | None = Field(
        default=None, description="Answer once the network time is later than this (the time last seen)"
    )
    wait: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = Field(
        default=2.0, description="Real seconds to hold the request at most when the clock has not moved past `after`"
    )


def read_clock_wait(request: web.Request) -> ClockWait:
    """The query of `GET /clock` (a 422 problem naming the field when it is malformed)."""
    return parse_query(request, ClockWait)


def setup(app: web.Application) -> None:
    """Answer the held polls when the server begins to shut down (before it waits for running handlers)."""
    closing = asyncio.Event()
    app[CLOSING] = closing

    async def close(_app: web.Application) -> None:
        closing.set()

    app.on_shutdown.append(close)


async def wait_for_move(clock: Clock, query: ClockWait, closing: asyncio.Event | None = None) -> None:
    """Return once the clock is later than `query.after`, after `query.wait` real seconds, or on `closing`."""
    if query.after is None or clock.now() > query.after or (closing is not None and closing.is_set()):
        return
    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(clock.sleep_until(query.after + _TICK))]
    if closing is not None:
        waits.append(asyncio.ensure_future(closing.wait()))
    try:
        await asyncio.wait(waits, timeout=query.wait, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
