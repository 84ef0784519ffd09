"""ISO 8601 durations a SUT records (e.g. the suspension of an Art 5(1) limit), read as the time they span.

A SUT may write a span as elapsed time (PT48H, PT0.182163S) or in calendar days (P2D). Both are accepted
(docs/sut-interface.md, "Durations"): the time designators are elapsed time; a day (D) or week (W) is a
calendar day of the SUT state's zone counted from the span's start, so P2D from a Saturday 12:00 before the
spring clock change spans 47 hours. Years and months are refused: their length is not fixed.
Recorded spans are compared with the harness's own with `CampaignSettings.duration_tolerance`, since a CMS
timestamps with its own resolution (a suspension of PT0.182163S where the harness saw none is no error).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DurationError", "recorded_span", "same_span"]

_ISO = re.compile(
    r"(?P<sign>-)?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)


class DurationError(ValueError):
    """Not an ISO 8601 duration the contract accepts."""


def _number(text: str | None) -> float:
    return float(text.replace(",", ".")) if text else 0.0


def recorded_span(text: str, start: datetime, zone: ZoneInfo) -> timedelta:
    """The time `text` spans when counted from `start` (aware) in `zone` (calendar days in local time)."""
    match = _ISO.fullmatch(text.strip())
    if match is None or text.strip() in ("P", "PT", "-P", "-PT") or text.strip().endswith("T"):
        raise DurationError(f"{text!r} is not an ISO 8601 duration of the forms PnW, PnDTnHnMnS or PTnHnMnS "
                            "(years and months are not accepted: their length is not fixed)")
    days = int(match["weeks"] or 0) * 7 + int(match["days"] or 0)
    clock = timedelta(hours=_number(match["hours"]), minutes=_number(match["minutes"]),
                      seconds=_number(match["seconds"]))
    local = start.astimezone(zone)
    # Calendar days move the wall clock: across a clock change a day is 23 or 25 hours.
    after_days = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)
    # Aware datetimes sharing a tzinfo subtract as wall times: compare them in UTC.
    span = (after_days.astimezone(UTC) - local.astimezone(UTC)) + clock
    return -span if match["sign"] else span


def same_span(text: str, start: datetime, zone: ZoneInfo, expected: timedelta, tolerance: timedelta) -> bool:
    """Whether the recorded `text` spans `expected` within `tolerance` (False for an unreadable duration)."""
    try:
        return abs(recorded_span(text, start, zone) - expected) <= tolerance
    except DurationError:
        return False
