"""An office calendar: opening hours, weekends and public holidays, in the SPOC's local time.

The correct CMS never consults it: the SPOC works 24 hours a day, 7 days a week (Art 14(3)(a)(ii))
and the Art 5(1) limits run in calendar days. Named defects do, as CMS configurations copied from an
ordinary police office would: e.g. 'office-hours-only' (requests wait for the office to open) and
'deadline-in-working-days' (the 7-day limit counted in working days). The holidays are the ones most
member states share (New Year, Good Friday, Easter Monday, 1 May, Christmas and the day after).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

__all__ = ["OFFICE_CLOSES", "OFFICE_OPENS", "add_working_days", "is_working_day", "next_office_moment",
           "public_holidays"]

OFFICE_OPENS = time(8, 0)
OFFICE_CLOSES = time(17, 0)


def _easter_sunday(year: int) -> date:
    # The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    day = (h + weekday_shift - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


@cache
def public_holidays(year: int) -> frozenset[date]:
    easter = _easter_sunday(year)
    return frozenset({
        date(year, 1, 1), easter - timedelta(days=2), easter + timedelta(days=1), date(year, 5, 1),
        date(year, 12, 25), date(year, 12, 26),
    })


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_office_moment(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` if the office is open then, else when it next opens (an aware datetime in `moment`'s zone)."""
    local = moment.astimezone(zone)
    if is_working_day(local.date()) and OFFICE_OPENS <= local.time() < OFFICE_CLOSES:
        return moment
    day = local.date() if local.time() < OFFICE_OPENS else local.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OFFICE_OPENS, tzinfo=zone).astimezone(moment.tzinfo)


def add_working_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same local time of day on the `days`-th working day after `moment`'s local date."""
    local = moment.astimezone(zone)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(moment.tzinfo)
