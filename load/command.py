"""`spoc-harness load`: does a CMS keep the legal deadlines, and lose nothing, at the network's peak?

Headless. Writes locust's CSV (with full history) and HTML report and load-results.json to
--report-dir; exits 0 only when nothing was lost or duplicated and every deadline was met (1 otherwise,
2 for a usage error). docs/load.md explains the figures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

__all__ = ["load"]


def _seconds(value: str) -> float:
    """`90`, `90s`, `5m`, `1h30m` -> seconds."""
    text = value.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not parts or not any(parts.groups()):
        raise click.BadParameter(f"{value!r}: give seconds, or e.g. 90s, 5m, 1h30m", param_hint="--duration")
    hours, minutes, seconds = (int(g or 0) for g in parts.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def _check_eu(mix: str | None) -> None:
    """The options the whole EU cannot take, refused with the reason."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from load.settings import parse_mix
    from load.traffic import EU_CLASSES

    if mix and not any(name in EU_CLASSES for name in parse_mix(mix)):
        raise click.BadParameter(f"the whole EU exchanges only {', '.join(EU_CLASSES)}", param_hint="--mix")


def _check_defects(defects: tuple[str, ...], eu: bool, known: set[str]) -> list[str]:
    """NAME, or NAME@STATE (--sut eu: only that state's CMS) -> the values as the CMS processes take them."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.model.parties import UnknownStateError, member_states, normalise_state_code

    checked: list[str] = []
    bound = {s.code for s in member_states(bound_only=True)}
    for value in defects:
        name, _, where = value.partition("@")
        if name not in known:
            raise click.BadParameter(f"unknown defect {name}; see `spoc-harness defects`", param_hint="--defect")
        if not where:
            checked.append(name)
            continue
        if not eu:
            raise click.BadParameter(f"{value}: NAME@STATE picks one state's CMS of the whole EU (--sut eu); "
                                     "the one reference CMS takes NAME", param_hint="--defect")
        try:
            code = normalise_state_code(where)
        except UnknownStateError as exc:
            raise click.BadParameter(str(exc), param_hint="--defect") from None
        if code not in bound:
            raise click.BadParameter(f"{value}: {code} has no CMS in the whole EU", param_hint="--defect")
        checked.append(f"{name}@{code}")
    return checked


@click.command()
@click.option("--sut", default="reference", show_default=True,
              help="'reference': start the channel server (scaled clock) and the reference CMS; 'eu': a reference "
                   "CMS for every state the directive binds, exchanging among themselves, their operators driven "
                   "through the SUT interface; or the base URL of a vendor CMS's SUT interface (then also "
                   "--channels and --credentials).")
@click.option("--state", default="AT", show_default=True, help="The SUT's member state (ISO code).")
@click.option("--channels", "channels_url", help="With --sut URL: the channel server the SUT is connected to.")
@click.option("--credentials", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --sut URL: that channel server's credentials.json.")
@click.option("--profile", type=click.Choice(["ordinary-week", "major-incident", "holiday-weekend"]),
              help="A named load shape (docs/load.md); without it, --users users for the whole run.")
@click.option("--users", type=click.IntRange(1, 100_000),
              help="Concurrent users (foreign parties; with --sut eu, operators spread over the states), default 10 "
                   "(--sut eu: one per state); with --profile, the base the profile shapes (default: from the "
                   "yearly SIENA volume x --speed x --peak-factor, docs/load.md).")
@click.option("--duration", default="30s", show_default=True, help="Wall time the users send: 90, 90s, 5m.")
@click.option("--speed", default=600.0, show_default=True, type=click.FloatRange(1, 100_000),
              help="Network seconds per wall second of the scaled clock (600: 8 hours in 48 s).")
@click.option("--workers", default=0, show_default=True, type=click.IntRange(0, 64),
              help="Locust workers in distributed mode (a master and N worker processes); 0: one process.")
@click.option("--chaos", is_flag=True,
              help="Outage window, duplicate deliveries, kill -9 of the channel server, restart of the CMS (with "
                   "--sut eu: of the processes hosting the states' CMSs, one after the other; docs/load.md).")
@click.option("--pacing", default=2.0, show_default=True, type=click.FloatRange(0.01, 3600),
              help="Wall seconds between two exchanges of one user (rate = users / pacing).")
@click.option("--peak-factor", default=1.0, show_default=True, type=click.FloatRange(0.01, 10_000),
              help="Multiplies a profile's rates.")
@click.option("--mix", help="Override the traffic mix: class=weight,... (e.g. urgent-direct=1).")
@click.option("--defect", "defects", multiple=True, metavar="NAME[@STATE]",
              help="Run the reference CMS with a named defect (repeatable; `spoc-harness defects`). With --sut eu, "
                   "NAME puts it in every state's CMS and NAME@STATE in that state's only (e.g. "
                   "late-urgent-reply@DE): the result names the states that lost, duplicated or were late.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the generated traffic.")
@click.option("--drain-timeout", default=120.0, show_default=True, type=click.FloatRange(0, 86_400),
              help="Wall seconds after the run to wait for answers still due.")
@click.option("--cms-processes", default=2, show_default=True, type=click.IntRange(1, 64),
              help="With --sut eu: how many processes host the states' reference CMSs (docs/load.md).")
@click.option("--report-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where locust's CSV and HTML and load-results.json are written.")
def load(sut: str, state: str, channels_url: str | None, credentials: Path | None, profile: str | None,
         users: int | None,
         duration: str, speed: float, workers: int, chaos: bool, pacing: float, peak_factor: float, mix: str | None,
         defects: tuple[str, ...], seed: int, drain_timeout: float, cms_processes: int, report_dir: Path) -> None:
    """Load test a CMS: foreign parties (locust users) send it realistic traffic on the channels.

    Every answer is judged against its Art 5(1) limit in network time; at the end the users' sends,
    the channel journal and the SUT's case records are reconciled (lost, duplicated, late).
    """
    # Start-up time: the load runner (and locust's checks) load only when `load` runs.
    from load.options import LoadOptions
    from load.runner import run_load
    from load.settings import LoadSettingsError, parse_mix
    from simulators.model.parties import UnknownStateError, member_states, normalise_state_code
    from simulators.reference_cms.defects import DEFECTS

    try:
        code = normalise_state_code(state)
    except UnknownStateError as exc:
        raise click.BadParameter(str(exc), param_hint="--state") from None
    if mix:
        try:
            parse_mix(mix)
        except LoadSettingsError as exc:
            raise click.BadParameter(str(exc).replace("SPOC_LOAD_MIX: ", ""), param_hint="--mix") from None
    checked_defects = _check_defects(defects, sut == "eu", set(DEFECTS))
    if sut not in ("reference", "eu") and (defects or not channels_url or credentials is None):
        raise click.UsageError("--sut URL needs --channels and --credentials, and takes no --defect")
    if sut == "eu":
        _check_eu(mix)
    default_users = len(member_states(bound_only=True)) if sut == "eu" else 10
    options = LoadOptions(
        report_dir=report_dir, sut=sut, state=code, channels_url=channels_url, credentials=credentials,
        profile=profile, users=users if users is not None else (None if profile else default_users),
        duration=_seconds(duration), speed=speed, workers=workers, chaos=chaos,
        seed=seed, pacing=pacing, peak_factor=peak_factor, mix=mix, defects=checked_defects,
        drain_timeout=drain_timeout, cms_processes=cms_processes,
    )
    try:
        code_out, results = run_load(options, lambda line: click.echo(line, err=True))
    except (RuntimeError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({k: results[k] for k in (
        "verdict", "reasons", "asked_exchanges_per_second", "offered_exchanges_per_second",
        "achieved_exchanges_per_second", "lost", "duplicated",
        "late", "open", "errors")}, indent=2))
    click.echo(f"report: {report_dir / 'load-report.html'}, {report_dir / 'load-results.json'}, "
               f"{report_dir / 'locust.html'}")
    raise SystemExit(code_out)
