"""Art 5(1) reply deadlines of Directive (EU) 2023/977, under two selectable readings.

Limits (catalogue R-10..R-13, verified): urgent + directly available 8 hours (Art 5(1)(a)); urgent +
indirectly available 3 calendar days (Art 5(1)(b)); every other request 7 calendar days (Art 5(1)(c));
the clock starts when the requested SPOC receives the request (Art 5(1) §2).

How "calendar days" are counted is not defined in the directive as read here (catalogue §5), so:
- `elapsed` (default): due = receipt + 8 h, 72 h or 168 h of elapsed time.
- `reg1182` (unverified reading): Regulation (EEC, Euratom) No 1182/71 Art 3. The hour, or for day
  periods the day, of receipt does not count. An hour period starts at the next full hour of the local
  clock and runs 8 elapsed hours. A day period starts at 00:00 of the next local day and ends at 24:00
  of its last day, i.e. at the first instant of the following local day, with that day's UTC offset.
  The Art 3(4) extension for a last day falling on a Saturday, Sunday or holiday is not applied: the
  SPOC works 24/7 (Art 14(3)) and the limits are calendar days.

Suspension (Art 6(3) §2, catalogue R-25, unverified): the clock stops from the requester's receipt of
a clarification request until the requested SPOC's receipt of the clarification, in either reading.
Intervals are clipped to start no earlier than the receipt, overlapping or touching intervals are
merged, an interval that ends before it starts is refused, and an interval that starts when the limit
has already run out does not revive it. Each counted interval pushes the due time back by its elapsed
length; `suspended` is the counted total.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from simulators.model.directive import Availability

__all__ = [
    "Deadline",
    "DeadlineInputError",
    "DeadlineMode",
    "compute_deadline",
    "iso_duration",
    "limit_for",
    "load_zone",
]


class DeadlineMode(StrEnum):
    ELAPSED = "elapsed"
    REG1182 = "reg1182"


class DeadlineInputError(ValueError):
    """An input the deadline cannot be computed from (no UTC offset, unknown zone, reversed interval)."""


_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_READING_STATUS = {
    DeadlineMode.ELAPSED: "interpretation: elapsed time; calendar-day counting is not defined (catalogue §5)",
    DeadlineMode.REG1182: "unverified: that Regulation 1182/71 Art 3 applies is not verified (catalogue §5)",
}
# basis article -> (limit, ISO 8601 duration, catalogue requirement, words for people)
_LIMITS: dict[str, tuple[timedelta, str, str, str]] = {
    "Art 5(1)(a)": (timedelta(hours=8), "PT8H", "R-10", "8 hours"),
    "Art 5(1)(b)": (timedelta(days=3), "P3D", "R-11", "3 calendar days"),
    "Art 5(1)(c)": (timedelta(days=7), "P7D", "R-12", "7 calendar days"),
}


def limit_for(urgent: bool, availability: Availability | str) -> tuple[timedelta, str]:
    """The Art 5(1) limit and its article for a request (availability matters only if urgent)."""
    direct = Availability(availability) is Availability.DIRECT
    basis = "Art 5(1)(c)" if not urgent else "Art 5(1)(a)" if direct else "Art 5(1)(b)"
    return _LIMITS[basis][0], basis


class Deadline(BaseModel):
    """When the reply to one request is due, and why."""

    model_config = ConfigDict(frozen=True)

    received_at: datetime = Field(description="Receipt by the requested SPOC, UTC")
    due_utc: datetime
    due_local: datetime = Field(description="due_utc in the requested SPOC's zone")
    limit: timedelta
    limit_iso: str = Field(description="PT8H, P3D or P7D")
    mode: DeadlineMode
    basis: str = Field(description="Article setting the limit, e.g. 'Art 5(1)(a)'")
    requirement: str = Field(description="Catalogue requirement of the limit, e.g. 'R-10'")
    timezone: str = Field(description="IANA zone of the requested SPOC")
    suspended: timedelta = Field(description="Total Art 6(3) suspension that pushed the due time back")
    counted_suspensions: tuple[tuple[datetime, datetime], ...] = Field(description="Merged, clipped, UTC")
    explanation: str

    @property
    def suspended_iso(self) -> str:
        return iso_duration(self.suspended)

    @property
    def basis_status(self) -> dict[str, str]:
        """How sure each legal ingredient is, per the requirement catalogue."""
        return {
            "limit": f"verified: {self.basis} (catalogue {self.requirement}, R-13)",
            "reading": _READING_STATUS[self.mode],
            "suspension": "unverified: Art 6(3) §2 (catalogue R-25)"
            + ("" if self.counted_suspensions else "; none"),
        }


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a DeadlineInputError saying what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise DeadlineInputError(
            f"unknown time zone {name!r}: expected an IANA zone such as Europe/Vienna or UTC"
        ) from None


def iso_duration(span: timedelta) -> str:
    """ISO 8601 duration in elapsed hours, minutes and seconds (never nominal days): 'PT50H30M'."""
    sign, span = ("-", -span) if span < timedelta(0) else ("", span)
    micros = span // timedelta(microseconds=1)
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    text = f"{hours}H" if hours else ""
    text += f"{minutes}M" if minutes else ""
    if seconds or fraction or not text:
        text += f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".") + "S"
    return f"{sign}PT{text}"


def compute_deadline(
    received_at: datetime,
    *,
    urgent: bool,
    availability: Availability | str,
    mode: DeadlineMode | str = DeadlineMode.ELAPSED,
    timezone: str = "UTC",
    suspensions: Sequence[tuple[datetime, datetime]] = (),
) -> Deadline:
    """The Art 5(1) deadline of a request received at `received_at` by a SPOC in `timezone`."""
    received = _utc(received_at, "received_at")
    zone = load_zone(timezone)
    reading = DeadlineMode(mode)
    limit, basis = limit_for(urgent, availability)
    _, limit_iso, requirement, limit_words = _LIMITS[basis]
    available = f"{Availability(availability).value.lower()}ly available"
    kind = f"Urgent request for {available} information" if urgent else "Non-urgent request"
    try:
        base_due, how = _unsuspended_due(received, limit, reading, zone, timezone)
        due, counted, ignored = _suspend(received, base_due, suspensions)
        due_local = due.astimezone(zone)
    except OverflowError:
        raise DeadlineInputError(f"received_at {_z(received)} is too near the end of the calendar") from None
    suspended = sum((end - start for start, end in counted), timedelta(0))
    text = f"{kind}: {basis} ({requirement}) allows {limit_words} from receipt at {_z(received)}. {how}"
    if counted:
        spans = ", ".join(f"{_z(s)}/{_z(e)}" for s, e in counted)
        text += f"; suspended {iso_duration(suspended)} under Art 6(3) §2 (R-25, unverified) for {spans}"
    if ignored:
        text += f"; {ignored} suspension interval(s) began after the limit had run out and were not counted"
    text += f". Due {_z(due)} ({due_local.isoformat()} {timezone})."
    return Deadline(
        received_at=received,
        due_utc=due,
        due_local=due_local,
        limit=limit,
        limit_iso=limit_iso,
        mode=reading,
        basis=basis,
        requirement=requirement,
        timezone=timezone,
        suspended=suspended,
        counted_suspensions=counted,
        explanation=text,
    )


def _unsuspended_due(
    received: datetime, limit: timedelta, reading: DeadlineMode, zone: ZoneInfo, zone_name: str
) -> tuple[datetime, str]:
    if reading is DeadlineMode.ELAPSED:
        due = received + limit
        return due, f"Elapsed reading: receipt + {iso_duration(limit)} = {_z(due)}"
    if limit < _DAY:
        start = _next_full_local_hour(received, zone)
        due = start + limit
        return due, (
            "Reg 1182/71 Art 3 reading (unverified): the hour of receipt does not count; "
            f"{iso_duration(limit)} of elapsed time run from the next full local hour "
            f"{start.astimezone(zone).isoformat()} ({zone_name}) = {_z(due)}"
        )
    receipt_day = received.astimezone(zone).date()
    first_day, last_day = receipt_day + _DAY, receipt_day + limit
    due = _start_of_local_day(last_day + _DAY, zone)
    return due, (
        "Reg 1182/71 Art 3 reading (unverified): the day of receipt "
        f"({receipt_day.isoformat()}, {zone_name}) does not count; {limit.days} calendar days run from "
        f"00:00 on {first_day.isoformat()} to 24:00 on {last_day.isoformat()} local time, without "
        f"extension for weekends or holidays = {_z(due)}"
    )


def _next_full_local_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    # The first instant after `moment` at which the local clock shows a full hour. Offsets of +5:30 or
    # +5:45 keep local hours on :30 or :15 UTC; a DST jump of 1 h keeps the minute, and a 30-minute
    # jump (Australia/Lord_Howe) lands on a :30, so a second step reaches the next full local hour.
    candidate = moment
    for _ in range(4):
        local = candidate.astimezone(zone)
        into_hour = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
        candidate += _HOUR - into_hour
        shown = candidate.astimezone(zone)
        if shown.minute == shown.second == shown.microsecond == 0:
            return candidate
    raise AssertionError(f"no full local hour found after {moment.isoformat()} in {zone.key}")


def _start_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 maps a midnight lost to a DST jump (Santiago, Havana, Beirut) to the jump itself, which is
    # the first instant of that day; checked against every tz database zone for 1970-2040.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _suspend(
    received: datetime, due: datetime, suspensions: Sequence[tuple[datetime, datetime]]
) -> tuple[datetime, tuple[tuple[datetime, datetime], ...], int]:
    intervals: list[tuple[datetime, datetime]] = []
    for number, (raw_start, raw_end) in enumerate(suspensions, start=1):
        start = _utc(raw_start, f"suspension {number} start")
        end = _utc(raw_end, f"suspension {number} end")
        if end < start:
            raise DeadlineInputError(f"suspension {number} ends at {_z(end)}, before its start {_z(start)}")
        start = max(start, received)
        if end > start:
            intervals.append((start, end))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    counted: list[tuple[datetime, datetime]] = []
    for start, end in merged:
        # A clarification asked for once the limit has run out cannot stop a clock that already stopped.
        if start >= due:
            break
        due += end - start
        counted.append((start, end))
    return due, tuple(counted), len(merged) - len(counted)


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DeadlineInputError(
            f"{what} {moment.isoformat()} has no UTC offset; give one, e.g. 2026-03-29T01:30:00+01:00"
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DeadlineInputError(f"{what} {moment.isoformat()} is outside the calendar in UTC") from None


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
