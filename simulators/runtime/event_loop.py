"""The event loop of the long-running servers: uvloop when it is installed, asyncio's own otherwise.

uvloop runs aiohttp's transports, timers and callbacks in C. Measured with callgrind on SIENA
send + pull + ack (1,000 messages at 64 in flight, the count of instructions does not move with the
machine's load): the channel server's process went from 657k to 588k instructions per message
(-10%), the bare aiohttp endpoint of benchmarks/channel_throughput.py from 424k to 362k (-15%).
Everything the servers use of the loop (streams, subprocesses, signals, executors, thread-safe
callbacks) behaves the same on both; one difference shows: on running out of file descriptors,
libuv accepts and closes the connections it cannot keep, where asyncio retries and logs.
`SPOC_HARNESS_EVENT_LOOP=asyncio` picks asyncio's loop even when uvloop is there (to compare the
two, or to rule the loop out when looking for a fault).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["EVENT_LOOP_ENV", "loop_factory", "loop_name", "run"]

EVENT_LOOP_ENV = "SPOC_HARNESS_EVENT_LOOP"
T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for asyncio's default loop (uvloop missing, or not wanted)."""
    if os.environ.get(EVENT_LOOP_ENV, "").strip().lower() == "asyncio":
        return None
    try:
        # Optional: a server runs on asyncio's own loop where uvloop is not installed.
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name() -> str:
    """"uvloop" or "asyncio": which loop `run` takes here."""
    return "asyncio" if loop_factory() is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
