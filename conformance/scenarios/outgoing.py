"""What the SUT sends when told to (SUT stimuli): requests (Art 4, 8), own-initiative provision (Art 7),
the copies they demand, the Europol copy decision (Art 12) and the channel used (Art 13).

The harness then plays the recipients: a foreign SPOC asks the SUT for clarification of its request
(Art 14(2)(f)) and answers it; a foreign SPOC answers a domestic designated authority with the copy to
the SUT's SPOC (Art 5(3) §2, a copy the SUT must record and must not count as a request).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from conformance.actors import DirectiveActor
from conformance.applicability import Profile
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.scenarios.base import Scenario, ScenarioContext, register
from conformance.settings import TimeMode
from conformance.sut import ManualStepNotDone
from simulators.model.directive import (
    CopyReason,
    DirectiveMessage,
    InformationItem,
    MessageKind,
    PersonalDataCategory,
    RefusalGround,
)

__all__ = [
    "OutgoingAnsweredOutsideThread",
    "OutgoingByCompetentAuthority",
    "OutgoingByCompetentAuthorityCopyWithheld",
    "OutgoingByDesignatedAuthority",
    "OutgoingByDesignatedAuthorityCopyWithheld",
    "OutgoingByDesignatedAuthorityPartlyAnswered",
    "OutgoingSeriousWithRestriction",
    "OutgoingToCompetentAuthority",
    "OutgoingToSpoc",
    "OutgoingUrgent",
    "OutgoingWithThirdCountry",
    "OwnInitiativeAuthorityToAuthority",
    "OwnInitiativeByCompetentAuthority",
    "OwnInitiativeOnUnknownPerson",
    "OwnInitiativeToCompetentAuthority",
    "OwnInitiativeToSpoc",
]

_SEND_WAIT = timedelta(hours=2)
CLARIFICATION_WAIT = timedelta(days=3)  # how long a requested SPOC waits for the SUT's clarification
# What the requested SPOC asks the SUT to clarify about its request: request field -> the question.
CLARIFICATION_ASKED = {
    "offence": "the offence under investigation (Art 4(5)(b))",
    "subject_link": "the link between the purpose of the request and the person concerned (Art 4(5)(d))",
}


class _Stimulated(Scenario):
    """One stimulus to the SUT, then the message(s) it must cause."""

    operation: ClassVar[str] = "stimuli.outgoing_request"
    flow = ExchangeKind.OUTGOING_REQUEST
    day: ClassVar[date] = date(2026, 3, 27)
    hour: ClassVar[tuple[int, int]] = (11, 0)
    to_state: ClassVar[str] = "DE"
    by: ClassVar[str] = "SPOC"
    to: ClassVar[str] = "SPOC"
    urgent: ClassVar[bool] = False
    expected_kind: ClassVar[str] = "REQUEST"

    @classmethod
    def planned_profile(cls) -> Profile:
        """Its urgency and roles, as the stimulus states them (`profile_of` reads them back from it)."""
        return {"urgency": frozenset({"urgent" if cls.urgent else "non_urgent"}),
                "sender_role": frozenset({cls.by.lower()}), "recipient_role": frozenset({cls.to.lower()}),
                **super().planned_profile()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()
        self.reference = self.data.reference("AT")
        self.offence, self.crime_area = self.data.offence()

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        body: dict[str, Any] = {
            "to_state": self.to_state, "by": self.by, "to": self.to, "urgent": self.urgent,
            "subject": self.subject, "items": [f"Criminal records of {self.subject}", f"Addresses of {self.subject}"],
            "reference": self.reference.replace("AT-", f"{ctx.state}-"),
            "purpose": f"Investigation of {self.offence}", "offence": self.offence,
            "availability_reasons": f"{self.subject} lived in {self.to_state} until 2025",
            "subject_link": f"{self.subject} is a suspect", "use_restrictions": "Investigation only (H2)",
            "necessity_proportionality": "Needed to identify co-perpetrators",
            "crime_areas": [self.crime_area], "serious_offence": False,
        }
        if self.urgent:
            body |= {"urgency_criteria": ["U-LIFE"],
                     "urgency_reasons": f"{self.subject} is believed to prepare an attack within 24 hours"}
        return body

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        """Party -> role it must have in the exchange (addressee, copy)."""
        addressee = f"{'SPOC' if self.to == 'SPOC' else 'LEA'}-{self.to_state}"
        return {addressee: "addressee"}

    async def stimulate(self, ctx: ScenarioContext, body: dict[str, Any]) -> dict[str, Any]:
        if self.operation == "stimuli.own_initiative":
            return await ctx.sut.perform(
                self.operation, lambda: ctx.sut.own_initiative(body, scenario=ctx.name),
                instructions=f"provide on own initiative to {self.to_state}: {body}", evidence=self._evidence(ctx),
            )
        return await ctx.sut.perform(
            self.operation, lambda: ctx.sut.outgoing_request(body, scenario=ctx.name),
            instructions=f"send a request for information: {body}", evidence=self._evidence(ctx),
        )

    def _evidence(self, ctx: ScenarioContext) -> Any:
        async def look() -> dict[str, Any] | None:
            await ctx.engine.timeline.fetch()
            for m in ctx.ledger.from_sut():
                if m.kind == self.expected_kind and self.subject in str(m.directive):
                    return {"case_id": m.case_id or "", "reference": m.case_reference or "",
                            "message_ids": [m.message_id]}
            return None

        return look

    async def run(self, ctx: ScenarioContext) -> None:
        await ctx.at(ctx.local(self.day, *self.hour))
        body = self.body(ctx)
        exchange = ctx.exchange(
            self.name, kind=self.flow, title=self.title, requirements=sorted(self.requirements),
            reference=body.get("reference"), counterpart=f"{self.to}-{self.to_state}", urgent=self.urgent,
            subject=self.subject, sent_at=ctx.now, facts={"stimulus": body,
                                                          "recipients": self.expected_recipients(ctx)},
        )
        try:
            result = await self.stimulate(ctx, body)
        except ManualStepNotDone as exc:
            exchange.problems.append(str(exc))
            exchange.facts["not_done"] = str(exc)
            return
        exchange.sut_case_id = str(result.get("case_id") or "") or None
        exchange.reference = str(result.get("reference") or exchange.reference)
        exchange.add_event("stimulus", ctx.now, detail=str(result))
        sent = await ctx.wait_for(self._is_main_message(exchange, result), until=ctx.now + _SEND_WAIT)
        if sent is None:
            if ctx.settings.time_mode is TimeMode.REAL:
                # The SUT has _SEND_WAIT to send it, which real time mode does not wait for: unknown, not failed.
                exchange.facts["not_done"] = (
                    f"no {self.expected_kind} from the SUT within the {ctx.settings.real_mode_wait:g} s real time "
                    f"mode watched (--real-wait); it may take {_SEND_WAIT}")
            exchange.problems.append(f"no {self.expected_kind} from the SUT within {_SEND_WAIT} of the stimulus")
            return
        exchange.message_id = sent.message_id
        exchange.language = sent.language
        exchange.add_event("sent_by_sut", sent.created_at, sent.message_id)
        # Copies sent late are part of what is judged: watch for a while longer.
        ctx.mark_judged(sent.created_at + ctx.settings.copy_tolerance)
        await self.after_sent(ctx, exchange, sent)

    def _is_main_message(self, exchange: Exchange, result: dict[str, Any]) -> Any:
        ids = {str(i) for i in result.get("message_ids") or []}

        def match(m: Observed) -> bool:
            if m.kind != self.expected_kind:
                return False
            return m.message_id in ids or (exchange.reference is not None and m.case_reference == exchange.reference)

        return match

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        await ctx.after(timedelta(hours=3))


@register
class OutgoingToSpoc(_Stimulated):
    name = "outgoing.request-to-spoc"
    title = ("The SPOC sends a request to the German SPOC, which asks for clarification, then answers in the SIENA "
             "thread under its own reference")
    # the German SPOC asks for a clarification, which the SPOC may have to obtain at home; R-91: the
    # German reply ends the exchange, so the SUT's case of its own request must conclude then (Art 16(4)).
    requirements = frozenset({"R-66", "R-82", "R-91"})
    hour = (11, 0)

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        german = ctx.network.spoc(self.to_state)
        await ctx.after(timedelta(hours=2))
        reference = sent.case_reference or exchange.reference or ""
        # The question names request fields whose values the harness itself gave in the stimulus: the
        # SUT's clarification is judged against them, not against its own account of having answered.
        exchange.facts["clarification_asked"] = list(CLARIFICATION_ASKED)
        questions = "Please specify " + " and ".join(CLARIFICATION_ASKED.values()) + "."
        asked = await german.ask_clarification(sent, reference=reference, language=sent.language or "en",
                                                questions=questions, scenario=ctx.name)
        exchange.add_event("clarification_requested_by_harness", asked.created_at, asked.message_id)
        # Whatever clarification the SUT sends the German SPOC counts as its answer; whether it refers to the
        # request is for the check to judge.
        answer = await ctx.wait_for(lambda m: m.kind == "CLARIFICATION" and m.sender in ctx.info.parties
                                    and german.id in m.to and m.created_at >= asked.created_at,
                                    until=ctx.now + CLARIFICATION_WAIT)
        if answer is not None:
            exchange.add_event("clarification_answered", answer.created_at, answer.message_id)
        await ctx.after(timedelta(days=1))
        # The German SPOC registers the exchange in its own case system and answers in the SIENA thread of the
        # request under its own reference: the SUT must file the reply by the thread, in the request's case.
        own_reference = self.data.reference(self.to_state)
        exchange.facts["reply_reference"] = own_reference
        reply = await german.reply(sent, reference=own_reference, language=sent.language or "en",
                                   information=[InformationItem(item_id="I1", content=f"No record of {self.subject}",
                                                                data_categories=[PersonalDataCategory.PERSONAL_DETAILS],
                                                                source_reliability="A", information_accuracy="1",
                                                                last_updated=ctx.now)],
                                   scenario=ctx.name)
        exchange.add_event("reply_received", reply.created_at, reply.message_id)
        await ctx.after(timedelta(hours=1))


@register
class OutgoingAnsweredOutsideThread(_Stimulated):
    name = "outgoing.reply-outside-thread"
    title = ("The SPOC sends a request to the Czech SPOC, which answers on SIENA in a new message of its own, "
             "outside the request's thread, quoting the SUT's case reference")
    # an answer tied to the request only by the reference it quotes (as one to a request the
    # requested state received on another channel is, Art 13(2)) belongs in the request's case and ends it.
    requirements = frozenset({"R-91"})
    to_state = "CZ"
    hour = (13, 30)

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        await ctx.after(timedelta(hours=5))
        czech = ctx.network.spoc(self.to_state)
        assert isinstance(czech, DirectiveActor)
        reference = sent.case_reference or exchange.reference or ""
        information = [InformationItem(item_id="I1", content=f"{self.subject}: no convictions in CZ",
                                       data_categories=[PersonalDataCategory.PERSONAL_DETAILS],
                                       source_reliability="B", information_accuracy="2", last_updated=ctx.now)]
        directive = DirectiveMessage(kind=MessageKind.REPLY, case_reference=reference, language=sent.language or "en",
                                     information=information)
        # No in_reply_to: the SUT can tie the answer to its request by the case reference alone.
        reply = await czech.send_siena(directive, to=[sent.sender], subject=f"Information {reference}",
                                       body="Information provided", scenario=ctx.name)
        exchange.add_event("reply_received", reply.created_at, reply.message_id)
        await ctx.after(timedelta(hours=1))


@register
class OutgoingSeriousWithRestriction(_Stimulated):
    name = "outgoing.serious-request-restricted"
    title = ("The SPOC asks the Hungarian SPOC about drug trafficking, a serious offence within Europol's mandate, "
             "under a restriction on use of its own: the copy to Europol must state that restriction")
    # the restriction the Europol copy states is judged against the one the harness set in the stimulus.
    requirements = frozenset({"R-53"})
    to_state = "HU"
    hour = (13, 45)

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        return super().body(ctx) | {
            "serious_offence": True, "crime_areas": ["DRUG_TRAFFICKING"],
            "use_restrictions": "H3: not to be used as evidence in judicial proceedings without the provider's consent",
        }


@register
class OutgoingUrgent(_Stimulated):
    name = "outgoing.urgent-request"
    title = "The SPOC sends an urgent request to the French SPOC"
    to_state = "FR"
    urgent = True
    hour = (11, 30)


@register
class OutgoingByDesignatedAuthority(_Stimulated):
    name = "outgoing.designated-authority"
    title = "A domestic designated authority sends a request to the Dutch SPOC, copying its own SPOC"
    to_state = "NL"
    by = "DESIGNATED_AUTHORITY"
    hour = (12, 0)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"SPOC-{self.to_state}": "addressee", ctx.spoc: "copy:ART_4_1"}

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        # The Dutch SPOC answers the designated authority and copies the SUT's SPOC (Art 5(3) §2):
        # a copy the SUT must record, and must not count as a request received (Art 18(2)(b)).
        await ctx.after(timedelta(hours=4))
        dutch = ctx.network.spoc(self.to_state)
        assert isinstance(dutch, DirectiveActor)
        reference = sent.case_reference or exchange.reference or ""
        information = [InformationItem(item_id="I1", content=f"{self.subject}: no convictions in NL",
                                       data_categories=[PersonalDataCategory.PERSONAL_DETAILS],
                                       source_reliability="B", information_accuracy="2", last_updated=ctx.now)]

        directive = DirectiveMessage(kind=MessageKind.REPLY, case_reference=reference, language=sent.language or "en",
                                     information=information)
        thread = {"to": [sent.sender], "in_reply_to": sent.message_id, "case_id": sent.case_id} \
            if sent.channel == "SIENA" else {"to": [f"DLEA-{ctx.state}"]}
        reply = await dutch.send_siena(directive, cc=[ctx.spoc], subject=f"Information {reference}",
                                       body="Information provided", scenario=ctx.name, **thread)
        exchange.add_event("reply_with_copy_received", reply.created_at, reply.message_id)
        exchange.facts["incoming_copy"] = reply.message_id
        await ctx.after(timedelta(hours=1))


@register
class OutgoingByDesignatedAuthoritySeparateCopy(_Stimulated):
    name = "outgoing.designated-authority-separate-copy"
    title = ("A domestic designated authority asks the Finnish SPOC, which answers in the thread under its own "
             "reference and sends the SUT's SPOC its Art 5(3) copy as a message of its own")
    # the copy quotes only the Finnish reference and names the reply it copies (copy_of); it is addressed
    # to the SPOC, so it belongs in the case of the request, not in a case of its own.
    to_state = "FI"
    by = "DESIGNATED_AUTHORITY"
    hour = (12, 15)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"SPOC-{self.to_state}": "addressee", ctx.spoc: "copy:ART_4_1"}

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        await ctx.after(timedelta(hours=4))
        finnish = ctx.network.spoc(self.to_state)
        assert isinstance(finnish, DirectiveActor)
        own_reference = self.data.reference(self.to_state)
        exchange.facts["reply_reference"] = own_reference
        information = [InformationItem(item_id="I1", content=f"{self.subject}: no convictions in FI",
                                       data_categories=[PersonalDataCategory.PERSONAL_DETAILS],
                                       source_reliability="B", information_accuracy="2", last_updated=ctx.now)]
        directive = DirectiveMessage(kind=MessageKind.REPLY, case_reference=own_reference,
                                     language=sent.language or "en", information=information)
        thread = {"to": [sent.sender], "in_reply_to": sent.message_id, "case_id": sent.case_id} \
            if sent.channel == "SIENA" else {"to": [f"DLEA-{ctx.state}"]}
        reply = await finnish.send_siena(directive, subject=f"Information {own_reference}",
                                         body="Information provided", scenario=ctx.name, **thread)
        exchange.add_event("reply_received", reply.created_at, reply.message_id)
        # The copy follows the reply once the SUT has taken the reply in (acknowledged it), as it follows it in the
        # Finnish SPOC's hands: two messages to two of the SUT's mailboxes sent at once may otherwise be taken in
        # either order (as in real time mode, where every scenario runs at once), and a copy of a reply not yet
        # received is another combination than the one this scenario sets up.
        addressee = sent.sender if sent.channel == "SIENA" else f"DLEA-{ctx.state}"
        await ctx.wait_for(lambda m: m.message_id == reply.message_id and m.acknowledged_by(addressee),
                           until=ctx.now + timedelta(minutes=5))
        # The copy travels on its own: no thread, only the Finnish reference and the id of the reply it copies.
        copy = DirectiveMessage(kind=MessageKind.COPY, case_reference=own_reference, language=directive.language,
                                copy_reason=CopyReason.ART_5_3, copy_of=reply.message_id, original=directive)
        copied = await finnish.send_siena(copy, to=[ctx.spoc], subject=f"Copy: information {own_reference}",
                                          body="Copy of the information provided (Art 5(3))", scenario=ctx.name)
        exchange.add_event("separate_copy_received", copied.created_at, copied.message_id)
        await ctx.after(timedelta(hours=1))


@register
class OutgoingByDesignatedAuthorityPartlyAnswered(_Stimulated):
    name = "outgoing.designated-authority-partly-answered"
    title = ("A domestic designated authority asks the Lithuanian SPOC, which provides one item and refuses the "
             "other, each answer to the authority with the Art 5(3) copy to the SUT's SPOC")
    # every answer reaches two of the SUT's mailboxes (the authority's and, in copy, the SPOC's); the case
    # must conclude with the outcome the two answers give together (partially refused), each filed once.
    requirements = frozenset({"R-91"})
    to_state = "LT"
    by = "DESIGNATED_AUTHORITY"
    hour = (12, 45)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"SPOC-{self.to_state}": "addressee", ctx.spoc: "copy:ART_4_1"}

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        await ctx.after(timedelta(hours=4))
        lithuanian = ctx.network.spoc(self.to_state)
        assert isinstance(lithuanian, DirectiveActor)
        reference = sent.case_reference or exchange.reference or ""
        language = sent.language or "en"
        thread = {"to": [sent.sender], "in_reply_to": sent.message_id, "case_id": sent.case_id} \
            if sent.channel == "SIENA" else {"to": [f"DLEA-{ctx.state}"]}
        information = [InformationItem(item_id="I1", content=f"{self.subject}: no convictions in LT",
                                       data_categories=[PersonalDataCategory.PERSONAL_DETAILS],
                                       source_reliability="B", information_accuracy="2", last_updated=ctx.now)]
        reply = await lithuanian.send_siena(
            DirectiveMessage(kind=MessageKind.REPLY, case_reference=reference, language=language,
                             information=information),
            cc=[ctx.spoc], subject=f"Information {reference}", body="Information provided (item I1)",
            scenario=ctx.name, **thread)
        exchange.add_event("reply_with_copy_received", reply.created_at, reply.message_id)
        await ctx.after(timedelta(hours=1))
        refusal = await lithuanian.send_siena(
            DirectiveMessage(kind=MessageKind.REFUSAL, case_reference=reference, language=language,
                             refused_items=["I2"], refusal_grounds=[RefusalGround.NA],
                             refusal_reasons="I2: Art 6(1)(a) - no address of the person is held in LT"),
            cc=[ctx.spoc], subject=f"Refusal {reference}", body="Item I2 refused (Art 6(1)(a))",
            scenario=ctx.name, **thread)
        exchange.add_event("refusal_with_copy_received", refusal.created_at, refusal.message_id)
        await ctx.after(timedelta(hours=1))


@register
class OutgoingByDesignatedAuthorityCopyWithheld(_Stimulated):
    name = "outgoing.designated-authority-copy-withheld"
    title = ("A domestic designated authority asks the Swedish SPOC without copying its own SPOC: the copy would "
             "endanger an informant (Art 4(2)(c)), a ground it must record")
    to_state = "SE"
    by = "DESIGNATED_AUTHORITY"
    hour = (12, 30)

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        return super().body(ctx) | {"copy_exception": "PERSON_SAFETY"}


@register
class OutgoingToCompetentAuthority(_Stimulated):
    name = "outgoing.to-competent-authority"
    title = "The SPOC sends a request straight to a Belgian competent authority (copy to the Belgian SPOC)"
    to_state = "BE"
    to = "COMPETENT_AUTHORITY"
    hour = (13, 0)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"LEA-{self.to_state}": "addressee", f"SPOC-{self.to_state}": "copy:ART_8_1"}


@register
class OutgoingByCompetentAuthority(_Stimulated):
    name = "outgoing.competent-authority-direct"
    title = "A domestic competent authority asks an Italian one directly (copies to both SPOCs)"
    requirements = frozenset({"R-82"})  # the domestic authority's request and its copy reach the SPOC
    to_state = "IT"
    by = "COMPETENT_AUTHORITY"
    to = "COMPETENT_AUTHORITY"
    hour = (14, 0)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"LEA-{self.to_state}": "addressee", f"SPOC-{self.to_state}": "copy:ART_8_2",
                ctx.spoc: "copy:ART_8_2"}


@register
class OutgoingByCompetentAuthorityCopyWithheld(OutgoingByCompetentAuthority):
    name = "outgoing.competent-authority-direct-copy-withheld"
    title = ("A domestic competent authority asks a Slovenian one directly without copying the SPOCs: a terrorism "
             "case with no emergency (Art 8(3)(b)), a ground it must record")
    requirements = frozenset()  # no copy reaches the SPOC, so no domestic communication to record
    to_state = "SI"
    hour = (14, 15)

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        return super().body(ctx) | {"copy_exception": "TERRORISM"}


@register
class OutgoingWithThirdCountry(_Stimulated):
    name = "outgoing.third-country"
    title = "A request involving a third country (the United States) may use the Interpol channel (3C)"
    requirements = frozenset({"R-55"})  # another channel only on a listed ground
    plan: ClassVar[Mapping[str, str]] = {"channel": "i24_7"}
    to_state = "PL"
    hour = (14, 30)

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        return super().body(ctx) | {"third_countries": ["US"]}


@register
class OwnInitiativeToSpoc(_Stimulated):
    name = "outgoing.own-initiative-to-spoc"
    title = "The SPOC provides information on a serious offence to the French SPOC on its own initiative"
    # the information concerns a serious offence; R-53: within Europol's objectives, so a copy to Europol.
    requirements = frozenset({"R-31", "R-53"})
    operation = "stimuli.own_initiative"
    flow = ExchangeKind.OWN_INITIATIVE_OUT
    expected_kind = "OWN_INITIATIVE"
    to_state = "FR"
    hour = (15, 0)

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        return {"to_state": self.to_state, "by": self.by, "to": self.to, "subject": self.subject,
                "information": f"{self.subject} is organising a shipment of 40 kg of heroin to Marseille",
                "subject_category": "SUSPECT", "data_categories": ["PERSONAL_DETAILS", "CRIMINAL_CONDUCT"],
                "serious_offence": True, "crime_areas": ["DRUG_TRAFFICKING"],
                "reference": self.reference.replace("AT-", f"{ctx.state}-")}


@register
class OwnInitiativeToCompetentAuthority(OwnInitiativeToSpoc):
    name = "outgoing.own-initiative-to-competent-authority"
    title = "Own-initiative information to a Portuguese competent authority (copy to the Portuguese SPOC)"
    requirements = frozenset()  # are the French provision's to show
    to_state = "PT"
    to = "COMPETENT_AUTHORITY"
    hour = (16, 0)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"LEA-{self.to_state}": "addressee", f"SPOC-{self.to_state}": "copy:ART_7_3"}


@register
class OwnInitiativeByCompetentAuthority(OwnInitiativeToSpoc):
    name = "outgoing.own-initiative-by-competent-authority"
    title = "A domestic competent authority provides information on its own initiative (copy to its SPOC)"
    requirements = frozenset()  # are the French provision's to show
    to_state = "EE"
    by = "COMPETENT_AUTHORITY"
    hour = (17, 0)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        return {f"SPOC-{self.to_state}": "addressee", ctx.spoc: "copy:ART_7_4"}


@register
class OwnInitiativeAuthorityToAuthority(OwnInitiativeToSpoc):
    name = "outgoing.own-initiative-authority-to-authority"
    title = ("A domestic competent authority provides information to a Czech competent authority on its own "
             "initiative (copies to its own SPOC and to the Czech SPOC)")
    requirements = frozenset()  # the model selects its requirements (R-33 and R-34 on this pair of roles)
    to_state = "CZ"
    by = "COMPETENT_AUTHORITY"
    to = "COMPETENT_AUTHORITY"
    hour = (17, 30)

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        # Art 7(3) and 7(4) together: neither copy stands in for the other.
        return {f"LEA-{self.to_state}": "addressee", f"SPOC-{self.to_state}": "copy:ART_7_3",
                ctx.spoc: "copy:ART_7_4"}


@register
class OwnInitiativeOnUnknownPerson(OwnInitiativeToSpoc):
    name = "outgoing.own-initiative-unknown-subject-category"
    title = ("Own-initiative information on a person whose role is not known yet (no data-subject category): only "
             "the narrowest Annex II categories may go")
    requirements = frozenset()  # the model selects its requirements (R-48 on own-initiative provision too)
    to_state = "BE"
    hour = (18, 0)

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        # The operator enters what the file holds, financial data included; the person's role is open.
        body = super().body(ctx) | {"serious_offence": False,
                                    "data_categories": ["PERSONAL_DETAILS", "FINANCIAL", "BEHAVIOURAL"],
                                    "information": f"{self.subject} was seen with the suspects of a cash-in-transit "
                                                   "robbery in Liège; bank details attached"}
        body.pop("subject_category", None)
        return body
