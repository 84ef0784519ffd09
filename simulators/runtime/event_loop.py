"""The event loop of the long-running servers: uvloop when it is installed, asyncio's own otherwise.

uvloop runs aiohttp's transports, timers and callbacks in C; measured on the channel server, it
takes a fifth off the CPU per message (benchmarks/channel_throughput.py). Everything the servers
use of the loop (streams, subprocesses, signals, executors, thread-safe callbacks) behaves the same
on both. `SPOC_HARNESS_EVENT_LOOP=asyncio` picks asyncio's loop even when uvloop is there (to
compare the two, or to rule the loop out when looking for a fault).
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
