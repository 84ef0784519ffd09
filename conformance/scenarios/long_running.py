"""Scenarios that last longer than the tolerance a check applies, so that ignoring an obligation shows.

A check that accepts a silence of up to N is blind to a CMS that never speaks when every scenario ends
within N. Each scenario here outlasts the tolerance it is written against by a multiple of it (taken from
the campaign's settings, so a wider configured tolerance gives a longer scenario).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import ClassVar

from conformance.scenarios.base import ScenarioContext, register
from conformance.scenarios.procedures import JudicialGranted

__all__ = ["JudicialPendingLong"]

# How many Art 5(2) update intervals the authorisation stays pending: a CMS sending no update after its
# first delay notice is then silent for three times the longest silence the R-15 check accepts.
PENDING_INTERVALS = 3


@register
class JudicialPendingLong(JudicialGranted):
    """The granted-authorisation flow of `JudicialGranted`, with the court taking three update intervals."""

    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "indirect", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.judicial-pending-long"
    title = ("Judicial authorisation pending for three update intervals (6 days by default) before it is granted; "
             "meanwhile the operator hands the request over to the competent authority keeping the records")
    requirements = frozenset({"R-15", "R-46", "R-62", "R-82", "R-99"})  # a court, then a hand-over
    requester = "SPOC-BE"
    received = (date(2026, 3, 27), 16)
    record_text = "payment card transactions of the last year"
    item_text = "Payment card transactions of"
    notice_within = timedelta(hours=4)
    answer_within = timedelta(days=1)
    labels = ("long-running",)
    # Card transactions are held by the banks: obtained through the competent authority once the court allows it.
    availability = "INDIRECT"
    hand_over_while_pending = True

    def grant_delay(self, ctx: ScenarioContext) -> timedelta:
        return ctx.settings.delay_update_within * PENDING_INTERVALS
