"""Scenarios that last longer than the tolerance a check applies, so that ignoring an obligation shows.

A check that accepts a silence of up to N is blind to a CMS that never speaks when every scenario ends
within N. Each scenario here outlasts the tolerance it is written against by a multiple of it (taken from
the campaign's settings, so a wider configured tolerance gives a longer scenario).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from conformance.scenarios.base import Scenario, ScenarioContext, register
from conformance.scenarios.flows import await_answers, belongs_to, decide, fixture, send_incoming
from conformance.scenarios.incoming import _ANY_INCOMING

__all__ = ["JudicialPendingLong"]

# How many Art 5(2) update intervals the authorisation stays pending: a CMS sending no update after its
# first delay notice is then silent for three times the longest silence the R-15 check accepts.
PENDING_INTERVALS = 3


@register
class JudicialPendingLong(Scenario):
    name = "incoming.judicial-pending-long"
    title = "Judicial authorisation pending for three update intervals (6 days by default) before it is granted"
    requirements = _ANY_INCOMING | {"R-12", "R-15", "R-46", "R-99"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: payment card transactions of the last year",
                        judicial_authorisation="PENDING", data_categories=["PERSONAL_DETAILS", "FINANCIAL"])]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="BE", requested_state=ctx.state, requester="SPOC-BE",
                                    subject=self.subject, items=[f"Payment card transactions of {self.subject}"])
        exchange, message = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 3, 27), 16, 0), requester="SPOC-BE", request=request, availability="DIRECT",
            expected={"I1": "provide"}, facts={"judicial": "granted"}, labels=("long-running",),
        )
        pending = ctx.settings.delay_update_within * PENDING_INTERVALS
        notice = await ctx.wait_for(lambda m: belongs_to(m, exchange) and m.kind in ("DELAY_NOTICE", "REPLY",
                                                                                     "REFUSAL"),
                                    until=message.created_at + timedelta(hours=4))
        if notice is None or notice.kind != "DELAY_NOTICE":
            return await await_answers(ctx, exchange)
        exchange.add_event("delay_notice", notice.created_at, notice.message_id)
        await ctx.at(notice.created_at + pending)
        if await decide(ctx, exchange, {"action": "judicial_granted"},
                        instructions="record that the court granted the judicial authorisation"):
            exchange.add_event("judicial_granted", ctx.now)
            ctx.mark(ctx.now + ctx.settings.after_grant_tolerance)
        await await_answers(ctx, exchange, until=ctx.now + timedelta(days=1))
