"""Limits on the network server's connections: a head read timeout, a connection cap, quiet logs.

aiohttp waits for a request's head as long as a client cares to hold it: a connection holding half a
request line stays open, and 1,100 of them exhaust a 1,024 file limit, after which every other client
times out and asyncio logs "Too many open files" once per attempt. `protect(server, limits)` wraps
the connection bookkeeping of the runner's `web.Server`:

- each new connection must deliver its first request head within `head_seconds`, or is closed
  (later heads on a kept-alive connection: aiohttp's `keepalive_timeout`, which closes a connection
  idle or holding an unfinished head once it runs out; `serve` sets it to `idle_seconds`);
- beyond `max_connections` open at once, a new connection gets a 503 problem and is closed at once
  (0: half the process's file limit, at most 1,000);
- those refusals, and asyncio's "out of system resource" accept errors, are logged once per
  `log_interval_seconds` with a count, not once per connection. (On uvloop, `serve`'s loop where it
  is installed, libuv accepts and closes at once what it has no descriptor for, and logs nothing.)

The body's own read timeout (`ServerConfig.body_read_seconds`) is applied where handlers read it
(`simulators.runtime.problems`), and only when the body has not arrived with the head.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

__all__ = ["ConnectionGuard", "ConnectionLimits", "OncePerInterval", "protect"]

_log = logging.getLogger("simulators.connections")
_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nConnection: close\r\n"
    b"Retry-After: 1\r\nContent-Length: %d\r\n\r\n%s"
)
_REFUSAL_BODY = (
    b'{"type":"https://spoc-harness.invalid/problems/too-many-connections","title":"Too many connections",'
    b'"status":503,"detail":"the server holds as many connections as it accepts; retry shortly"}'
)


@dataclass(frozen=True)
class ConnectionLimits:
    head_seconds: float = 15.0
    idle_seconds: float = 75.0
    max_connections: int = 0  # 0: from the file limit (`effective_max_connections`)
    log_interval_seconds: float = 60.0

    def effective_max_connections(self) -> int:
        if self.max_connections > 0:
            return self.max_connections
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return 1000
        # Half the descriptors for connections: the journal, its writer's socket, pushes and the
        # log need the rest.
        return max(16, min(1000, soft // 2))


class OncePerInterval(logging.Filter):
    """Lets a matching record through once per interval; the next one says how many were held back."""

    def __init__(self, match: str, interval_seconds: float) -> None:
        super().__init__()
        self.match = match
        self.interval_seconds = interval_seconds
        self._last = -float("inf")
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if self.match not in record.getMessage():
            return True
        now = time.monotonic()
        if now - self._last < self.interval_seconds:
            self._held += 1
            return False
        if self._held:
            record.msg = f"{record.msg} ({self._held} more like it in the last {self.interval_seconds:g} s)"
        self._last, self._held = now, 0
        record.exc_info = None  # the same condition each time: its traceback says nothing new
        return True


class ConnectionGuard:
    """The state `protect` installs: open connections, their head timers, refusals."""

    def __init__(self, server: web.Server, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.max_connections = limits.effective_max_connections()
        self.open = 0
        self.refused = 0
        self._refused_logged = 0
        self._last_log = -float("inf")
        self._timers: dict[RequestHandler, asyncio.TimerHandle] = {}
        self._made = server.connection_made
        self._lost = server.connection_lost

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        self._made(handler, transport)
        self.open += 1
        if self.open > self.max_connections:
            self.refused += 1
            self._log_refusals()
            # (Its reading goes on: a socket closed with unread data answers with a reset, and the
            # client would lose this answer.)
            transport.write(_REFUSAL % (len(_REFUSAL_BODY), _REFUSAL_BODY))
            # Closed once the handler's task has started (it starts after this call returns, and
            # expects its connection until then): two turns of the loop later.
            loop = asyncio.get_running_loop()
            loop.call_soon(loop.call_soon, handler.force_close)
            return
        loop = asyncio.get_running_loop()
        self._timers[handler] = loop.call_later(self.limits.head_seconds, self._head_due, handler, transport)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        timer = self._timers.pop(handler, None)
        if timer is not None:
            timer.cancel()
        self.open -= 1
        self._lost(handler, exc)

    def _head_due(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        self._timers.pop(handler, None)
        # No request head parsed yet on this connection (aiohttp counts the heads it parsed).
        if getattr(handler, "_request_count", 1) == 0:
            transport.close()

    def _log_refusals(self) -> None:
        now = time.monotonic()
        if now - self._last_log >= self.limits.log_interval_seconds:
            _log.warning("connection cap of %d reached: refused %d connections (503) since the last report",
                         self.max_connections, self.refused - self._refused_logged)
            self._last_log, self._refused_logged = now, self.refused


def protect(server: Any, limits: ConnectionLimits) -> ConnectionGuard:
    """Install the limits on a runner's `web.Server` (after `runner.setup()`, before the site starts)."""
    assert isinstance(server, web.Server)
    guard = ConnectionGuard(server, limits)
    # The request handlers call their manager's methods: instance attributes take precedence.
    server.connection_made = guard.connection_made  # type: ignore[method-assign]
    server.connection_lost = guard.connection_lost  # type: ignore[method-assign]
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, OncePerInterval) for f in asyncio_log.filters):
        # asyncio logs each accept() that fails for lack of descriptors, with a traceback.
        asyncio_log.addFilter(OncePerInterval("out of system resource", limits.log_interval_seconds))
    return guard
