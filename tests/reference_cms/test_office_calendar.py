"""The office calendar the defects 'office-hours-only' and 'deadline-in-working-days' work to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from simulators.reference_cms.office_calendar import (
    add_working_days,
    is_working_day,
    next_office_moment,
    public_holidays,
)

VIENNA = ZoneInfo("Europe/Vienna")


@pytest.mark.parametrize(("year", "good_friday", "easter_monday"), [
    (2024, date(2024, 3, 29), date(2024, 4, 1)),
    (2026, date(2026, 4, 3), date(2026, 4, 6)),
    (2027, date(2027, 3, 26), date(2027, 3, 29)),
    (2038, date(2038, 4, 23), date(2038, 4, 26)),
])
def test_easter_holidays(year: int, good_friday: date, easter_monday: date) -> None:
    holidays = public_holidays(year)
    assert {good_friday, easter_monday, date(year, 1, 1), date(year, 5, 1), date(year, 12, 25)} <= holidays
    assert not is_working_day(good_friday)
    assert not is_working_day(easter_monday)


@pytest.mark.parametrize(("received", "opens"), [
    # Friday 23:30 CET: Monday 08:00 CEST (the clocks changed on Sunday).
    (datetime(2026, 3, 27, 22, 30, tzinfo=UTC), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
    # Good Friday 11:00: past Easter Monday to Tuesday 08:00.
    (datetime(2026, 4, 3, 9, 0, tzinfo=UTC), datetime(2026, 4, 7, 6, 0, tzinfo=UTC)),
    # Monday 07:59 local: the same morning at 08:00.
    (datetime(2026, 3, 30, 5, 59, tzinfo=UTC), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
    # Within office hours: at once.
    (datetime(2026, 3, 30, 10, 0, tzinfo=UTC), datetime(2026, 3, 30, 10, 0, tzinfo=UTC)),
    # Maundy Thursday 17:00 local (closing time): Tuesday after Easter, 08:00.
    (datetime(2026, 4, 2, 15, 0, tzinfo=UTC), datetime(2026, 4, 7, 6, 0, tzinfo=UTC)),
])
def test_next_office_moment(received: datetime, opens: datetime) -> None:
    assert next_office_moment(received, VIENNA) == opens


def test_seven_working_days_span_more_than_seven_calendar_days() -> None:
    # Saturday 28 March 15:00 CET: 30, 31 March, 1, 2, 7, 8, 9 April (Good Friday and Easter Monday skipped).
    due = add_working_days(datetime(2026, 3, 28, 14, 0, tzinfo=UTC), 7, VIENNA)
    assert due == datetime(2026, 4, 9, 13, 0, tzinfo=UTC)  # 15:00 CEST
