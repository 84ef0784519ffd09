"""`spoc-harness cms`: run the reference SPOC CMS of one state against the channel simulators.

When ready it prints `serving on http://HOST:PORT` (scripts parse that line). SIGINT and SIGTERM
stop it cleanly (webhooks removed, store closed). A parent that sets `SPOC_HARNESS_LIFELINE_FD`
(conformance/lifeline.py) stops it the same way when it goes away, however it goes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from simulators.reference_cms.app import CmsOptions

__all__ = ["cms"]


async def _run_until_stopped(installations: list[CmsOptions], announce: Callable[[str], None]) -> None:
    """`run_installations`, also stopped when the parent's lifeline closes, by the SIGTERM path itself."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from conformance.lifeline import watch_lifeline
    from simulators.reference_cms.app import run_installations

    # `run_installations` installs its SIGTERM handler before its first await, so in this same step of the
    # loop: the lifeline's callback, which runs in a later step, always finds it in place.
    watch_lifeline(asyncio.get_running_loop(), lambda: signal.raise_signal(signal.SIGTERM))
    await run_installations(installations, lambda served: announce(_serving_line(served)))


def _tune_collector() -> None:
    """A long-running server with a large, stable heap once it serves: that heap moved out of the collector's way,
    and the young generation collected less often (every step of a case makes and drops many objects)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _serving_line(served: list[tuple[str, str]]) -> str:
    """`serving on URL` (one state), or `serving on URL (AT), URL (BE), ...`: the first URL first either way."""
    if len(served) == 1:
        return f"serving on {served[0][1]}"
    return "serving on " + ", ".join(f"{url} ({code})" for code, url in served)


def _states(values: tuple[str, ...]) -> list[str]:
    """`--state AT --state DE`, `--state AT,DE` or `--state all` (every state taking part) -> ISO codes."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.model.parties import UnknownStateError, member_states, normalise_state_code
    from simulators.model.parties import state as state_of

    codes: list[str] = []
    for value in (v.strip() for given in values for v in given.split(",") if v.strip()):
        if value.lower() == "all":
            codes += [s.code for s in member_states(bound_only=True)]
            continue
        try:
            code = normalise_state_code(value)
        except UnknownStateError as exc:
            raise click.BadParameter(str(exc), param_hint="--state") from None
        if not state_of(code).takes_part:
            raise click.BadParameter(f"{code} is a third country: it has no SPOC", param_hint="--state")
        codes.append(code)
    if not codes:
        raise click.BadParameter("name at least one state", param_hint="--state")
    return list(dict.fromkeys(codes))


