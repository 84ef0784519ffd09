"""`spoc-harness serve`: run the simulated channels and the control API on one port.

When ready it prints one line, `serving on <url> credentials=<path>`, which scripts parse. SIGINT
and SIGTERM stop it cleanly: the listener closes, requests in flight finish, the journal is
checkpointed and closed. A parent that sets `SPOC_HARNESS_LIFELINE_FD` (conformance/lifeline.py)
stops it the same way when it goes away, however it goes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import ssl
import sys
from datetime import datetime
from pathlib import Path

import click

__all__ = ["serve"]


def _parse_start(value: str | None) -> datetime | None:
    if value is None:
        return None
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.runtime.clock import LATEST_NETWORK_TIME, ensure_aware

    try:
        start = ensure_aware(datetime.fromisoformat(value.replace("Z", "+00:00")), "--start")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--start") from None
    if start >= LATEST_NETWORK_TIME:
        raise click.BadParameter(f"must be before {LATEST_NETWORK_TIME.isoformat()}", param_hint="--start")
    return start


async def _serve(
    host: str, port: int, config: object, tls: ssl.SSLContext | None, shutdown_timeout: float, limits: object
) -> None:
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from aiohttp import web

    from conformance.lifeline import watch_lifeline
    from simulators.app import CREDENTIALS_PATH, ServerConfig, build_app
    from simulators.runtime.connections import ConnectionLimits, protect
    from simulators.runtime.store import JournalOpenError

    assert isinstance(config, ServerConfig)
    assert isinstance(limits, ConnectionLimits)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Before the journal writer starts: it must not inherit the lifeline's variable. A parent gone
    # during start-up stops the server as soon as it is up.
    watch_lifeline(loop, stop.set)
    try:
        app = await build_app(config)
    except JournalOpenError as exc:  # another layout, or another server on the same data directory
        raise click.ClickException(str(exc)) from None
    # A long-running server with a large, stable heap after start-up: move that heap out of the
    # collector's way and collect the young generation less often (measured: ~10% less CPU a send).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=shutdown_timeout, access_log=None,
                           keepalive_timeout=limits.idle_seconds)
    await runner.setup()
    protect(runner.server, limits)
    site = web.TCPSite(runner, host, port, ssl_context=tls, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bound = runner.addresses
    real_port = int(bound[0][1]) if bound else port
    scheme = "https" if tls else "http"
    shown_host = f"[{host}]" if ":" in host else host
    try:
        click.echo(f"serving on {scheme}://{shown_host}:{real_port} credentials={app[CREDENTIALS_PATH]}", nl=True)
        sys.stdout.flush()
    except BrokenPipeError:  # whoever waited for that line is gone (e.g. a parent killed during start-up)
        stop.set()
    try:
        await stop.wait()
    finally:
        click.echo("stopping: finishing requests in flight and closing the journal", err=True)
        await runner.cleanup()
        click.echo("stopped", err=True)


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it loopback)."
)
@click.option(
    "--port",
    default=8700,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port; 0 picks a free one (the line printed when ready shows it).",
)
@click.option(
    "--data",
    "data_dir",
    default=".spoc-network",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the journal and credentials.json (created if missing, kept across restarts).",
)
@click.option(
    "--clock",
    "clock_mode",
    type=click.Choice(["system", "virtual", "scaled"]),
    default="system",
    show_default=True,
    help="virtual: the control API sets and advances the network time; scaled: network time runs at "
    "--speed times wall time (load tests), still movable by the control API.",
)
@click.option(
    "--start",
    help="Virtual clock start, ISO 8601 with offset (default: now, or where a restarted journal stood).",
)
@click.option(
    "--rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1e6),
    help="Virtual clock speed relative to real time between moves (0: frozen).",
)
@click.option(
    "--speed",
    default=600.0,
    show_default=True,
    type=click.FloatRange(0.001, 1e6),
    help="Scaled clock only: network seconds per wall second (600: an 8-hour limit passes in 48 s).",
)
@click.option(
    "--channels",
    default="siena,sirene,interpol",
    show_default=True,
    help="Comma-separated channels to serve, e.g. 'siena' for SIENA alone.",
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--max-body",
    default=2 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body accepted, in bytes (larger: 413).",
)
@click.option("--allow-remote-webhooks", is_flag=True, help="Push to non-loopback webhook hosts too.")
@click.option(
    "--allow-broken-journal",
    is_flag=True,
    help="Serve a journal that fails verification at start-up (to inspect it); refused otherwise.",
)
@click.option(
    "--refusal-limit",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Refused requests journaled one by one per caller and minute; beyond, the burst is journaled "
    "once and further refusals answer 429.",
)
@click.option(
    "--head-timeout",
    default=15.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a new connection gets to send its first request head; then it is closed.",
)
@click.option(
    "--body-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a request gets to send the rest of its body; then 408.",
)
@click.option(
    "--idle-timeout",
    default=75.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a kept-alive connection may stay idle, or hold an unfinished head, between requests.",
)
@click.option(
    "--max-connections",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Connections open at once; beyond, 503 and close (0: half the file limit, at most 1000).",
)
@click.option(
    "--shutdown-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds requests in flight get to finish on shutdown.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def serve(
    host: str,
    port: int,
    data_dir: Path,
    clock_mode: str,
    start: str | None,
    rate: float,
    speed: float,
    channels: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    max_body: int,
    allow_remote_webhooks: bool,
    allow_broken_journal: bool,
    refusal_limit: int,
    head_timeout: float,
    body_timeout: float,
    idle_timeout: float,
    max_connections: int,
    shutdown_timeout: float,
    verbose: bool,
) -> None:
    """Start the simulated SIENA, SIRENE and Interpol I-24/7 channels."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.app import ServerConfig
    from simulators.model.channels import served_channels
    from simulators.runtime.connections import ConnectionLimits
    from simulators.runtime.event_loop import run  # on uvloop where it is installed: less CPU per message

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("give both --tls-cert and --tls-key, or neither")
    tls: ssl.SSLContext | None = None
    if tls_cert is not None and tls_key is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(tls_cert, tls_key)
    wanted = [c.strip().lower() for c in channels.split(",") if c.strip()]
    served = [spec.key for spec in served_channels()]
    unknown = [c for c in wanted if c not in served]
    if unknown or not wanted:
        raise click.BadParameter(f"choose from {', '.join(served)}", param_hint="--channels")
    config = ServerConfig(
        data=data_dir,
        clock="virtual" if clock_mode == "virtual" else "scaled" if clock_mode == "scaled" else "system",
        start=_parse_start(start),
        rate=rate,
        speed=speed,
        channels=tuple(wanted),
        max_body_bytes=max_body,
        allow_remote_webhooks=allow_remote_webhooks,
        refusal_limit=refusal_limit,
        allow_broken_journal=allow_broken_journal,
        body_read_seconds=body_timeout,
    )
    limits = ConnectionLimits(head_seconds=head_timeout, idle_seconds=idle_timeout,
                              max_connections=max_connections)
    run(_serve(host, port, config, tls, shutdown_timeout, limits))
