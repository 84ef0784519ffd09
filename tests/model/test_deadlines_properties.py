"""Properties of the Art 5(1) deadline that hold for any receipt time, in every zone of the network."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.model.deadlines import Deadline, DeadlineMode, compute_deadline, limit_for
from simulators.model.directive import Availability
from simulators.model.parties import all_states

settings.register_profile("deadlines", deadline=None, max_examples=300)
SETTINGS = settings.get_profile("deadlines")

NETWORK_ZONES = sorted({s.timezone for s in all_states().values()} | {"UTC"})
# Zones whose full local hours fall on :30 or :45 UTC, with and without DST, for the hour rule.
ODD_OFFSET_ZONES = ["Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Adelaide"]

zones = st.sampled_from(NETWORK_ZONES)


@st.composite
def _near_eu_clock_change(draw: st.DrawFn) -> datetime:
    # Since 1996 EU clocks change on the last Sunday of March and October at 01:00 UTC; uniform instants
    # would rarely come close to one, so half of the receipts are drawn within 8 days of a change.
    year, month = draw(st.integers(1996, 2090)), draw(st.sampled_from([3, 10]))
    last_day = datetime(year, month, 31, 1, tzinfo=UTC)
    change = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return change + draw(st.timedeltas(min_value=timedelta(days=-8), max_value=timedelta(days=8)))


instants = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)),
    _near_eu_clock_change(),
)
requests = st.sampled_from(
    [(True, Availability.DIRECT), (True, Availability.INDIRECT), (False, Availability.DIRECT)]
)
day_requests = st.sampled_from([(True, Availability.INDIRECT), (False, Availability.INDIRECT)])
modes = st.sampled_from(list(DeadlineMode))
offsets = st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=9))
lengths = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3))
spans = st.lists(st.tuples(offsets, lengths), max_size=5)


def deadline(
    received: datetime,
    request: tuple[bool, Availability],
    mode: DeadlineMode,
    zone: str,
    suspensions: list[tuple[datetime, datetime]] | None = None,
) -> Deadline:
    urgent, availability = request
    return compute_deadline(
        received,
        urgent=urgent,
        availability=availability,
        mode=mode,
        timezone=zone,
        suspensions=suspensions or (),
    )


def intervals(
    received: datetime, drawn: list[tuple[timedelta, timedelta]]
) -> list[tuple[datetime, datetime]]:
    return [(received + offset, received + offset + length) for offset, length in drawn]


@SETTINGS
@given(instants, requests, zones, spans)
def test_elapsed_due_is_receipt_plus_limit_plus_counted_suspension(
    received: datetime,
    request: tuple[bool, Availability],
    zone: str,
    drawn: list[tuple[timedelta, timedelta]],
) -> None:
    result = deadline(received, request, DeadlineMode.ELAPSED, zone, intervals(received, drawn))
    assert result.due_utc - received == limit_for(*request)[0] + result.suspended
    assert result.suspended == sum((end - start for start, end in result.counted_suspensions), timedelta(0))
    # PEP 495: an ambiguous local time (fold=1) never compares equal across zones, so compare instants.
    assert result.due_local.timestamp() == result.due_utc.timestamp()
    assert result.due_local.utcoffset() == result.due_utc.astimezone(ZoneInfo(zone)).utcoffset()
    # Counted intervals are ordered, disjoint (touching ones were merged), after the receipt and each
    # starts before the due time.
    previous_end: datetime | None = None
    for start, end in result.counted_suspensions:
        assert received <= start < end
        assert start < result.due_utc
        assert previous_end is None or previous_end < start
        previous_end = end


@SETTINGS
@given(instants, st.sampled_from(NETWORK_ZONES + ODD_OFFSET_ZONES))
def test_reg1182_hour_period_ends_on_a_full_local_hour_8_to_9_hours_after_receipt(
    received: datetime, zone: str
) -> None:
    result = deadline(received, (True, Availability.DIRECT), DeadlineMode.REG1182, zone)
    local = result.due_local
    assert (local.minute, local.second, local.microsecond) == (0, 0, 0)
    assert timedelta(hours=8) < result.due_utc - received <= timedelta(hours=9)


@SETTINGS
@given(instants, day_requests, zones)
def test_reg1182_day_period_ends_at_the_local_midnight_after_the_last_day(
    received: datetime, request: tuple[bool, Availability], zone: str
) -> None:
    limit = limit_for(*request)[0]
    result = deadline(received, request, DeadlineMode.REG1182, zone)
    received_local = received.astimezone(ZoneInfo(zone))
    due_local = result.due_local
    assert due_local.time() == datetime.min.time()
    assert due_local.date() == received_local.date() + limit + timedelta(days=1)
    # On the wall clock the period is the limit plus what was left of the day of receipt...
    wall = due_local.replace(tzinfo=None) - received_local.replace(tzinfo=None)
    assert limit < wall <= limit + timedelta(days=1)
    # ...and in elapsed time that minus the DST change in between, so it can be up to an hour SHORTER
    # than the elapsed reading (received late on the day before a spring-forward): not "always later".
    shift = due_local.utcoffset() - received_local.utcoffset()  # type: ignore[operator]
    assert result.due_utc - received == wall - shift
    assert limit - timedelta(hours=1) < result.due_utc - received <= limit + timedelta(days=1, hours=1)


@SETTINGS
@given(instants, instants, requests, modes, zones)
def test_due_time_never_decreases_when_receipt_is_later(
    first: datetime, second: datetime, request: tuple[bool, Availability], mode: DeadlineMode, zone: str
) -> None:
    earlier, later = sorted((first, second))
    assert deadline(earlier, request, mode, zone).due_utc <= deadline(later, request, mode, zone).due_utc


@SETTINGS
@given(instants, requests, modes, zones, spans, st.randoms(use_true_random=False))
def test_suspensions_add_up_whatever_their_order_and_splitting(
    received: datetime,
    request: tuple[bool, Availability],
    mode: DeadlineMode,
    zone: str,
    drawn: list[tuple[timedelta, timedelta]],
    rng: random.Random,
) -> None:
    given_intervals = intervals(received, drawn)
    plain = deadline(received, request, mode, zone)
    suspended = deadline(received, request, mode, zone, given_intervals)
    assert suspended.due_utc == plain.due_utc + suspended.suspended
    shuffled = list(given_intervals)
    rng.shuffle(shuffled)
    assert deadline(received, request, mode, zone, shuffled) == suspended
    # Cutting each interval in two at its middle changes nothing; nor does one that ends at receipt.
    halves = [
        part
        for start, end in given_intervals
        for part in ((start, start + (end - start) / 2), (start + (end - start) / 2, end))
    ]
    halves.append((received - timedelta(days=1), received))
    assert deadline(received, request, mode, zone, halves).due_utc == suspended.due_utc


@SETTINGS
@given(instants, requests, modes, zones, st.lists(lengths, min_size=1, max_size=4))
def test_disjoint_suspensions_before_the_due_time_all_count(
    received: datetime,
    request: tuple[bool, Availability],
    mode: DeadlineMode,
    zone: str,
    pieces: list[timedelta],
) -> None:
    # Disjoint intervals with gaps between them, all starting before the unsuspended due time.
    plain = deadline(received, request, mode, zone)
    gap = (plain.due_utc - received) / (2 * len(pieces))
    chosen = [
        (received + i * 2 * gap, received + i * 2 * gap + min(length, gap)) for i, length in enumerate(pieces)
    ]
    result = deadline(received, request, mode, zone, chosen)
    assert result.suspended == sum((end - start for start, end in chosen), timedelta(0))


@SETTINGS
@given(instants, requests, modes, zones, zones)
def test_same_instant_in_any_offset_gives_the_same_deadline(
    received: datetime, request: tuple[bool, Availability], mode: DeadlineMode, zone: str, written_in: str
) -> None:
    as_written = received.astimezone(ZoneInfo(written_in))
    assert deadline(as_written, request, mode, zone) == deadline(received, request, mode, zone)