def _defects_by_state(given: tuple[str, ...], codes: list[str], known: set[str]) -> dict[str, list[str]]:
    """`--defect NAME` for every installation, `--defect NAME@STATE` for that state's only -> defects per state."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.model.parties import UnknownStateError, normalise_state_code

    found: dict[str, list[str]] = {code: [] for code in codes}
    unknown: list[str] = []
    for value in given:
        name, _, where = value.partition("@")
        if name not in known:
            unknown.append(name)
            continue
        if not where:
            for names in found.values():
                names.append(name)
            continue
        try:
            code = normalise_state_code(where)
        except UnknownStateError as exc:
            raise click.BadParameter(str(exc), param_hint="--defect") from None
        if code not in found:
            raise click.BadParameter(f"{value}: {code} is not one of this process's states ({', '.join(codes)})",
                                     param_hint="--defect")
        found[code].append(name)
    if unknown:
        raise click.BadParameter(f"unknown defect(s) {', '.join(unknown)}; see `spoc-harness defects`",
                                 param_hint="--defect")
    return {code: list(dict.fromkeys(names)) for code, names in found.items()}


@click.command()
@click.option("--state", "states", required=True, multiple=True,
              help="The member state whose SPOC this CMS serves (ISO code, e.g. AT). Repeat it, or give AT,DE or "
                   "'all', for one installation per state in this one process, each on its own port.")
@click.option("--channels", "channels_url", default="http://127.0.0.1:8700", show_default=True,
              help="Base URL of the channel simulators (`spoc-harness serve`).")
@click.option("--credentials", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="credentials.json written by `spoc-harness serve`; only the state's own party tokens are used.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it loopback).")
@click.option("--port", default=8800, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one (the line printed when ready shows it). With several states, the "
                   "first state's port, the next ones counting up (0: a free one each).")
@click.option("--data", "data_dir", default=".spoc-cms", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory of the CMS's SQLite store (created if missing, kept across restarts).")
@click.option("--defect", "defects", multiple=True, metavar="NAME[@STATE]",
              help="Switch on a named defect (repeatable); `spoc-harness defects` lists them. NAME@STATE: only in "
                   "that state's installation (with several states in one process).")
@click.option("--follow-network-clock", is_flag=True,
              help="Take the time from the channels' network clock from the start (else: PUT /sut/v1/clock).")
@click.option("--processing-direct-minutes", default=30.0, show_default=True, type=click.FloatRange(0, 10_000),
              help="Network minutes the operator needs to answer with directly available information.")
@click.option("--processing-indirect-hours", default=24.0, show_default=True, type=click.FloatRange(0, 1_000),
              help="Network hours the operator needs when information is only indirectly available.")
@click.option("--judicial-update-hours", default=24.0, show_default=True, type=click.FloatRange(0.1, 1_000),
              help="Interval of the delay-notice updates while judicial authorisation is pending (Art 5(2)).")
@click.option("--retention-review-days", default=182, show_default=True, type=click.IntRange(1, 3650),
              help="Days after an exchange concludes until its first retention review (Art 16(4), unverified: "
                   "'no later than 6 months').")
@click.option("--deadline-mode", type=click.Choice(["elapsed", "reg1182"]), default="elapsed", show_default=True,
              help="How calendar days are counted (reg1182 is an unverified reading).")
@click.option("--clock-poll-ms", default=25.0, show_default=True, type=click.FloatRange(5, 1000),
              help="How often the network clock is polled while following it.")
@click.option("--sut-token", envvar="SPOC_SUT_TOKEN", show_envvar=True,
              help="Require 'Authorization: Bearer TOKEN' on every SUT interface call (give the harness the same "
                   "token: `run --sut-token`). Prefer the environment variable: a command line is visible to all.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name callers may address this CMS by, besides loopback and --host (repeatable); any "
                   "other Host header is refused, against DNS rebinding.")
@click.option("--receipt-time-from", "receipt_time_from", type=click.Choice(["push", "clock"]), default="push",
              show_default=True,
              help="Following the network clock, where a pushed delivery's receipt time comes from: the push's "
                   "X-Network-Time header, or a fresh read of the network clock per push (a round trip each; "
                   "benchmarks/cms_cpu.py measures one against the other).")
@click.option("--sweep-seconds", default=2.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Real seconds between two pulls of every own mailbox (the safety net under push delivery).")
@click.option("--allow-restart", is_flag=True,
              help="Reference only (the kill matrix): answer POST /sut/reference/restart {\"defects\": [...]}, "
                   "which deletes the store and restarts the CMS in place with those defects. No part of the vendor "
                   "contract.")
@click.option("-v", "--verbose", count=True, help="More logging on stderr.")
def cms(states: tuple[str, ...], channels_url: str, credentials: Path, host: str, port: int, data_dir: Path,
        defects: tuple[str, ...], follow_network_clock: bool, processing_direct_minutes: float,
        processing_indirect_hours: float, judicial_update_hours: float, retention_review_days: int,
        deadline_mode: str, clock_poll_ms: float, sut_token: str | None, allowed_hosts: tuple[str, ...],
        receipt_time_from: str, sweep_seconds: float, allow_restart: bool, verbose: int) -> None:
    """Start the reference SPOC CMS of one state, or of several in one process (optionally with named defects)."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.reference_cms.app import CmsOptions
    from simulators.reference_cms.defects import DEFECTS
    from simulators.reference_cms.policy import PolicySettings

    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    codes = _states(states)
    defects_of = _defects_by_state(defects, codes, set(DEFECTS))
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.reference_cms.guard import is_loopback

    if not is_loopback(host.strip("[]")) and not sut_token:
        raise click.BadParameter(f"{host} is not a loopback address: give --sut-token too, or the interface that "
                                 "drives this CMS is open to anyone who can reach it", param_hint="--host")
    if sut_token is not None and not sut_token.strip():
        raise click.BadParameter("the token is empty", param_hint="--sut-token")
    settings = PolicySettings(
        processing_direct=timedelta(minutes=processing_direct_minutes),
        processing_indirect=timedelta(hours=processing_indirect_hours),
        judicial_update_every=timedelta(hours=judicial_update_hours),
        retention_review_after=timedelta(days=retention_review_days),
        deadline_mode=deadline_mode,
    )
    if port and port + len(codes) - 1 > 65535:
        raise click.BadParameter(f"{len(codes)} states from port {port} run past 65535", param_hint="--port")
    # Every state's store is DATA/cms-XX.sqlite3, so the installations can share one data directory.
    installations = [
        CmsOptions(state=code, channels_url=channels_url, credentials=credentials, data_dir=data_dir, host=host,
                   port=port + index if port else 0, defects=defects_of[code],
                   follow_network_clock=follow_network_clock,
                   settings=settings, poll_interval=clock_poll_ms / 1000, sweep_every=sweep_seconds,
                   sut_token=sut_token, allowed_hosts=list(allowed_hosts), allow_restart=allow_restart,
                   receipt_time_from_push=receipt_time_from == "push")
        for index, code in enumerate(codes)
    ]

    def announce(line: str) -> None:
        _tune_collector()
        try:
            click.echo(line)
            sys.stdout.flush()
        except BrokenPipeError:  # whoever waited for that line is gone (e.g. a parent killed during start-up)
            signal.raise_signal(signal.SIGTERM)

    try:
        # Start-up time, as above; on uvloop where it is installed: less CPU per message.
        from simulators.runtime.event_loop import run

        run(_run_until_stopped(installations, announce))
    except ValueError as exc:  # an unreadable credentials file, a token missing
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot start the CMS: {exc}") from None
