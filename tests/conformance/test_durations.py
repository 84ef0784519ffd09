"""Recorded ISO 8601 durations are read as the span they cover and compared with a tolerance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conformance.durations import DurationError, recorded_span, same_span
from conformance.settings import CampaignSettings

VIENNA = ZoneInfo("Europe/Vienna")
# Saturday 28 March 2026, 12:00 in Vienna: the clocks go forward in the night to Sunday.
BEFORE_DST = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
ORDINARY = datetime(2026, 4, 8, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "start", "elapsed"), [
    ("PT48H", BEFORE_DST, timedelta(hours=48)),
    ("P2D", BEFORE_DST, timedelta(hours=47)),
    ("P2D", ORDINARY, timedelta(hours=48)),
    ("P1DT2H30M", ORDINARY, timedelta(hours=26, minutes=30)),
    ("P1W", ORDINARY, timedelta(days=7)),
    ("PT0.182163S", ORDINARY, timedelta(microseconds=182163)),
    ("PT1,5H", ORDINARY, timedelta(minutes=90)),
    ("PT0S", ORDINARY, timedelta(0)),
    ("-PT5M", ORDINARY, -timedelta(minutes=5)),
])
def test_recorded_span(text: str, start: datetime, elapsed: timedelta) -> None:
    assert recorded_span(text, start, VIENNA) == elapsed


@pytest.mark.parametrize("text", ["P1Y", "P1M", "P", "PT", "P1DT", "48 hours", "", "PT5H3"])
def test_forms_the_contract_does_not_accept(text: str) -> None:
    with pytest.raises(DurationError):
        recorded_span(text, ORDINARY, VIENNA)


def test_a_suspension_recorded_to_the_microsecond_matches_none_within_the_tolerance() -> None:
    tolerance = CampaignSettings().duration_tolerance
    assert same_span("PT0.182163S", ORDINARY, VIENNA, timedelta(0), tolerance)
    assert not same_span("PT1.5S", ORDINARY, VIENNA, timedelta(0), tolerance)
    assert same_span("P2D", BEFORE_DST, VIENNA, timedelta(hours=47), tolerance)
    assert not same_span("PT48H", BEFORE_DST, VIENNA, timedelta(hours=47), tolerance)
    assert not same_span("P1M", ORDINARY, VIENNA, timedelta(days=30), tolerance)
