"""Requests other member states send to the SUT: time limits, refusals, clarification, personal data.

Every request is injected at a chosen network time of the shared timeline (Friday night, Saturday,
the night of the 29 March 2026 DST change, Good Friday and Easter Monday 2026), and the harness
follows it to its answers. Dates are local times of the SUT's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from conformance.applicability import Profile
from conformance.coverage import role_of
from conformance.ledger import ExchangeKind
from conformance.scenarios.base import Scenario, ScenarioContext, register
from conformance.scenarios.flows import await_answers, decide, fixture, send_incoming
from conformance.settings import TimeMode
from simulators.model.directive import (
    CopyExceptionGround,
    DataSubjectCategory,
    Entity,
    RequestedItem,
    RequesterType,
)
from simulators.model.parties import state as state_of

__all__ = [
    "CrossCheck",
    "DataQualityRefusal",
    "DesignatedAuthorityCopyWithheld",
    "DesignatedAuthorityRequest",
    "NonUrgentOnEasterMonday",
    "NonUrgentOnSaturday",
    "OriginatorConsentRefusal",
    "PartialRefusal",
    "PersonalDataCategories",
    "RefusalOnGround",
    "RequestLanguageNotMessageLanguage",
    "RequestToCompetentAuthority",
    "RequestToCompetentAuthorityCopyFirst",
    "UrgentDirectAcrossDst",
    "UrgentDirectAtNight",
    "UrgentIndirectOnGoodFriday",
]

# Which requirements judge an incoming request is the applicability model's to say (conformance.selection): a
# scenario here declares only what the model cannot see, such as the retention review it is followed into.


class _Incoming(Scenario):
    """One request from a foreign party, answered from one fixture record."""
    flow = ExchangeKind.INCOMING_REQUEST

    requester: ClassVar[str] = "SPOC-DE"
    urgent: ClassVar[bool] = False
    language: ClassVar[str] = "en"
    availability: ClassVar[str] = "DIRECT"
    day: ClassVar[date] = date(2026, 3, 27)
    hour: ClassVar[tuple[int, int]] = (12, 0)
    labels: ClassVar[tuple[str, ...]] = ()
    record_fields: ClassVar[dict[str, Any]] = {}
    expected_outcome: ClassVar[str] = "provide"
    requester_type: ClassVar[RequesterType] = RequesterType.SPOC

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()
        self.item = f"Criminal records and known addresses of {self.subject}"

    @classmethod
    def planned_profile(cls) -> Profile:
        if cls.run is not _Incoming.run:
            return super().planned_profile()  # one sending its own request states its plan
        sender = role_of(cls.requester)
        return {"urgency": frozenset({"urgent" if cls.urgent else "non_urgent"}),
                "availability": frozenset({cls.availability.lower()}),
                "recipient_role": frozenset({"spoc"}),  # sent to the SUT's SPOC
                **({"sender_role": frozenset({sender})} if sender else {})}

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: convicted 2023 of fraud; lives at "
                        f"{self.data.street_address()}", availability=self.availability,
                        **self.record_fields)]

    async def run(self, ctx: ScenarioContext) -> None:
        state = self.requester.split("-")[1]
        request = self.data.request(
            requesting_state=state, requested_state=ctx.state, requester=self.requester, subject=self.subject,
            items=[self.item], urgent=self.urgent, language=self.language, requester_type=self.requester_type,
        )
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(self.day, *self.hour), requester=self.requester, request=request,
            availability=self.availability, expected={"I1": self.expected_outcome}, labels=self.labels,
        )
        await await_answers(ctx, exchange)


@register
class UrgentDirectAtNight(_Incoming):
    name = "incoming.urgent-direct-night"
    title = "Urgent request for directly available information received on a Friday at 23:30"
    requirements = frozenset({"R-90", "R-91"})  # followed into the retention review
    requester = "SPOC-DE"
    urgent = True
    hour = (23, 30)
    labels = ("night",)
    record_fields: ClassVar[dict[str, Any]] = {
        "data_categories": ["PERSONAL_DETAILS", "CRIMINAL_CONDUCT"], "source_reliability": "A",
        "information_accuracy": "1",
        # Art 10(c) "as far as possible": this record is dated; PersonalDataCategories' record is not.
        "last_updated": "2025-11-04T09:15:00+00:00",
    }


@register
class UrgentDirectAcrossDst(_Incoming):
    name = "incoming.urgent-direct-dst"
    title = "Urgent request received in German at 01:30 on Sunday 29 March 2026, before the DST change"
    requester = "SPOC-CZ"
    urgent = True
    language = "de"
    day = date(2026, 3, 29)
    hour = (1, 30)
    labels = ("night", "weekend", "dst")


@register
class NonUrgentOnSaturday(_Incoming):
    name = "incoming.non-urgent-weekend"
    title = "Non-urgent request received on Saturday 28 March 2026 at 15:00"
    requester = "SPOC-NL"
    day = date(2026, 3, 28)
    hour = (15, 0)
    labels = ("weekend",)


@register
class UrgentIndirectOnGoodFriday(_Incoming):
    name = "incoming.urgent-indirect-holiday"
    title = "Urgent request for indirectly available information received on Good Friday, 3 April 2026"
    requester = "SPOC-IT"
    urgent = True
    availability = "INDIRECT"
    day = date(2026, 4, 3)
    hour = (11, 0)
    labels = ("holiday",)


@register
class NonUrgentOnEasterMonday(_Incoming):
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "indirect", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.non-urgent-holiday"
    title = ("Non-urgent request in German for indirectly available information received on Easter Monday, "
             "channelled by the operator to the competent authority")
    requirements = frozenset({"R-62", "R-82"})  # the operator hands it over to an authority
    requester = "SPOC-BE"
    language = "de"
    availability = "INDIRECT"
    day = date(2026, 4, 6)
    hour = (9, 0)
    labels = ("holiday",)

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="BE", requested_state=ctx.state, requester=self.requester,
                                    subject=self.subject, items=[self.item], language=self.language)
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(self.day, *self.hour), requester=self.requester, request=request,
            availability=self.availability, expected={"I1": "provide"}, labels=self.labels,
        )
        # The operator channels the request to the authority holding the information (Art 14(2)(b)).
        await ctx.after(timedelta(minutes=30))
        authority = f"LEA-{ctx.state}"
        # The intent is kept apart from the outcome: a hand-over the SUT cannot make leaves
        # inconclusive, not "not applicable".
        exchange.facts["hand_over_requested"] = authority
        if await decide(ctx, exchange, {"action": "hand_over", "authority": authority,
                                        "reasons": "the register concerned is kept by the competent authority"},
                        instructions=f"hand the request over to {authority}"):
            exchange.add_event("handed_over", ctx.now, detail=authority)
            exchange.facts["handed_over_to"] = authority
        await await_answers(ctx, exchange)


@register
class DesignatedAuthorityRequest(_Incoming):
    name = "incoming.designated-authority"
    title = "A foreign designated authority asks the SUT directly; the answer goes with a copy to its SPOC"
    requester = "DLEA-DE"
    requester_type = RequesterType.DESIGNATED_AUTHORITY
    language = "de"
    day = date(2026, 3, 30)
    hour = (14, 0)


@register
class DesignatedAuthorityCopyWithheld(_Incoming):
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "designated_authority",
        "recipient_role": "spoc"}
    name = "incoming.designated-authority-copy-withheld"
    title = ("A foreign designated authority asks without copying its SPOC (a highly sensitive investigation); "
             "the answer withholds the Art 5(3) copy on that ground and records it")
    requester = "DLEA-FR"
    requester_type = RequesterType.DESIGNATED_AUTHORITY
    day = date(2026, 3, 31)
    hour = (16, 0)

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(
            requesting_state="FR", requested_state=ctx.state, requester=self.requester, subject=self.subject,
            items=[self.item], requester_type=self.requester_type,
        ).model_copy(update={"copy_exception": CopyExceptionGround.SENSITIVE_INVESTIGATION})
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(self.day, *self.hour), requester=self.requester, request=request,
            availability=self.availability, expected={"I1": "provide"},
        )
        await await_answers(ctx, exchange)


@register
class RefusalOnGround(_Incoming):
    name = "incoming.refusal"
    title = "A request about an offence punishable by less than one year is refused on ground MO"
    requirements = frozenset({"R-90", "R-91"})  # followed into the retention review
    requester = "SPOC-PL"
    language = "en"
    day = date(2026, 3, 31)
    hour = (9, 0)
    record_fields: ClassVar[dict[str, Any]] = {"refusal_ground": "MO"}
    expected_outcome = "MO"


@register
class OriginatorConsentRefusal(_Incoming):
    name = "incoming.originator-consent"
    title = "Information obtained from France without its consent is refused on ground OC"
    requester = "SPOC-ES"
    day = date(2026, 4, 1)
    hour = (10, 0)
    record_fields: ClassVar[dict[str, Any]] = {"originator_state": "FR", "originator_consent": False}
    expected_outcome = "OC"


@register
class RequestLanguageNotMessageLanguage(_Incoming):
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.request-language-not-message-language"
    title = ("A request written in a language of the SUT's Art 11 list arrives under a covering message in a "
             "language that is not on the list: Art 4(6) binds the request, so it is answered")
    requester = "SPOC-CZ"
    day = date(2026, 4, 2)
    hour = (10, 30)
    # EU official languages; the first not on the SUT's list is the covering message's.
    _message_languages: ClassVar[tuple[str, ...]] = ("cs", "sk", "pl", "hu")

    async def run(self, ctx: ScenarioContext) -> None:
        listed = state_of(ctx.state).languages
        message_language = next(code for code in self._message_languages if code not in listed)
        request = self.data.request(
            requesting_state="CZ", requested_state=ctx.state, requester=self.requester, subject=self.subject,
            items=[self.item], language=listed[0],
        )
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(self.day, *self.hour), requester=self.requester, request=request,
            availability=self.availability, expected={"I1": "provide"}, message_language=message_language,
            facts={"message_language": message_language},
        )
        await await_answers(ctx, exchange)


@register
class DataQualityRefusal(_Incoming):
    name = "incoming.data-quality"
    title = "Information found to be out of date is not provided (ground DQ, Art 10(a))"
    requester = "SPOC-LV"
    day = date(2026, 4, 2)
    hour = (15, 0)
    record_fields: ClassVar[dict[str, Any]] = {"refusal_ground": "DQ"}
    expected_outcome = "DQ"


@register
class PersonalDataCategories(_Incoming):
    name = "incoming.personal-data"
    title = "A witness's data are held in categories inside and outside Annex II Section B"
    requester = "SPOC-LU"
    day = date(2026, 4, 1)
    hour = (14, 0)
    record_fields: ClassVar[dict[str, Any]] = {"subject_category": "WITNESS",
                     "data_categories": ["PERSONAL_DETAILS", "FINANCIAL", "HEALTH"],
                     "source_reliability": "B", "information_accuracy": "2"}


@register
class RequestToCompetentAuthority(_Incoming):
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc",
        "recipient_role": "competent_authority"}
    name = "incoming.direct-to-competent-authority"
    title = ("A foreign SPOC asks a domestic competent authority directly (Art 8(1)), copying the SPOC; the "
             "authority's delivery arrives first, and its answer copies its SPOC")
    # the authority's answer is a provision under Art 8; R-97: a request received by a competent authority.
    requester = "SPOC-DE"
    day = date(2026, 3, 30)
    hour = (11, 0)
    # Which of the two own mailboxes the channel reaches first: the other is held back by a one-second
    # outage of its SIENA mailbox, so that the order is the harness's doing, not the push timing's.
    delivery_order: ClassVar[str] = "addressee_first"

    async def run(self, ctx: ScenarioContext) -> None:
        state = self.requester.split("-")[1]
        request = self.data.request(requesting_state=state, requested_state=ctx.state, requester=self.requester,
                                    subject=self.subject, items=[self.item])
        authority = f"LEA-{ctx.state}"
        held_back = ctx.spoc if self.delivery_order == "addressee_first" else authority
        await ctx.at(ctx.local(self.day, *self.hour))
        if ctx.settings.time_mode is TimeMode.REAL:
            # Every scenario runs at once in real time mode: an outage of a mailbox, however short, would hold
            # back the others' traffic too. The order is then the push timing's, and not claimed.
            exchange, _ = await send_incoming(
                ctx, key=self.name, title=self.title, requirements=sorted(self.requirements), at=ctx.now,
                requester=self.requester, request=request, availability=self.availability,
                expected={"I1": "provide"}, to=authority, cc=[ctx.spoc],
                facts={"delivery_order_not_forced": "real time mode runs every scenario at once"})
            return await await_answers(ctx, exchange)
        await ctx.network.set_faults([{"channel": "SIENA", "party": held_back, "type": "outage",
                                       "params": {"mode": "503"}}], scenario=ctx.name)
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements), at=ctx.now,
            requester=self.requester, request=request, availability=self.availability, expected={"I1": "provide"},
            to=authority, cc=[ctx.spoc], facts={"delivery_order": self.delivery_order},
        )
        # The first delivery is taken in while the other mailbox is out; the channel then pushes the held one.
        await ctx.after(timedelta(seconds=1))
        await ctx.network.clear_faults(scenario=ctx.name)
        exchange.add_event("held_back_delivery_released", ctx.now, detail=held_back)
        await ctx.after(timedelta(seconds=1))  # the channel retries the held push a second later
        await await_answers(ctx, exchange)


@register
class RequestToCompetentAuthorityCopyFirst(RequestToCompetentAuthority):
    name = "incoming.direct-to-competent-authority-copy-first"
    title = ("A foreign SPOC asks a domestic competent authority directly (Art 8(1)), copying the SPOC; the "
             "SPOC's copy arrives first, and the request is still the authority's to answer")
    requester = "SPOC-FR"
    hour = (14, 0)
    delivery_order = "copy_first"


@register
class PartialRefusal(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.partial-refusal"
    title = "A request on two persons, one of them the subject of an ongoing investigation (ground JI)"
    requirements = frozenset({"R-22"})  # one part only may be refused

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.free, self.protected = self.data.person(), self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [
            fixture(self.free, f"{self.free}: registered owner of a grey Skoda Octavia"),
            fixture(self.protected, f"{self.protected}: under covert surveillance", refusal_ground="JI"),
        ]

    async def run(self, ctx: ScenarioContext) -> None:
        request = self.data.request(requesting_state="FR", requested_state=ctx.state, requester="SPOC-FR",
                                    subject=self.free, items=[f"Vehicles registered to {self.free}"])
        second = Entity(entity_id="P2", type="PERSON", attributes={"name": self.protected},
                        subject_category=DataSubjectCategory.SUSPECT)
        request = request.model_copy(update={
            "entities": [*request.entities, second],
            "items": [*request.items, RequestedItem(item_id="I2", description=f"Addresses of {self.protected}",
                                                    entity_id="P2")],
            "subject_link": f"{self.free} and {self.protected} are suspected accomplices",
        })
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(date(2026, 3, 31), 10, 0), requester="SPOC-FR", request=request, availability="DIRECT",
            expected={"I1": "provide", "I2": "JI"},
        )
        await await_answers(ctx, exchange)


@register
class CrossCheck(Scenario):
    flow = ExchangeKind.INCOMING_REQUEST
    plan: ClassVar[Mapping[str, str]] = {
        "urgency": "non_urgent", "availability": "direct", "sender_role": "spoc", "recipient_role": "spoc"}
    name = "incoming.cross-check"
    title = "Two states ask about the same person six days apart; the second request must be cross-checked"
    requirements = frozenset({"R-84"})  # two exchanges on one person

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()

    def fixtures(self) -> list[dict[str, Any]]:
        return [fixture(self.subject, f"{self.subject}: reported missing passport AT-{self.data.plate()}")]

    async def run(self, ctx: ScenarioContext) -> None:
        first_request = self.data.request(requesting_state="PT", requested_state=ctx.state, requester="SPOC-PT",
                                          subject=self.subject, items=[f"Identity documents of {self.subject}"])
        first, _ = await send_incoming(
            ctx, key=f"{self.name}[first]", title="First request on the person", requirements=[],
            at=ctx.local(date(2026, 3, 27), 12, 0), requester="SPOC-PT", request=first_request,
            availability="DIRECT", expected={"I1": "provide"},
        )
        second_request = self.data.request(requesting_state="LT", requested_state=ctx.state,
                                           requester="SPOC-LT", subject=self.subject,
                                           items=[f"Travel movements of {self.subject}"])
        second, _ = await send_incoming(
            ctx, key=f"{self.name}[second]", title="Second request on the same person",
            requirements=sorted(self.requirements), at=ctx.local(date(2026, 4, 2), 10, 0), requester="SPOC-LT",
            request=second_request, availability="DIRECT", expected={"I1": "provide"},
            facts={"cross_check_with": first.key},
        )
        await await_answers(ctx, first, until=ctx.now + timedelta(days=8))
        await await_answers(ctx, second)
