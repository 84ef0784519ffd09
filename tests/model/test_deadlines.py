"""Hand-derived Art 5(1) deadlines: DST changes, leap days, year ends, edges of hours and days.

Every expected value below was worked out by hand from the rules in simulators.model.deadlines (the
derivation is in the comment above each row), not by running the code. EU zones change on the last
Sunday of March and October at 01:00 UTC: in 2026 on 29 March and 25 October.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from simulators.model.deadlines import (
    DeadlineInputError,
    DeadlineMode,
    compute_deadline,
    iso_duration,
    limit_for,
)
from simulators.model.directive import Availability

E, R = DeadlineMode.ELAPSED, DeadlineMode.REG1182
H8, D3, D7 = (True, "DIRECT"), (True, "INDIRECT"), (False, "DIRECT")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (zone, received, (urgent, availability), mode, expected due in UTC, expected local due)
TRICKY = [
    # Vienna spring-forward: 02:00 CET becomes 03:00 CEST at 01:00Z.
    # 01:30+01:00 = 00:30Z; + 8 elapsed hours = 08:30Z, which reads 10:30+02:00 (9 wall-clock hours).
    pytest.param("Europe/Vienna", "2026-03-29T01:30:00+01:00", H8, E, "2026-03-29T08:30:00Z",
                 "2026-03-29T10:30:00+02:00", id="vienna-spring-elapsed-8h"),
    # The hour 01:00-02:00 CET of receipt does not count; 02:00 never shows, the clock next reads a full
    # hour at 01:00Z (03:00+02:00); + 8 h = 09:00Z = 11:00+02:00.
    pytest.param("Europe/Vienna", "2026-03-29T01:30:00+01:00", H8, R, "2026-03-29T09:00:00Z",
                 "2026-03-29T11:00:00+02:00", id="vienna-spring-reg1182-8h"),
    # Received 23:30 local on 28 March (22:30Z). 28 March does not count; 29, 30, 31 March do; the period
    # ends at 24:00 on 31 March = 2026-04-01T00:00+02:00 = 2026-03-31T22:00Z. That is 30 min BEFORE
    # the elapsed reading (22:30Z + 72 h): 29 March had only 23 hours.
    pytest.param("Europe/Vienna", "2026-03-28T23:30:00+01:00", D3, R, "2026-03-31T22:00:00Z",
                 "2026-04-01T00:00:00+02:00", id="vienna-2330-spring-reg1182-3d"),
    pytest.param("Europe/Vienna", "2026-03-28T23:30:00+01:00", D3, E, "2026-03-31T22:30:00Z",
                 "2026-04-01T00:30:00+02:00", id="vienna-2330-spring-elapsed-3d"),
    # Vienna fall-back: 03:00 CEST becomes 02:00 CET at 01:00Z, so 02:30 happens twice.
    # First 02:30 (+02:00 = 00:30Z): its local hour 02:00-03:00 CEST ends at 01:00Z, when the clock
    # shows 02:00+01:00; + 8 h = 09:00Z = 10:00+01:00.
    pytest.param("Europe/Vienna", "2026-10-25T02:30:00+02:00", H8, R, "2026-10-25T09:00:00Z",
                 "2026-10-25T10:00:00+01:00", id="vienna-fall-first-0230-reg1182-8h"),
    # Second 02:30 (+01:00 = 01:30Z): next full hour 03:00+01:00 = 02:00Z; + 8 h = 10:00Z = 11:00+01:00.
    pytest.param("Europe/Vienna", "2026-10-25T02:30:00+01:00", H8, R, "2026-10-25T10:00:00Z",
                 "2026-10-25T11:00:00+01:00", id="vienna-fall-second-0230-reg1182-8h"),
    # 00:30Z + 8 h = 08:30Z = 09:30+01:00 (the wall clock moved only 7 hours).
    pytest.param("Europe/Vienna", "2026-10-25T02:30:00+02:00", H8, E, "2026-10-25T08:30:00Z",
                 "2026-10-25T09:30:00+01:00", id="vienna-fall-elapsed-8h"),
    # Received 12:00+02:00 on 24 Oct: 25-31 Oct count; 24:00 on 31 Oct = 2026-11-01T00:00+01:00 = 23:00Z.
    pytest.param("Europe/Vienna", "2026-10-24T12:00:00+02:00", D7, R, "2026-10-31T23:00:00Z",
                 "2026-11-01T00:00:00+01:00", id="vienna-fall-reg1182-7d"),
    # Lisbon spring-forward: 01:00 WET becomes 02:00 WEST at 01:00Z. Received half a second before.
    # The hour 00:00-01:00 does not count; the clock next shows a full hour at 01:00Z (02:00+01:00).
    pytest.param("Europe/Lisbon", "2026-03-29T00:59:59.500+00:00", H8, R, "2026-03-29T09:00:00Z",
                 "2026-03-29T10:00:00+01:00", id="lisbon-spring-reg1182-8h"),
    pytest.param("Europe/Lisbon", "2026-03-29T00:59:59.500+00:00", H8, E, "2026-03-29T08:59:59.500Z",
                 "2026-03-29T09:59:59.500000+01:00", id="lisbon-spring-elapsed-8h"),
    # Lisbon fall-back: 02:00 WEST becomes 01:00 WET at 01:00Z. Received 23:30+01:00 on 24 Oct (22:30Z):
    # 25 (25 hours long), 26, 27 Oct count; 24:00 on 27 Oct = 2026-10-28T00:00+00:00. Elapsed reading:
    # 22:30Z + 72 h = 2026-10-27T22:30Z, 90 minutes earlier.
    pytest.param("Europe/Lisbon", "2026-10-24T23:30:00+01:00", D3, R, "2026-10-28T00:00:00Z",
                 "2026-10-28T00:00:00+00:00", id="lisbon-2330-fall-reg1182-3d"),
    pytest.param("Europe/Lisbon", "2026-10-24T23:30:00+01:00", D3, E, "2026-10-27T22:30:00Z",
                 "2026-10-27T22:30:00+00:00", id="lisbon-2330-fall-elapsed-3d"),
    # Helsinki spring-forward: 03:00 EET becomes 04:00 EEST at 01:00Z. Received exactly on the full hour
    # 04:00+03:00 (01:00Z): the hour 04:00-05:00 still does not count; 05:00+03:00 = 02:00Z; + 8 h = 10:00Z.
    pytest.param("Europe/Helsinki", "2026-03-29T04:00:00+03:00", H8, R, "2026-03-29T10:00:00Z",
                 "2026-03-29T13:00:00+03:00", id="helsinki-spring-full-hour-reg1182-8h"),
    pytest.param("Europe/Helsinki", "2026-03-29T04:00:00+03:00", H8, E, "2026-03-29T09:00:00Z",
                 "2026-03-29T12:00:00+03:00", id="helsinki-spring-full-hour-elapsed-8h"),
    # Received exactly at local midnight 24 Oct (2026-10-23T21:00Z): 24 Oct does not count although the
    # request came at its first instant; 25 (25 hours), 26, 27 count; 2026-10-28T00:00+02:00 = 27th 22:00Z.
    pytest.param("Europe/Helsinki", "2026-10-24T00:00:00+03:00", D3, R, "2026-10-27T22:00:00Z",
                 "2026-10-28T00:00:00+02:00", id="helsinki-midnight-fall-reg1182-3d"),
    # 21:00Z + 72 h = 2026-10-26T21:00Z = 23:00+02:00.
    pytest.param("Europe/Helsinki", "2026-10-24T00:00:00+03:00", D3, E, "2026-10-26T21:00:00Z",
                 "2026-10-26T23:00:00+02:00", id="helsinki-midnight-fall-elapsed-3d"),
    # Nicosia follows the EU change (03:00 EET -> 04:00 EEST at 01:00Z). Received 02:15+02:00 (00:15Z):
    # the hour 02:00-03:00 ends at 01:00Z (04:00+03:00); + 8 h = 09:00Z = 12:00+03:00.
    pytest.param("Asia/Nicosia", "2026-03-29T02:15:00+02:00", H8, R, "2026-03-29T09:00:00Z",
                 "2026-03-29T12:00:00+03:00", id="nicosia-spring-reg1182-8h"),
    pytest.param("Asia/Nicosia", "2026-03-29T02:15:00+02:00", H8, E, "2026-03-29T08:15:00Z",
                 "2026-03-29T11:15:00+03:00", id="nicosia-spring-elapsed-8h"),
    # Nicosia fall-back: 03:30 happens twice on 25 Oct (00:30Z and 01:30Z); both are on 25 Oct, so both
    # give 26 Oct - 1 Nov and the same due, 2026-11-02T00:00+02:00 = 2026-11-01T22:00Z.
    pytest.param("Asia/Nicosia", "2026-10-25T03:30:00+03:00", D7, R, "2026-11-01T22:00:00Z",
                 "2026-11-02T00:00:00+02:00", id="nicosia-fall-first-0330-reg1182-7d"),
    pytest.param("Asia/Nicosia", "2026-10-25T03:30:00+02:00", D7, R, "2026-11-01T22:00:00Z",
                 "2026-11-02T00:00:00+02:00", id="nicosia-fall-second-0330-reg1182-7d"),
    pytest.param("Asia/Nicosia", "2026-10-25T03:30:00+03:00", D7, E, "2026-11-01T00:30:00Z",
                 "2026-11-01T02:30:00+02:00", id="nicosia-fall-elapsed-7d"),
    # Reykjavik has no DST (UTC all year): the same dates give plain arithmetic.
    pytest.param("Atlantic/Reykjavik", "2026-03-29T01:30:00+00:00", H8, R, "2026-03-29T10:00:00Z",
                 "2026-03-29T10:00:00+00:00", id="reykjavik-reg1182-8h"),
    # 28 March does not count; 29-31 March; 2026-04-01T00:00Z, 30 min after the elapsed 23:30Z + 72 h.
    pytest.param("Atlantic/Reykjavik", "2026-03-28T23:30:00+00:00", D3, R, "2026-04-01T00:00:00Z",
                 "2026-04-01T00:00:00+00:00", id="reykjavik-2330-reg1182-3d"),
    pytest.param("Atlantic/Reykjavik", "2026-03-28T23:30:00+00:00", D3, E, "2026-03-31T23:30:00Z",
                 "2026-03-31T23:30:00+00:00", id="reykjavik-2330-elapsed-3d"),
    # Asia/Kolkata is +05:30: full local hours fall on :30 UTC. Received 10:10+05:30 (04:40Z); the hour
    # 10:00-11:00 does not count; 11:00+05:30 = 05:30Z; + 8 h = 13:30Z = 19:00+05:30.
    pytest.param("Asia/Kolkata", "2026-05-04T10:10:00+05:30", H8, R, "2026-05-04T13:30:00Z",
                 "2026-05-04T19:00:00+05:30", id="kolkata-half-hour-offset-reg1182-8h"),
    # Asia/Kathmandu is +05:45: received 10:50+05:45 (05:05Z); 11:00+05:45 = 05:15Z; + 8 h = 13:15Z.
    pytest.param("Asia/Kathmandu", "2026-05-04T10:50:00+05:45", H8, R, "2026-05-04T13:15:00Z",
                 "2026-05-04T19:00:00+05:45", id="kathmandu-45-minute-offset-reg1182-8h"),
    # Adelaide (+10:30 summer, +09:30 winter) falls back at 03:00 ACDT on 5 April 2026 (16:30Z on 4 April).
    # Received 02:45+10:30 (16:15Z): its hour ends at 16:30Z, shown as 02:00+09:30; + 8 h = 00:30Z.
    pytest.param("Australia/Adelaide", "2026-04-05T02:45:00+10:30", H8, R, "2026-04-05T00:30:00Z",
                 "2026-04-05T10:00:00+09:30", id="adelaide-fall-reg1182-8h"),
    # Lord Howe moves its clock back by 30 min only: 02:00+11:00 becomes 01:30+10:30 at 15:00Z on 4 April.
    # Received 01:45+11:00 (14:45Z): at 15:00Z the clock shows 01:30, not a full hour, and stays in hour
    # 01 until 02:00+10:30 = 15:30Z; + 8 h = 23:30Z = 10:00+10:30.
    pytest.param("Australia/Lord_Howe", "2026-04-05T01:45:00+11:00", H8, R, "2026-04-04T23:30:00Z",
                 "2026-04-05T10:00:00+10:30", id="lord-howe-half-hour-dst-reg1182-8h"),
    # Leap year 2028: received 26 Feb 10:00+01:00; 27, 28, 29 Feb count; 24:00 on 29 Feb =
    # 2028-03-01T00:00+01:00 = 2028-02-29T23:00Z.
    pytest.param("Europe/Vienna", "2028-02-26T10:00:00+01:00", D3, R, "2028-02-29T23:00:00Z",
                 "2028-03-01T00:00:00+01:00", id="vienna-leap-reg1182-3d"),
    # 168 h from 28 Feb 12:00Z passes 29 Feb: 6 March; in 2027 (no 29 Feb) the same gives 7 March.
    pytest.param("UTC", "2028-02-28T12:00:00+00:00", D7, E, "2028-03-06T12:00:00Z",
                 "2028-03-06T12:00:00+00:00", id="utc-leap-elapsed-7d"),
    pytest.param("UTC", "2027-02-28T12:00:00+00:00", D7, E, "2027-03-07T12:00:00Z",
                 "2027-03-07T12:00:00+00:00", id="utc-non-leap-elapsed-7d"),
    # Received on 29 Feb 2028 itself, one second before midnight: 1-7 March count; due 8 March 00:00.
    pytest.param("Atlantic/Reykjavik", "2028-02-29T23:59:59+00:00", D7, R, "2028-03-08T00:00:00Z",
                 "2028-03-08T00:00:00+00:00", id="reykjavik-on-leap-day-reg1182-7d"),
    # Year end in Helsinki, 1 ms before midnight (21:59:59.999Z): elapsed 8 h = 2027-01-01T05:59:59.999Z.
    pytest.param("Europe/Helsinki", "2026-12-31T23:59:59.999+02:00", H8, E, "2027-01-01T05:59:59.999Z",
                 "2027-01-01T07:59:59.999000+02:00", id="helsinki-new-year-elapsed-8h"),
    # The hour 23:00-24:00 does not count; 2027-01-01T00:00+02:00 (22:00Z) + 8 h = 06:00Z.
    pytest.param("Europe/Helsinki", "2026-12-31T23:59:59.999+02:00", H8, R, "2027-01-01T06:00:00Z",
                 "2027-01-01T08:00:00+02:00", id="helsinki-new-year-reg1182-8h"),
    # 31 Dec does not count; 1, 2, 3 Jan 2027; 2027-01-04T00:00+02:00 = 2027-01-03T22:00Z.
    pytest.param("Europe/Helsinki", "2026-12-31T23:59:59.999+02:00", D3, R, "2027-01-03T22:00:00Z",
                 "2027-01-04T00:00:00+02:00", id="helsinki-new-year-reg1182-3d"),
    pytest.param("UTC", "2026-12-31T23:59:59.999+00:00", D7, R, "2027-01-08T00:00:00Z",
                 "2027-01-08T00:00:00+00:00", id="utc-new-year-reg1182-7d"),
    pytest.param("UTC", "2026-12-31T23:59:59.999+00:00", D7, E, "2027-01-07T23:59:59.999Z",
                 "2027-01-07T23:59:59.999000+00:00", id="utc-new-year-elapsed-7d"),
    # Exactly on a full hour: the hour 10:00-11:00 does not count, so 11:00 + 8 h = 19:00; a microsecond
    # before 11:00 belongs to the same hour and gives the same due.
    pytest.param("UTC", "2026-05-04T10:00:00+00:00", H8, R, "2026-05-04T19:00:00Z",
                 "2026-05-04T19:00:00+00:00", id="utc-full-hour-reg1182-8h"),
    pytest.param("UTC", "2026-05-04T10:59:59.999999+00:00", H8, R, "2026-05-04T19:00:00Z",
                 "2026-05-04T19:00:00+00:00", id="utc-last-microsecond-of-hour-reg1182-8h"),
    pytest.param("UTC", "2026-05-04T10:00:00+00:00", H8, E, "2026-05-04T18:00:00Z",
                 "2026-05-04T18:00:00+00:00", id="utc-full-hour-elapsed-8h"),
    # Exactly at midnight: 4 May does not count; 5-11 May; due 12 May 00:00.
    pytest.param("UTC", "2026-05-04T00:00:00+00:00", D7, R, "2026-05-12T00:00:00Z",
                 "2026-05-12T00:00:00+00:00", id="utc-midnight-reg1182-7d"),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "received", "kind", "mode", "due_utc", "due_local"), TRICKY)
def test_hand_derived_deadline(
    zone: str, received: str, kind: tuple[bool, str], mode: DeadlineMode, due_utc: str, due_local: str
) -> None:
    urgent, availability = kind
    result = compute_deadline(
        at(received), urgent=urgent, availability=availability, mode=mode, timezone=zone
    )
    assert result.due_utc == at(due_utc)
    assert result.due_utc.tzinfo is UTC
    assert result.due_local.isoformat() == due_local
    assert result.received_at == at(received)
    assert result.suspended == timedelta(0)


BASE = "2026-05-04T08:00:00+00:00"  # urgent + direct, elapsed: due 16:00Z without suspension


def _suspended(*spans: tuple[str, str]) -> list[tuple[datetime, datetime]]:
    return [(at(f"2026-05-04T{start}:00+00:00"), at(f"2026-05-04T{end}:00+00:00")) for start, end in spans]


SUSPENSIONS = [
    # [09:00, 11:00] and [10:00, 12:30] overlap: merged to [09:00, 12:30], 3 h 30 counted once.
    pytest.param(
        _suspended(("09:00", "11:00"), ("10:00", "12:30")), "19:30", "PT3H30M", 1, id="overlap-merged"
    ),
    # [07:00, 08:30] began before the 08:00 receipt: clipped to [08:00, 08:30], 30 min.
    pytest.param(_suspended(("07:00", "08:30")), "16:30", "PT30M", 1, id="clipped-at-receipt"),
    # Wholly before receipt: nothing to suspend.
    pytest.param(_suspended(("06:00", "07:00")), "16:00", "PT0S", 0, id="before-receipt-dropped"),
    # Starts at 17:00, after the limit ran out at 16:00: it cannot revive the limit.
    pytest.param(_suspended(("17:00", "18:00")), "16:00", "PT0S", 0, id="after-due-ignored"),
    # [15:00, 16:30] pushes the due time to 17:30, so [17:00, 17:45] now starts before it and counts:
    # 16:00 + 1 h 30 + 45 min = 18:15.
    pytest.param(_suspended(("17:00", "17:45"), ("15:00", "16:30")), "18:15", "PT2H15M", 2, id="chained"),
    # Touching intervals merge into one [09:00, 11:00].
    pytest.param(
        _suspended(("09:00", "10:00"), ("10:00", "11:00")), "18:00", "PT2H", 1, id="touching-merged"
    ),
    pytest.param(_suspended(("09:00", "09:00")), "16:00", "PT0S", 0, id="zero-length"),
]


@pytest.mark.parametrize(("suspensions", "due", "suspended", "intervals"), SUSPENSIONS)
def test_suspension_rules(
    suspensions: list[tuple[datetime, datetime]], due: str, suspended: str, intervals: int
) -> None:
    result = compute_deadline(
        at(BASE), urgent=True, availability=Availability.DIRECT, suspensions=suspensions
    )
    assert result.due_utc == at(f"2026-05-04T{due}:00+00:00")
    assert result.suspended_iso == suspended
    assert len(result.counted_suspensions) == intervals
    assert result.due_utc - result.received_at == timedelta(hours=8) + result.suspended


def test_suspension_across_spring_forward_counts_elapsed_time() -> None:
    # 01:30+01:00 to 03:30+02:00 reads 2 wall-clock hours but is 00:30Z-01:30Z, 1 elapsed hour.
    # Received 00:30+01:00 (23:30Z); 23:30Z + 8 h + 1 h = 08:30Z = 10:30+02:00.
    result = compute_deadline(
        at("2026-03-29T00:30:00+01:00"),
        urgent=True,
        availability="DIRECT",
        timezone="Europe/Vienna",
        suspensions=[(at("2026-03-29T01:30:00+01:00"), at("2026-03-29T03:30:00+02:00"))],
    )
    assert result.suspended == timedelta(hours=1)
    assert result.due_local.isoformat() == "2026-03-29T10:30:00+02:00"


def test_suspension_in_reg1182_day_period_pushes_the_midnight_back() -> None:
    # Unsuspended due 2026-03-31T22:00Z (row vienna-2330-spring-reg1182-3d) + 6 h = 2026-04-01T04:00Z.
    result = compute_deadline(
        at("2026-03-28T23:30:00+01:00"),
        urgent=True,
        availability="INDIRECT",
        mode="reg1182",
        timezone="Europe/Vienna",
        suspensions=[(at("2026-03-30T10:00:00Z"), at("2026-03-30T16:00:00Z"))],
    )
    assert result.due_utc == at("2026-04-01T04:00:00Z")
    assert result.due_local.isoformat() == "2026-04-01T06:00:00+02:00"
    assert "R-25" in result.explanation
    assert "unverified" in result.basis_status["suspension"]


def test_suspension_before_reg1182_counting_starts_still_counts() -> None:
    # Received 10:20Z; unsuspended due 11:00 + 8 h = 19:00Z. The clarification [10:30, 10:50] lies before
    # the first counted hour, but the rule pushes the due time back by every suspended minute: 19:20Z.
    result = compute_deadline(
        at("2026-05-04T10:20:00Z"),
        urgent=True,
        availability="DIRECT",
        mode="reg1182",
        suspensions=[(at("2026-05-04T10:30:00Z"), at("2026-05-04T10:50:00Z"))],
    )
    assert result.due_utc == at("2026-05-04T19:20:00Z")


@pytest.mark.parametrize(
    ("urgent", "availability", "limit", "basis"),
    [
        (True, Availability.DIRECT, timedelta(hours=8), "Art 5(1)(a)"),
        (True, Availability.INDIRECT, timedelta(days=3), "Art 5(1)(b)"),
        (False, Availability.DIRECT, timedelta(days=7), "Art 5(1)(c)"),
        (False, Availability.INDIRECT, timedelta(days=7), "Art 5(1)(c)"),
    ],
)
def test_limit_for(urgent: bool, availability: Availability, limit: timedelta, basis: str) -> None:
    assert limit_for(urgent, availability) == (limit, basis)
    result = compute_deadline(at(BASE), urgent=urgent, availability=availability)
    assert (result.limit, result.basis) == (limit, basis)
    assert result.limit_iso == {"Art 5(1)(a)": "PT8H", "Art 5(1)(b)": "P3D", "Art 5(1)(c)": "P7D"}[basis]
    assert result.requirement == {"Art 5(1)(a)": "R-10", "Art 5(1)(b)": "R-11", "Art 5(1)(c)": "R-12"}[basis]


def test_explanation_tells_the_reading_and_the_days_counted() -> None:
    result = compute_deadline(
        at("2026-03-28T23:30:00+01:00"), urgent=False, availability="DIRECT", mode=R, timezone="Europe/Vienna"
    )
    assert "Art 5(1)(c)" in result.explanation
    assert "day of receipt (2026-03-28, Europe/Vienna) does not count" in result.explanation
    assert "24:00 on 2026-04-04" in result.explanation
    assert "unverified" in result.basis_status["reading"]
    elapsed = compute_deadline(at("2026-03-28T23:30:00+01:00"), urgent=False, availability="DIRECT")
    assert "Elapsed reading" in elapsed.explanation
    assert "unverified" not in elapsed.basis_status["reading"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"received_at": datetime(2026, 5, 4, 8)}, "received_at 2026-05-04T08:00:00 has no UTC offset"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"timezone": "/etc/passwd"}, "unknown time zone"),
        ({"suspensions": [(datetime(2026, 5, 4, 9), at("2026-05-04T10:00Z"))]}, "suspension 1 start"),
        ({"suspensions": [(at("2026-05-04T11:00Z"), at("2026-05-04T10:00Z"))]}, "suspension 1 ends at"),
        ({"received_at": datetime(9999, 12, 31, tzinfo=UTC), "urgent": False, "mode": R}, "too near the end"),
        ({"received_at": datetime(9999, 12, 31, 23, 30, tzinfo=UTC), "mode": R}, "too near the end"),
        ({"received_at": at("0001-01-01T00:00:00+01:00")}, "outside the calendar"),
    ],
)
def test_refuses_bad_input_with_a_clear_error(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "received_at": at(BASE),
        "urgent": True,
        "availability": "DIRECT",
    } | kwargs
    with pytest.raises(DeadlineInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compute_deadline(**arguments)  # type: ignore[arg-type]


def test_unknown_availability_and_mode_are_refused() -> None:
    with pytest.raises(ValueError, match="SOMETIMES"):
        compute_deadline(at(BASE), urgent=True, availability="SOMETIMES")
    with pytest.raises(ValueError, match="calendar"):
        compute_deadline(at(BASE), urgent=True, availability="DIRECT", mode="calendar")


def test_deadline_is_frozen() -> None:
    result = compute_deadline(at(BASE), urgent=True, availability="DIRECT")
    with pytest.raises(ValidationError):
        result.due_utc = at("2030-01-01T00:00Z")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(hours=8), "PT8H"),
        (timedelta(days=3), "PT72H"),
        (timedelta(hours=2, minutes=15), "PT2H15M"),
        (timedelta(seconds=1, microseconds=500_000), "PT1.5S"),
        (timedelta(microseconds=1), "PT0.000001S"),
        (-timedelta(minutes=30), "-PT30M"),
    ],
)
def test_iso_duration(span: timedelta, text: str) -> None:
    assert iso_duration(span) == text
