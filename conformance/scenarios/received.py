"""Information and copies the SUT receives without being asked to answer, and the retention phase.

- own-initiative information from a foreign SPOC (Art 7(1)): recorded (Art 16(1)(a)) and not a request;
- the copy of Art 7(3) §2: a foreign competent authority provides information to a domestic one and
  copies the SUT's SPOC, which must record and cross-check it (Art 16(1)(d)) and must not count it
  as a request received (Art 18(2)(b));
- the retention review (Art 16(3)-(4)): after the main timeline, network time jumps past the review
  dates the SUT planned, and the review must have happened.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from conformance.ledger import ExchangeKind
from conformance.scenarios.base import Scenario, ScenarioContext, register
from conformance.scenarios.flows import fixture
from simulators.model.directive import DirectiveMessage, InformationItem, MessageKind, PersonalDataCategory
from simulators.model.parties import PartyKind, all_parties

__all__ = ["CopyOfOwnInitiative", "IncomingOwnInitiative", "RetentionReview"]


def _information(subject: str, text: str, now: Any) -> list[InformationItem]:
    return [InformationItem(item_id="OI1", content=f"{subject}: {text}",
                            data_categories=[PersonalDataCategory.PERSONAL_DETAILS,
                                             PersonalDataCategory.CRIMINAL_CONDUCT],
                            source_reliability="B", information_accuracy="2", last_updated=now)]


@register
class IncomingOwnInitiative(Scenario):
    name = "received.own-initiative"
    title = "The Finnish SPOC provides information to the SUT's SPOC on its own initiative"
    flow = ExchangeKind.OWN_INITIATIVE_IN

    async def run(self, ctx: ScenarioContext) -> None:
        await ctx.at(ctx.local(date(2026, 4, 2), 11, 0))
        subject = self.data.person()
        finland = ctx.network.spoc("FI")
        reference = self.data.reference("FI")
        message = await finland.own_initiative(to=ctx.spoc, reference=reference, language="en",
                                               information=_information(subject, "seen with stolen goods", ctx.now),
                                               scenario=ctx.name)
        exchange = ctx.exchange(self.name, kind=ExchangeKind.OWN_INITIATIVE_IN, title=self.title,
                                requirements=sorted(self.requirements), reference=reference,
                                message_id=message.message_id, counterpart="SPOC-FI", subject=subject,
                                sent_at=message.created_at, language="en")
        exchange.add_event("sent", message.created_at, message.message_id)
        await ctx.after(timedelta(hours=2))


@register
class CopyOfOwnInitiative(Scenario):
    name = "received.art7-copy"
    title = ("An Italian competent authority informs the joint police cooperation centre and copies the SUT's "
             "SPOC (Art 7(3) §2)")
    flow = ExchangeKind.DOMESTIC_COPY
    requirements = frozenset({"R-84"})  # a copy on a person the SPOC holds information on: the cross-check

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        # Held information on the person, so that cross-checking the copy must find a match.
        return [fixture(self.subject, f"{self.subject}: suspected of receiving stolen goods (2025)")]

    async def run(self, ctx: ScenarioContext) -> None:
        await ctx.at(ctx.local(date(2026, 3, 30), 16, 0))
        # The recipient is a competent authority the SUT does not operate (a joint centre of two states,
        # Art 2(1)), so the SPOC holds the exchange only through the copy.
        centre = next((p.id for p in all_parties().values()
                       if p.kind is PartyKind.PCCC and p.id.startswith(f"PCCC-{ctx.state}-")), None)
        foreign = centre.split("-")[2] if centre else "DE"
        sender = ctx.network.competent(foreign)
        reference = self.data.reference(foreign)
        information = _information(self.subject, "rented a van used in a burglary near the border", ctx.now)
        directive = DirectiveMessage(kind=MessageKind.OWN_INITIATIVE, case_reference=reference, language="en",
                                     information=information)
        recipient = centre or f"LEA-{ctx.state}"
        entity = {"entity_id": "P1", "type": "PERSON", "attributes": {"name": self.subject},
                  "subject_category": "SUSPECT"}
        message = await sender.send_siena(directive, to=[recipient], cc=[ctx.spoc], scenario=ctx.name,
                                          subject=f"Spontaneous information {reference}", body="Own initiative",
                                          extra={"entities": [entity]})
        exchange = ctx.exchange(self.name, kind=ExchangeKind.DOMESTIC_COPY, title=self.title,
                                requirements=sorted(self.requirements), reference=reference,
                                message_id=message.message_id, counterpart=sender.id, subject=self.subject,
                                sent_at=message.created_at, language="en",
                                facts={"copy_reason": "ART_7_3", "recipient": ctx.spoc, "held_subject": self.subject})
        exchange.add_event("sent", message.created_at, message.message_id)
        await ctx.after(timedelta(hours=2))


@register
class RetentionReview(Scenario):
    name = "retention.review"
    title = "Network time passes beyond the retention reviews the SUT planned for the concluded exchanges"
    flow = ExchangeKind.RETENTION
    requirements = frozenset({"R-90", "R-91"})
    phase = 2

    async def run(self, ctx: ScenarioContext) -> None:
        exchange = ctx.exchange(self.name, kind=ExchangeKind.RETENTION, title=self.title,
                                requirements=sorted(self.requirements), sent_at=ctx.now)
        cases = await ctx.sut.cases()
        planned = [c.retention_review_due for c in cases if c.retention_review_due is not None]
        limit = ctx.now + ctx.settings.retention_review_within
        target = max([*planned, limit]) if planned else limit
        # Look no further than the legal limit plus a day: a review planned later is late anyway.
        target = min(target, limit) + timedelta(days=1)
        exchange.facts["reviews_planned"] = len(planned)
        exchange.facts["jump_to"] = target.isoformat()
        exchange.add_event("retention_phase_start", ctx.now)
        await ctx.at(target, coarse=True)
        exchange.add_event("retention_phase_end", ctx.now)
