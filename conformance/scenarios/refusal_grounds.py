"""One incoming request for each Art 6(1) ground the other scenarios do not already exercise.

With incoming.refusal (MO), incoming.originator-consent (OC), incoming.data-quality (DQ),
incoming.partial-refusal (JI) and incoming.judicial-refused (JR), every ground of the exhaustive
list is asked for once, so that the Gherkin refusal outline (features/chapter_2_spoc_exchange/
art_06_refusal.feature) and the Art 18(2)(c) statistics by ground see all eleven:
- NA: the national databases hold nothing on the subject;
- NC: the request lacks the Art 4(5)(c) reasons and the requester's clarification does not supply
  them, so it still does not meet Art 4 after Art 6(3) was tried;
- PD: the only data held on a witness are health data, outside Annex II Section B for witnesses;
- NS, LP, NO: the fixtures mark the information with that ground (the SUT test interface's way of
  telling the CMS what national law says about it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from conformance.actors import DirectiveActor
from conformance.scenarios.base import ScenarioContext, register
from conformance.scenarios.flows import await_answers, belongs_to, send_incoming
from conformance.scenarios.incoming import _Incoming

__all__ = [
    "NationalSecurityRefusal",
    "NotACrimeRefusal",
    "NotAvailableRefusal",
    "NotCompliantRefusal",
    "OutsideCategoriesRefusal",
    "ProtectedLegalPersonRefusal",
]


class _Ground(_Incoming):
    day: ClassVar[date] = date(2026, 4, 2)


@register
class NotAvailableRefusal(_Ground):
    name = "incoming.refusal-not-available"
    title = "A request about a person the national databases hold nothing on is refused on ground NA"
    requester = "SPOC-RO"
    hour = (9, 0)
    expected_outcome = "NA"

    def fixtures(self) -> list[dict[str, Any]]:
        return []


@register
class OutsideCategoriesRefusal(_Ground):
    name = "incoming.refusal-personal-data"
    title = "Only health data are held on a witness, outside Annex II Section B: refused on ground PD"
    requester = "SPOC-BG"
    hour = (9, 30)
    record_fields: ClassVar[dict[str, Any]] = {"subject_category": "WITNESS", "data_categories": ["HEALTH"]}
    expected_outcome = "PD"


@register
class NationalSecurityRefusal(_Ground):
    name = "incoming.refusal-national-security"
    title = "Providing the information would harm national security: refused on ground NS"
    requester = "SPOC-IE"
    hour = (11, 30)
    record_fields: ClassVar[dict[str, Any]] = {"refusal_ground": "NS"}
    expected_outcome = "NS"


@register
class ProtectedLegalPersonRefusal(_Ground):
    name = "incoming.refusal-legal-person"
    title = "Providing the information would unduly harm a legal person's protected interests: ground LP"
    requester = "SPOC-MT"
    hour = (12, 0)
    record_fields: ClassVar[dict[str, Any]] = {"refusal_ground": "LP"}
    expected_outcome = "LP"


@register
class NotACrimeRefusal(_Ground):
    name = "incoming.refusal-not-a-crime"
    title = "The matter is not a criminal offence under the requested state's law: refused on ground NO"
    requester = "SPOC-CY"
    hour = (12, 30)
    record_fields: ClassVar[dict[str, Any]] = {"refusal_ground": "NO"}
    expected_outcome = "NO"


@register
class NotCompliantRefusal(_Ground):
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.refusal-not-compliant"
    title = "A request still lacking the Art 4(5)(c) reasons after clarification is refused on ground NC"
    requester = "SPOC-FI"
    day = date(2026, 4, 1)
    hour = (11, 0)
    expected_outcome = "NC"

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(
            requesting_state="FI",
            requested_state=ctx.state,
            requester=self.requester,
            subject=self.subject,
            items=[self.item],
            complete=False,
        )
        exchange, message = await send_incoming(
            ctx,
            key=self.name,
            title=self.title,
            requirements=sorted(self.requirements),
            at=ctx.local(self.day, *self.hour),
            requester=self.requester,
            request=request,
            availability=self.availability,
            expected={"I1": "NC"},
        )
        asked = await ctx.wait_for(
            lambda m: belongs_to(m, exchange) and m.kind in ("CLARIFICATION_REQUEST", "REPLY", "REFUSAL"),
            until=message.created_at + timedelta(days=8),
        )
        if asked is None or asked.kind != "CLARIFICATION_REQUEST":
            return await await_answers(ctx, exchange)
        exchange.add_event(
            "clarification_requested", asked.delivered_at(self.requester) or asked.created_at, asked.message_id
        )
        await ctx.after(timedelta(hours=2))
        actor = ctx.network.actor(self.requester)
        assert isinstance(actor, DirectiveActor)
        # The answer does not give the missing reasons: the request still does not meet Art 4(5)(c).
        answer = await actor.clarify(
            asked,
            reference=request.reference,
            language=request.language,
            answers="We cannot say more about why the information would be held.",
            amended=request,
            scenario=ctx.name,
        )
        exchange.add_event("clarification_received", answer.created_at, answer.message_id)
        ctx.watch_deadlines(exchange)
        await await_answers(ctx, exchange)
