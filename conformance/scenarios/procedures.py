"""Incoming requests that need a procedure: clarification (Art 6(3)), judicial authorisation (Art 5(2)),
a SIENA outage (Art 13(2)(c)) and a channel that delivers twice (Art 16(1)(a), (f)).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from conformance.actors import DirectiveActor, InterpolNcb
from conformance.ledger import Exchange, ExchangeKind
from conformance.scenarios.base import Scenario, ScenarioContext, register
from conformance.scenarios.flows import await_answers, belongs_to, decide, fixture, send_incoming
from conformance.settings import TimeMode
from simulators.model.directive import ChannelException, DirectiveMessage, MessageKind, RequestedItem

__all__ = ["Clarification", "CourtGranted", "CourtSplitDecision", "DuplicateDelivery", "InterpolThirdCountry",
           "JudicialGranted", "JudicialRefused",
           "OperatorClarification", "SienaOutage"]

CLARIFICATION_DELAY = timedelta(days=2)
OPERATOR_READS = timedelta(minutes=25)
GRANT_DELAY = timedelta(days=2)
OUTAGE = timedelta(hours=12)


@register
class Clarification(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.clarification"
    title = "An urgent request without the Art 4(5)(c) reasons; the requester clarifies two days later"
    requirements = frozenset({"R-24", "R-25"})  # an incomplete request, clarified

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: holder of firearms licence 4471/2019")]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="SI", requested_state=ctx.state, requester="SPOC-SI",
                                    subject=self.subject, items=[f"Firearms held by {self.subject}"],
                                    urgent=True, complete=False)
        exchange, message = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 3, 28), 9, 0), requester="SPOC-SI", request=request, availability="DIRECT",
            expected={"I1": "provide"}, labels=("weekend",), facts={"incomplete": ["availability_reasons"]},
        )
        asked = await ctx.wait_for(
            lambda m: belongs_to(m, exchange) and m.kind in ("CLARIFICATION_REQUEST", "REPLY", "REFUSAL"),
            until=message.created_at + timedelta(days=8),
        )
        if asked is None or asked.kind != "CLARIFICATION_REQUEST":
            return await await_answers(ctx, exchange)
        received = asked.delivered_at(asked.to[0]) or asked.created_at
        exchange.add_event("clarification_requested", received, asked.message_id)
        await ctx.at(asked.created_at + CLARIFICATION_DELAY)
        actor = ctx.network.actor("SPOC-SI")
        assert isinstance(actor, DirectiveActor)
        amended = request.model_copy(update={
            "availability_reasons": f"{self.subject} holds an {ctx.state} firearms licence according to a 2024 check"
        })
        answer = await actor.clarify(asked, reference=request.reference, language=request.language,
                                     answers=amended.availability_reasons or "", amended=amended, scenario=ctx.name)
        exchange.add_event("clarification_received", answer.created_at, answer.message_id)
        ctx.watch_deadlines(exchange)
        await await_answers(ctx, exchange)


@register
class OperatorClarification(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.operator-clarification"
    title = ("An urgent request the operator finds unclear 25 minutes after receipt; the requester clarifies "
             "two days later, and the 8 hours resume where they stopped")
    requirements = frozenset({"R-24", "R-25"})  # an incomplete request, clarified

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: registered keeper of a white Ford Transit")]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="FI", requested_state=ctx.state, requester="SPOC-FI",
                                    subject=self.subject, items=[f"Vehicles kept by {self.subject}"], urgent=True)
        # 21:55, so that the Reg 1182/71 reading (which starts at the next full hour) adds only 5 minutes.
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 4, 2), 21, 55), requester="SPOC-FI", request=request, availability="DIRECT",
            expected={"I1": "provide"}, labels=("night",), facts={"operator_clarification": True},
        )
        await ctx.after(OPERATOR_READS)
        if any(belongs_to(m, exchange) for m in ctx.ledger.from_sut()):
            exchange.problems.append("the SUT answered before the operator could ask for clarification")
            return await await_answers(ctx, exchange)
        questions = "Please state whether the vehicle was rented or owned at the time of the offence."
        if not await decide(ctx, exchange, {"action": "clarify", "questions": questions},
                            instructions=f"ask the requester for clarification: {questions}"):
            return await await_answers(ctx, exchange)
        asked = await ctx.wait_for(lambda m: belongs_to(m, exchange) and m.kind == "CLARIFICATION_REQUEST",
                                   until=ctx.now + timedelta(hours=1))
        if asked is None:
            exchange.problems.append("no clarification request followed the operator's decision")
            return await await_answers(ctx, exchange)
        exchange.add_event("clarification_requested", asked.delivered_at(asked.to[0]) or asked.created_at,
                           asked.message_id)
        exchange.facts["incomplete"] = ["asked by the operator"]
        await ctx.at(asked.created_at + CLARIFICATION_DELAY)
        actor = ctx.network.actor("SPOC-FI")
        assert isinstance(actor, DirectiveActor)
        answer = await actor.clarify(asked, reference=request.reference, language=request.language,
                                     answers="The vehicle was owned by the suspect since 2024.", scenario=ctx.name)
        exchange.add_event("clarification_received", answer.created_at, answer.message_id)
        ctx.watch_deadlines(exchange)
        await await_answers(ctx, exchange)


@register
class JudicialGranted(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.judicial-granted"
    title = "Information that needs judicial authorisation, granted two days after the delay notice"
    # the case is concluded when the court's decision lets the last item be answered (Art 16(4) runs from then).
    requirements = frozenset({"R-15", "R-46", "R-91", "R-99"})  # a court's authorisation
    # What a variant changes: who asks, when, about what, and how long each wait lasts.
    requester: ClassVar[str] = "SPOC-HR"
    received: ClassVar[tuple[date, int]] = (date(2026, 3, 30), 10)
    record_text: ClassVar[str] = "bank accounts at two Austrian banks"
    item_text: ClassVar[str] = "Bank accounts of"
    notice_within: ClassVar[timedelta] = timedelta(days=8)
    answer_within: ClassVar[timedelta] = timedelta(days=8)
    labels: ClassVar[tuple[str, ...]] = ()
    availability: ClassVar[str] = "DIRECT"
    # Whether the operator hands the request over to the domestic competent authority while it waits for the
    # court (Art 14(2)(b)): the authority can return nothing before the court authorised it.
    hand_over_while_pending: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: {self.record_text}", availability=self.availability,
                        judicial_authorisation="PENDING", data_categories=["PERSONAL_DETAILS", "FINANCIAL"])]

    def grant_delay(self, ctx: ScenarioContext) -> timedelta:
        """How long after the delay notice the court grants the authorisation."""
        return GRANT_DELAY

    async def hand_over(self, ctx: ScenarioContext, exchange: Exchange) -> None:
        """The operator channels the request to the authority keeping the register, which applies to the court."""
        await ctx.after(OPERATOR_READS)
        authority = f"LEA-{ctx.state}"
        exchange.facts["hand_over_requested"] = authority
        if await decide(ctx, exchange, {"action": "hand_over", "authority": authority,
                                        "reasons": "the register is kept by the competent authority, which applies "
                                                   "for the judicial authorisation"},
                        instructions=f"hand the request, which awaits judicial authorisation, over to {authority}"):
            exchange.add_event("handed_over", ctx.now, detail=authority)
            exchange.facts["handed_over_to"] = authority

    async def run(self, ctx: ScenarioContext) -> None:
        state = self.requester.split("-")[1]
        request = self.data.request(requesting_state=state, requested_state=ctx.state, requester=self.requester,
                                    subject=self.subject, items=[f"{self.item_text} {self.subject}"])
        day, hour = self.received
        exchange, message = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(day, hour, 0), requester=self.requester, request=request, availability=self.availability,
            expected={"I1": "provide"}, facts={"judicial": "granted"}, labels=self.labels,
        )
        notice = await ctx.wait_for(lambda m: belongs_to(m, exchange) and m.kind in ("DELAY_NOTICE", "REPLY",
                                                                                     "REFUSAL"),
                                    until=message.created_at + self.notice_within)
        if notice is None or notice.kind != "DELAY_NOTICE":
            return await await_answers(ctx, exchange)
        exchange.add_event("delay_notice", notice.created_at, notice.message_id)
        if self.hand_over_while_pending:
            await self.hand_over(ctx, exchange)
        await ctx.at(notice.created_at + self.grant_delay(ctx))
        if await decide(ctx, exchange, {"action": "judicial_granted"},
                        instructions="record that the court granted the judicial authorisation"):
            exchange.add_event("judicial_granted", ctx.now)
            ctx.mark_judged(ctx.now + ctx.settings.after_grant_tolerance)
        await await_answers(ctx, exchange, until=ctx.now + self.answer_within)


@register
class JudicialRefused(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.judicial-refused"
    title = "Information that needs judicial authorisation, which the court refuses after a day (ground JR)"
    requirements = frozenset({"R-15", "R-46", "R-91", "R-99"})  # a court's authorisation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: telephone subscriber data", judicial_authorisation="REFUSED",
                        judicial_decision_after_hours=24.0, data_categories=["COMMUNICATION_MEANS"])]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="SK", requested_state=ctx.state, requester="SPOC-SK",
                                    subject=self.subject, items=[f"Telephone numbers used by {self.subject}"])
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 3, 31), 15, 0), requester="SPOC-SK", request=request, availability="DIRECT",
            expected={"I1": "JR"}, facts={"judicial": "refused"},
        )
        await await_answers(ctx, exchange)


@register
class CourtGranted(Scenario):
    """The court's grant is known to the register from the start (fixture GRANTED, decided a day after the
    application): the information still waits for it, so the requester hears of the delay at once (Art 5(2))."""
    flow = ExchangeKind.INCOMING_REQUEST

    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.judicial-granted-by-court"
    title = "Information that needs judicial authorisation, which the court grants a day after the application"
    requirements = frozenset({"R-15"})  # a court's authorisation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: vehicle rental contracts", judicial_authorisation="GRANTED",
                        judicial_decision_after_hours=24.0, data_categories=["PERSONAL_DETAILS"])]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="SI", requested_state=ctx.state, requester="SPOC-SI",
                                    subject=self.subject, items=[f"Vehicles rented by {self.subject}"])
        # facts judicial "court-granted": no operator decision stands for the court, so no grant time is known
        # to the harness ([after grant] of R-15 is not judged); the delay notice and the case's record are.
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 4, 1), 11, 0), requester="SPOC-SI", request=request, availability="DIRECT",
            expected={"I1": "provide"}, facts={"judicial": "court-granted"},
        )
        await await_answers(ctx, exchange)


COURT_AFTER_OUTAGE = timedelta(hours=16)  # the court decides after SIENA is back: the case's next message


@register
class CourtSplitDecision(Scenario):
    """One item held in two records: the court grants one after 12 hours and refuses the other after a day.

    The refused record's data may never be disclosed (R-15 judges every reply's content against the fixtures);
    the granted record's part may lawfully be provided, or the item refused whole on JR as the reference CMS
    does, so the item-level outcome is not what is judged. A CMS that lets the grant stand for the whole item
    discloses what the court refused."""

    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.judicial-split-decision"
    title = "An item in two records, one granted and one refused by the court (ground JR)"
    requirements = frozenset({"R-15"})  # a court's authorisation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [
            fixture(self.subject, f"{self.subject}: bank accounts", judicial_authorisation="GRANTED",
                    judicial_decision_after_hours=12.0, data_categories=["FINANCIAL"]),
            fixture(self.subject, f"{self.subject}: call records", judicial_authorisation="REFUSED",
                    judicial_decision_after_hours=24.0, data_categories=["COMMUNICATION_MEANS"]),
        ]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="LV", requested_state=ctx.state, requester="SPOC-LV",
                                    subject=self.subject, items=[f"Bank accounts and call records of {self.subject}"])
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 4, 2), 10, 0), requester="SPOC-LV", request=request, availability="DIRECT",
            expected={"I1": "JR"}, facts={"judicial": "refused"},
        )
        await await_answers(ctx, exchange)


@register
class SienaOutage(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    # No urgency: the urgent request's two companions in the outage are not urgent.
    plan: ClassVar[Mapping[str, str]] = {
        "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "network.siena-outage"
    title = ("SIENA is unavailable to the SUT for 12 hours right after three requests arrive: an urgent one, one "
             "copied to Europol, and one with an item the court decides after the outage")
    requirements = frozenset({"R-55"})  # the fallback on a listed ground

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()
        self.europol_subject = self.data.person()
        self.quick_subject = self.data.person()
        self.court_subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: wanted for questioning by the Graz police"),
                fixture(self.europol_subject, f"{self.europol_subject}: courier of a heroin ring in Linz"),
                fixture(self.quick_subject, f"{self.quick_subject}: registered keeper of a van seen in Villach"),
                fixture(self.court_subject, f"{self.court_subject}: telephone records of March 2026",
                        judicial_authorisation="GRANTED",
                        judicial_decision_after_hours=COURT_AFTER_OUTAGE.total_seconds() / 3600)]

    async def _companions(self, ctx: ScenarioContext, at: datetime) -> tuple[Exchange, Exchange]:
        """Two exchanges whose answers straddle the outage: the channel is a combination as much as urgency is.

        One copied to Europol by its requester (a matter within Europol's objectives, Art 12): its reply falls in
        the outage, so the Europol copy must follow once SIENA is back. One about two persons, one of whose
        records the court must authorise: the first answer falls in the outage, the second after it, and must go
        on SIENA again (Art 13(2)(c) allows another channel only while the incident lasts)."""
        europol = self.data.request(requesting_state="LT", requested_state=ctx.state, requester="SPOC-LT",
                                    subject=self.europol_subject, items=[f"Travel of {self.europol_subject}"])
        copied, _ = await send_incoming(
            ctx, key=f"{self.name}.europol", title="A request copied to Europol, answered during the SIENA outage",
            requirements=sorted(self.requirements), at=at, requester="SPOC-LT", request=europol,
            availability="DIRECT", expected={"I1": "provide"}, labels=("night", "outage"), cc=["EUROPOL"],
            crime_areas=("DRUG_TRAFFICKING",))
        across = self.data.request(requesting_state="LV", requested_state=ctx.state, requester="SPOC-LV",
                                   subject=self.quick_subject, items=[f"Vehicles of {self.quick_subject}"])
        second = across.entities[0].model_copy(update={"entity_id": "P2", "attributes": {"name": self.court_subject}})
        across = across.model_copy(update={
            "entities": [*across.entities, second],
            "items": [*across.items, RequestedItem(item_id="I2", description=f"Calls of {self.court_subject}",
                                                   entity_id="P2")]})
        split, _ = await send_incoming(
            ctx, key=f"{self.name}.across", title="A request answered in part during the outage, in part after it",
            requirements=sorted(self.requirements), at=at, requester="SPOC-LV", request=across,
            availability="DIRECT", expected={"I1": "provide", "I2": "provide"}, labels=("night", "outage"),
            facts={"judicial": "court-granted"})
        return copied, split

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="HU", requested_state=ctx.state, requester="SPOC-HU",
                                    subject=self.subject, items=[f"Whereabouts of {self.subject}"], urgent=True)
        exchange, message = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 3, 31), 20, 0), requester="SPOC-HU", request=request, availability="DIRECT",
            expected={"I1": "provide"}, labels=("night", "outage"),
        )
        # The outage starts a minute after the request, once the SUT has it: an outage also holds back
        # deliveries to the SUT, and the request must arrive on time for this to test the fallback.
        start = message.created_at + timedelta(minutes=1)
        end = start + OUTAGE
        if ctx.settings.time_mode is TimeMode.REAL:
            # Every scenario runs at once in real time mode: an outage could not be held for its span, and
            # it would cut off the SIENA traffic of all the others. R-55 says so (inconclusive).
            exchange.facts["outage_not_simulated"] = "real time mode runs every scenario at once"
            return await await_answers(ctx, exchange)
        companions = await self._companions(ctx, message.created_at)
        await ctx.at(start)
        await ctx.network.set_faults([{"channel": "SIENA", "party": ctx.spoc, "type": "outage",
                                       "params": {"mode": "503"}}], scenario=ctx.name)
        exchange.add_event("outage_start", start)
        exchange.facts["outage"] = [start.isoformat(), end.isoformat()]
        ctx.mark(end)
        await ctx.at(end)
        await ctx.network.clear_faults(scenario=ctx.name)
        exchange.add_event("outage_end", ctx.now)
        for awaited in (exchange, *companions):
            await await_answers(ctx, awaited)


@register
class InterpolThirdCountry(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "ncb", "recipient_role": "ncb"}
    name = "network.interpol-third-country"
    title = ("The German NCB asks on Interpol I-24/7 about a person also wanted in the United States (Art 13(2)(a), "
             "exception 3C)")
    # the NCB is part of the SPOC (Art 15(2)), so its exchanges belong in the one CMS.
    # The NCB asks for the German SPOC (Art 15(2) makes a state's NCB part of its SPOC): the time limit, the
    # language, the record and the statistics owed on a SPOC's request are owed on it, though its sender role
    # (ncb) is outside those requirements' values; R-55 for the channel the third country calls for.
    requirements = frozenset({"R-12", "R-16", "R-55", "R-81", "R-97"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: entered Austria at Vienna airport on 2 March 2026")]

    async def run(self, ctx: ScenarioContext) -> None:
        await ctx.at(ctx.local(date(2026, 3, 31), 11, 0))
        request = self.data.request(requesting_state="DE", requested_state=ctx.state, requester="SPOC-DE",
                                    subject=self.subject, items=[f"Entries of {self.subject} into the country"])
        directive = DirectiveMessage(kind=MessageKind.REQUEST, case_reference=request.reference, language="en",
                                     request=request, channel_exception=ChannelException.THIRD_COUNTRY)
        ncb = ctx.network.actor("NCB-DE")
        assert isinstance(ncb, InterpolNcb)
        message = await ncb.send_message(
            to=[f"NCB-{ctx.state}"], directive=directive, scenario=ctx.name,
            body={"kind": "MESSAGE", "language": "en", "subject": f"Request {request.reference} (US case involved)",
                  "body": request.info_requested or ""})
        exchange = ctx.exchange(
            self.name, kind=ExchangeKind.INCOMING_REQUEST, title=self.title, requirements=sorted(self.requirements),
            reference=request.reference, message_id=message.message_id, requester="NCB-DE", counterpart="NCB-DE",
            urgent=False, language="en", availability="DIRECT", expected={"I1": "provide"}, subject=self.subject,
            sent_at=message.created_at, labels=["interpol"],
            facts={"recipient": f"NCB-{ctx.state}", "third_countries": ["US"]},
        )
        exchange.add_event("sent", message.created_at, message.message_id)
        ctx.watch_deadlines(exchange)
        await await_answers(ctx, exchange)


@register
class DuplicateDelivery(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "network.duplicate-delivery"
    title = "SIENA delivers one request twice (at-least-once delivery, same delivery id)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: company director of a logistics firm in Linz")]

    async def run(self, ctx: ScenarioContext) -> None:
        await ctx.at(ctx.local(date(2026, 4, 1), 16, 0))
        await ctx.network.set_faults([{"channel": "SIENA", "party": ctx.spoc, "type": "duplicate",
                                       "params": {"copies": 2}}], scenario=ctx.name)
        request = self.data.request(requesting_state="SE", requested_state=ctx.state, requester="SPOC-SE",
                                    subject=self.subject, items=[f"Company roles of {self.subject}"])
        exchange, message = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements), at=ctx.now,
            requester="SPOC-SE", request=request, availability="DIRECT", expected={"I1": "provide"},
            labels=("duplicate",),
        )
        await ctx.after(timedelta(minutes=1))
        await ctx.network.clear_faults(scenario=ctx.name)
        await await_answers(ctx, exchange)
        # Keep watching for a day: a second answer to the same request is the defect to catch.
        await ctx.at(message.created_at + timedelta(days=1))
