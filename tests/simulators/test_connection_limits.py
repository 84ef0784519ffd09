"""Unfinished requests and connection floods, with real sockets on loopback.

A connection holding half a request line once stayed open for good; enough of them exhausted the
file limit, every other client timed out, and the log grew by a traceback per refused accept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simulators.runtime.connections import ConnectionLimits, OncePerInterval, protect
from simulators.runtime.event_loop import EVENT_LOOP_ENV
from tests.simulators.conftest import Net

HALF_A_REQUEST = b"GET /healthz HTT"


async def guarded(make_net: Any, **limits: Any) -> Net:
    net: Net = await make_net(body_read_seconds=0.5)
    assert net.server is not None
    assert net.server.runner is not None
    protect(net.server.runner.server, ConnectionLimits(**limits))
    return net


async def hold_half_a_request(net: Net) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = net.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(HALF_A_REQUEST)
    await writer.drain()
    return reader, writer


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server wrote before closing the connection (it must close it within `seconds`)."""
    return await asyncio.wait_for(reader.read(), seconds)


async def test_a_connection_holding_half_a_request_is_closed_after_the_head_timeout(make_net: Any) -> None:
    net = await guarded(make_net, head_seconds=0.5, max_connections=50)
    held = [await hold_half_a_request(net) for _ in range(5)]
    # Meanwhile, everybody else is served.
    assert (await net.call("GET", "/healthz")).status == 200
    for reader, writer in held:
        assert await closed_within(reader, 5.0) == b""
        writer.close()


async def test_beyond_the_cap_a_connection_gets_a_503_problem_and_the_refusals_are_logged_once(
    make_net: Any, caplog: pytest.LogCaptureFixture
) -> None:
    net = await guarded(make_net, head_seconds=1.0, max_connections=8)
    caplog.set_level(logging.WARNING, logger="simulators.connections")
    await net.session.close()  # its pooled connection would count against the cap
    held = [await hold_half_a_request(net) for _ in range(8)]
    host, port = net.url.removeprefix("http://").split(":")
    # (They send nothing: data still arriving when the server closes a refused connection makes the
    # kernel answer with a reset, which may overtake the 503. Either way the connection is refused.)
    refused = [await asyncio.open_connection(host, int(port)) for _ in range(6)]
    for reader, writer in refused:
        answer = await closed_within(reader, 2.0)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"application/problem+json" in answer
        writer.close()
    cap_logs = [r for r in caplog.records if "connection cap" in r.getMessage()]
    assert len(cap_logs) == 1
    for reader, writer in held:  # the head timeout frees the held ones, and the server serves again
        await closed_within(reader, 5.0)
        writer.close()
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(net.url + "/healthz") as answer:
        assert answer.status == 200


async def test_a_body_that_stops_half_way_is_a_408_problem(make_net: Any) -> None:
    net = await guarded(make_net, head_seconds=5.0)
    host, port = net.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (f"POST /siena/messages HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {net.token('SPOC-DE')}\r\n"
            "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n")
    writer.write(head.encode() + b'{"sender": "SPOC-DE", ')
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 5.0)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"application/problem+json" in answer
    writer.close()
    assert net.network.accepting.message_numbers.get("SIENA", 0) == 0


def test_a_repeated_resource_error_is_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("asyncio.test-once")
    once = OncePerInterval("out of system resource", interval_seconds=60)
    log.addFilter(once)
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio.test-once"):
            for _ in range(2000):
                log.error("socket.accept() out of system resource", exc_info=OSError(24, "Too many open files"))
            log.error("something else")
    finally:
        log.removeFilter(once)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["socket.accept() out of system resource", "something else"]
    assert caplog.records[0].exc_info is None


def _serve_with_file_limit(data: Path, limit: int, *extra: str, loop: str = "") -> subprocess.Popen[str]:
    """`serve` with a file limit of `limit`; `loop`: the event loop it must take ("": its own choice)."""
    def lower_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    environment = {**os.environ, EVENT_LOOP_ENV: loop} if loop else None
    return subprocess.Popen(
        [sys.executable, "-c", "from conformance.cli import main; main()", "serve", "--port", "0", "--data",
         str(data), "--clock", "virtual", "--start", "2026-03-02T10:00:00Z", "--head-timeout", "30", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=lower_limit, env=environment)


async def _flood(url: str, count: int) -> list[asyncio.StreamWriter]:
    host, port = url.removeprefix("http://").split(":")
    held = []
    for _ in range(count):
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2.0)
        except (OSError, TimeoutError):
            continue
        writer.write(HALF_A_REQUEST)
        held.append(writer)
    await asyncio.sleep(1.5)  # the server's accept loop retries every second once out of descriptors
    return held


@pytest.mark.parametrize(("cap", "logged"), [("1000", "out of system resource"), ("0", "connection cap")])
async def test_a_flood_beyond_the_file_limit_is_logged_once(tmp_path: Path, cap: str, logged: str) -> None:
    """With the cap above the file limit, accept() runs out of descriptors; with the default cap, it never
    does and the cap answers. Either way the condition is logged once, not once per connection.

    The cap above the file limit runs on asyncio's loop: it is asyncio that retries accept() and logs
    the error (uvloop's case is the next test)."""
    process = _serve_with_file_limit(tmp_path / "net", 64, "--max-connections", cap,
                                     loop="asyncio" if cap == "1000" else "")
    held: list[asyncio.StreamWriter] = []
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        held = await _flood(url, 150)
        held += await _flood(url, 50)
    finally:
        for writer in held:
            writer.close()
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=30)
    assert errors.count(logged) == 1, errors[-3000:]
    assert errors.count("Too many open files") <= 1, errors[-3000:]
    if cap == "0":  # the cap keeps descriptors in hand: no error at all beyond the one line
        assert "Traceback" not in errors, errors[-3000:]


async def test_on_uvloop_a_flood_beyond_the_file_limit_leaves_the_server_serving_and_the_log_quiet(
    tmp_path: Path,
) -> None:
    """uvloop (libuv) sheds the connections it has no descriptor for at once, accepting and closing them,
    instead of retrying accept() and logging: nothing is logged for them, and once the flood is over the
    server answers again."""
    pytest.importorskip("uvloop")
    process = _serve_with_file_limit(tmp_path / "net", 64, "--max-connections", "1000", loop="uvloop")
    held: list[asyncio.StreamWriter] = []
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        held = await _flood(url, 150)
        for writer in held:
            writer.close()
        held = []
        await asyncio.sleep(0.5)  # the server sees the held connections close
        async with aiohttp.ClientSession() as http, http.get(
            url + "/healthz", timeout=aiohttp.ClientTimeout(total=10)
        ) as answer:
            assert answer.status == 200
    finally:
        for writer in held:
            writer.close()
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=30)
    assert "Too many open files" not in errors, errors[-3000:]
    assert "Traceback" not in errors, errors[-3000:]
