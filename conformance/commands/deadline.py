"""`spoc-harness deadline`: the Art 5(1) reply deadline of one request, for people and for scripts."""

from __future__ import annotations

import json
from datetime import datetime

import click
from click.core import ParameterSource

from simulators.model.deadlines import (
    Deadline,
    DeadlineInputError,
    DeadlineMode,
    compute_deadline,
    load_zone,
)
from simulators.model.directive import Availability
from simulators.model.parties import UnknownStateError, state

__all__ = ["deadline"]

_WORDS = {"PT8H": "8 hours", "P3D": "3 calendar days", "P7D": "7 calendar days"}
_EXAMPLE = "e.g. 2026-03-29T01:30:00+01:00 or 2026-03-29T00:30:00Z"


def _received(ctx: click.Context, param: click.Parameter, value: str) -> datetime:
    return _parse_aware(value, param)


def _intervals(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[datetime, datetime], ...]:
    intervals: list[tuple[datetime, datetime]] = []
    for value in values:
        parts = value.split("/")
        if len(parts) != 2:
            raise click.BadParameter(
                f"{value!r} is not START/END, two ISO 8601 times ({_EXAMPLE})", ctx, param
            )
        start, end = (_parse_aware(part, param) for part in parts)
        if end < start:
            raise click.BadParameter(f"{value!r} ends before it starts", ctx, param)
        intervals.append((start, end))
    return tuple(intervals)


def _parse_aware(text: str, param: click.Parameter) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 date and time ({_EXAMPLE})", param=param
        ) from None
    if moment.utcoffset() is None:
        raise click.BadParameter(f"{text!r} has no UTC offset; add one ({_EXAMPLE})", param=param)
    return moment


_HELP = """Compute the Art 5(1) reply deadline of a request received by a SPOC.

\b
Limits (Directive (EU) 2023/977 Art 5(1), catalogue R-10..R-13):
  urgent + directly available     8 hours          Art 5(1)(a)
  urgent + indirectly available   3 calendar days  Art 5(1)(b)
  any other request               7 calendar days  Art 5(1)(c)
The clock starts when the requested SPOC receives the request.

\b
Two readings of how the limit is counted (--mode):
  elapsed  (default) receipt + 8 h, 72 h or 168 h of elapsed time.
  reg1182  Regulation (EEC, Euratom) No 1182/71 Art 3 (unverified reading):
           the hour or day of receipt does not count; 8 hours run from
           the next full local hour; a day period starts at 00:00 of the
           next local day and ends at 24:00 of its last day in the SPOC's
           zone; no extension for weekends or holidays.

Each --suspended interval (Art 6(3) §2, catalogue R-25, unverified) pushes
the due time back by its length: intervals are clipped to the receipt,
overlaps merged, and intervals starting after the limit ran out ignored.
"""


@click.command(help=_HELP, context_settings={"max_content_width": 100})
@click.option(
    "--received",
    "received",
    metavar="ISO8601",
    required=True,
    callback=_received,
    help=f"When the requested SPOC received the request, ISO 8601 with a UTC offset ({_EXAMPLE}).",
)
@click.option(
    "--urgent/--non-urgent",
    "urgent",
    default=None,
    required=True,
    help="Whether the request is urgent under Art 4(4).",
)
@click.option(
    "--availability",
    type=click.Choice(["direct", "indirect"], case_sensitive=False),
    required=True,
    help="Whether the requested information is directly or indirectly available (Art 2(6)-(7)); "
    "it decides between 8 hours and 3 days for urgent requests.",
)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in DeadlineMode], case_sensitive=False),
    default=DeadlineMode.ELAPSED.value,
    show_default=True,
    help="Reading of the limit: elapsed time, or Regulation 1182/71 counting (unverified).",
)
@click.option(
    "--tz", "zone_name", metavar="IANA_ZONE", help="Time zone of the requested SPOC (Europe/Vienna)."
)
@click.option(
    "--state",
    "state_code",
    metavar="XX",
    help="Requested member state (AT, EL or GR, ...): uses its SPOC's zone. Excludes --tz. Default: UTC.",
)
@click.option(
    "--suspended",
    "suspensions",
    metavar="START/END",
    multiple=True,
    callback=_intervals,
    help="Art 6(3) suspension START/END: from the requester's receipt of the clarification request to "
    "the requested SPOC's receipt of the clarification. Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a line of text.")
def deadline(
    received: datetime,
    urgent: bool,
    availability: str,
    mode: str,
    zone_name: str | None,
    state_code: str | None,
    suspensions: tuple[tuple[datetime, datetime], ...],
    as_json: bool,
) -> None:
    if click.get_current_context().get_parameter_source("urgent") is not ParameterSource.COMMANDLINE:
        raise click.UsageError(
            "Missing option '--urgent' / '--non-urgent': say whether the request is urgent"
        )
    zone = _zone(zone_name, state_code)
    try:
        result = compute_deadline(
            received,
            urgent=urgent,
            availability=Availability(availability.upper()),
            mode=DeadlineMode(mode.lower()),
            timezone=zone,
            suspensions=suspensions,
        )
    except DeadlineInputError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(_as_json(result), ensure_ascii=False) if as_json else _as_line(result))


def _zone(zone_name: str | None, state_code: str | None) -> str:
    if zone_name is not None and state_code is not None:
        raise click.UsageError("--tz and --state are mutually exclusive: give the zone or the state")
    if state_code is not None:
        try:
            chosen = state(state_code)
        except UnknownStateError as exc:
            raise click.BadParameter(str(exc), param_hint="--state") from None
        if not chosen.takes_part:
            raise click.BadParameter(f"{chosen.name} has no SPOC under the directive", param_hint="--state")
        if not chosen.bound:
            click.echo(
                f"note: {chosen.name} is not bound by the directive; deadline for information only", err=True
            )
        return chosen.timezone
    name = zone_name if zone_name is not None else "UTC"
    try:
        load_zone(name)
    except DeadlineInputError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    return name


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _as_json(result: Deadline) -> dict[str, object]:
    return {
        "received_utc": _z(result.received_at),
        "due_utc": _z(result.due_utc),
        "due_local": result.due_local.isoformat(),
        "timezone": result.timezone,
        "limit": result.limit_iso,
        "limit_seconds": result.limit.total_seconds(),
        "mode": result.mode.value,
        "basis": result.basis,
        "requirement": result.requirement,
        "suspended": result.suspended_iso,
        "suspended_seconds": result.suspended.total_seconds(),
        "counted_suspensions": [f"{_z(start)}/{_z(end)}" for start, end in result.counted_suspensions],
        "basis_status": result.basis_status,
        "explanation": result.explanation,
    }


def _as_line(result: Deadline) -> str:
    reading = "elapsed reading" if result.mode is DeadlineMode.ELAPSED else "Reg 1182/71 reading (unverified)"
    suspension = (
        f", suspended {result.suspended_iso} by Art 6(3) (unverified)" if result.counted_suspensions else ""
    )
    return (
        f"Reply due by {result.due_local.isoformat()} {result.timezone} ({_z(result.due_utc)}): "
        f"{_WORDS[result.limit_iso]} under {result.basis} ({result.requirement}) from receipt at "
        f"{_z(result.received_at)}, {reading}{suspension}."
    )
