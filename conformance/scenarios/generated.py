"""Exchanges generated from the catalogue's applicability model, not written by hand.

Hand-written scenarios exercise an obligation on the combinations their author thought of; a CMS
that breaks it only on another one (an urgent request of a designated authority, a refusal in German)
passes them. Here every dimension a generated exchange can take is listed with its values (the
domain); the plan is every pair of values (`pairwise`) plus a row for every value, pair and named
combination of a requirement's applicability still unexercised (`close_over`). Each row becomes one
scenario; the checks pick its exchange up through the model (conformance.selection): a row, incoming or
outgoing, is judged by the requirements whose applicability admits it, and declares none.

All rows share a handful of instants of the shared timeline (the receipt times the hand-written
scenarios already use), so the clock steps grow far less than the exchanges.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any, ClassVar

from conformance.applicability import Profile
from conformance.catalogue import load_catalogue
from conformance.combinations import Domain, Row, close_over, pairwise
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.scenarios.base import Scenario, ScenarioContext, register
from conformance.scenarios.flows import await_answers, fixture, send_incoming
from conformance.scenarios.outgoing import _Stimulated
from simulators.model.directive import DataSubjectCategory, InformationRequest, RequestedItem, RequesterType
from simulators.model.parties import state as state_of

__all__ = ["INCOMING_DOMAIN", "OUTGOING_DOMAIN", "incoming_plan", "outgoing_plan", "profile"]

INCOMING_DOMAIN: Domain = {
    "urgency": ("urgent", "non_urgent"),
    "availability": ("direct", "indirect"),
    "sender_role": ("spoc", "designated_authority"),
    "recipient_role": ("spoc", "competent_authority"),
    "language": ("english", "shared_national", "recipient_only"),
    "subject_category": ("suspect", "potential_offender", "witness", "victim", "contact", "informant"),
    "origin": ("national", "other_state_consented", "other_state_not_consented", "third_country_not_consented"),
    "receipt": ("office_hours", "night", "weekend", "holiday", "dst_change"),
    "subject": ("person", "none"),
    "channel": ("siena", "sirene"),
}
OUTGOING_DOMAIN: Domain = {
    "urgency": ("urgent", "non_urgent"),
    "sender_role": ("spoc", "designated_authority", "competent_authority"),
    "recipient_role": ("spoc", "competent_authority"),
    "language": ("english", "shared_national", "recipient_only"),
    "channel": ("siena", "i24_7"),
}
# What every generated exchange is on the dimensions it does not vary (a row that names a channel overrides
# it): courts and clarifications need purpose-written scenarios (procedures.py, long_running.py).
_FIXED = {"channel": "siena", "judicial": "none", "clarification": "none"}

# Local times of the SUT's state, the same instants the hand-written scenarios use (shared clock steps).
_RECEIPT: dict[str, tuple[date, tuple[int, int], tuple[str, ...]]] = {
    "office_hours": (date(2026, 3, 31), (10, 0), ()),
    "night": (date(2026, 3, 27), (23, 30), ("night",)),
    "weekend": (date(2026, 3, 28), (15, 0), ("weekend",)),
    "holiday": (date(2026, 4, 3), (11, 0), ("holiday",)),
    "dst_change": (date(2026, 3, 29), (1, 30), ("night", "weekend", "dst")),
}
_OUTGOING_AT = (date(2026, 3, 27), (12, 0))
_GERMAN_SPEAKING = ("DE", "LU", "BE")  # German on both their list and the SUT's (AT)
_THIRD_COUNTRIES = ("US", "GB", "TR")  # where a record may come from outside the directive's states
_OTHERS = ("FR", "NL", "IT", "PL", "ES", "PT", "SE", "CZ", "HU", "SK", "SI", "HR", "LV", "LT", "EE", "FI", "RO",
           "BG", "GR", "CY", "MT", "IE")


def _incoming_valid(row: Mapping[str, str]) -> bool:
    # A foreign designated authority asks a SPOC (Art 4(1)); only a SPOC's request goes to an authority here
    # (Art 8(1)), as RequestToCompetentAuthority has it.
    if row.get("recipient_role") == "competent_authority" and row.get("sender_role") not in (None, "spoc"):
        return False
    # A request naming no one finds no record in the national databases: there is no origin to vary.
    if row.get("subject") == "none" and row.get("origin") not in (None, "national"):
        return False
    # SIRENE carries a request only as the other channel urgency calls for (Art 13(2)(b)), bureau to bureau:
    # the requesting SPOC's bureau to the SUT's, both part of their SPOCs (Art 15(2)).
    return not (row.get("channel") == "sirene" and (
        row.get("urgency") not in (None, "urgent") or row.get("sender_role") not in (None, "spoc")
        or row.get("recipient_role") not in (None, "spoc")))


def _outgoing_valid(row: Mapping[str, str]) -> bool:
    sender, recipient = row.get("sender_role"), row.get("recipient_role")
    # Interpol I-24/7 (a third country involved, Art 13(2)(a)) runs NCB to NCB: a request to a foreign SPOC,
    # in English, the one language both the NCBs and every state's Art 11 list have.
    if row.get("channel") == "i24_7" and (sender == "competent_authority" or recipient not in (None, "spoc")
                                          or row.get("language") not in (None, "english")):
        return False
    if sender == "designated_authority" and recipient not in (None, "spoc"):
        return False
    return not (sender == "competent_authority" and recipient not in (None, "competent_authority"))


def _plan(kind: ExchangeKind, domain: Domain, valid: Any) -> list[Row]:
    """Every pair of values of the dimensions the law ties to another (all pairs among them, not only the
    tied ones), then whatever value, tied pair or named combination a requirement still lacks."""
    model = [a for a in load_catalogue().applicability if a.generated and kind in a.flows]
    tied = {name for a in model for pair in a.pairs for name in pair}
    return close_over(pairwise(domain, valid, among=tied), domain, valid, model)


@cache
def incoming_plan() -> tuple[Row, ...]:
    return tuple(_plan(ExchangeKind.INCOMING_REQUEST, INCOMING_DOMAIN, _incoming_valid))


@cache
def outgoing_plan() -> tuple[Row, ...]:
    return tuple(_plan(ExchangeKind.OUTGOING_REQUEST, OUTGOING_DOMAIN, _outgoing_valid))


def profile(row: Mapping[str, str]) -> dict[str, frozenset[str]]:
    return {name: frozenset({value}) for name, value in {**_FIXED, **row}.items()}


def _pick(pool: tuple[str, ...], index: int, avoid: str = "AT") -> str:
    choices = [s for s in pool if s != avoid]
    return choices[index % len(choices)]


class GeneratedIncoming(Scenario):
    """A request from a foreign party, shaped by one row of the incoming plan."""
    flow = ExchangeKind.INCOMING_REQUEST

    row: ClassVar[dict[str, str]]
    index: ClassVar[int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = self.data.person()
        row = self.row
        language = row["language"]
        pool = _GERMAN_SPEAKING if language == "shared_national" else _OTHERS
        self.requesting_state = _pick(pool, self.index)
        self.language = "en" if language == "english" else "de"
        self.originator = _pick(("FR", "IT", "NL", "PL"), self.index + 1, avoid=self.requesting_state)

    @classmethod
    def planned_profile(cls) -> Profile:
        return profile(cls.row)  # the row it is built from is the profile its exchange records

    def fixtures(self) -> list[dict[str, Any]]:
        row = self.row
        if row["subject"] == "none":
            return []  # the national databases hold nothing on the telephone number the request asks about
        fields: dict[str, Any] = {
            "availability": row["availability"].upper(), "subject_category": row["subject_category"].upper(),
            "data_categories": ["PERSONAL_DETAILS", "FINANCIAL"], "source_reliability": "B",
            "information_accuracy": "2",
        }
        if row["origin"] == "third_country_not_consented":
            # Obtained from a third country (Art 6(1)(h) names both): its consent is owed as a member state's.
            fields |= {"originator_state": _pick(_THIRD_COUNTRIES, self.index), "originator_consent": False}
        elif row["origin"] != "national":
            fields |= {"originator_state": self.originator,
                       "originator_consent": row["origin"] == "other_state_consented"}
        return [fixture(self.subject, f"{self.subject}: account at a bank in {self.originator}; lives at "
                        f"{self.data.street_address()}", **fields)]

    async def run(self, ctx: ScenarioContext) -> None:
        row = self.row
        designated = row["sender_role"] == "designated_authority"
        sirene = row["channel"] == "sirene"
        requester = f"{'SIRENE' if sirene else 'DLEA' if designated else 'SPOC'}-{self.requesting_state}"
        request = self.data.request(
            requesting_state=self.requesting_state, requested_state=ctx.state, requester=requester,
            subject=self.subject, items=[f"Bank accounts and addresses of {self.subject}"],
            urgent=row["urgency"] == "urgent", language=self.language,
            requester_type=RequesterType.DESIGNATED_AUTHORITY if designated else RequesterType.SPOC,
            subject_category=DataSubjectCategory(row["subject_category"].upper()),
        )
        if row["subject"] == "none":
            request = _without_subject(request, self.index)
        day, hour, labels = _RECEIPT[row["receipt"]]
        to_authority = row["recipient_role"] == "competent_authority"
        to = f"LEA-{ctx.state}" if to_authority else f"SIRENE-{ctx.state}" if sirene else None
        exchange, _ = await send_incoming(
            ctx, key=self.name, title=self.title, requirements=sorted(self.requirements),
            at=ctx.local(day, *hour), requester=requester, request=request, availability=row["availability"].upper(),
            expected={"I1": _expected(row)},
            to=to, cc=[ctx.spoc] if to_authority else (), labels=(*labels, *(("sirene",) if sirene else ())),
            facts={"profile": {**_FIXED, **row}, "generated": True},
        )
        await await_answers(ctx, exchange)


def _expected(row: Mapping[str, str]) -> str:
    """What the national databases the harness loaded call for: nothing held on a request naming no one is
    refused as not available (Art 6(1)(a)); a record of unconsented foreign origin on OC (Art 6(1)(h))."""
    if row["subject"] == "none":
        return "NA"
    return "OC" if row["origin"] in ("other_state_not_consented", "third_country_not_consented") else "provide"


def _without_subject(request: InformationRequest, index: int) -> InformationRequest:
    """The request about a telephone number named only in its text: no person or object (Art 4(5)(d) asks for
    the persons concerned 'where applicable')."""
    number = f"+43 660 {index:03d} {(index * 7919) % 10000:04d}"
    wanted = f"Subscriber and cell locations of the telephone number {number} used in the fraud on 20 March 2026"
    return request.model_copy(update={
        "entities": [], "subject_link": None, "info_requested": wanted,
        "availability_reasons": f"{number} is an Austrian mobile number",
        "urgency_reasons": f"The user of {number} is believed to plan an attack within the next 24 hours"
        if request.urgent else None,
        "items": [RequestedItem(item_id="I1", description=wanted)],
    })


class GeneratedOutgoing(_Stimulated):
    """A request the SUT is told to send, shaped by one row of the outgoing plan (roles and state set on
    registration: `by`, `to`, `to_state`, `urgent`)."""

    row: ClassVar[dict[str, str]]
    index: ClassVar[int]
    language: ClassVar[str | None] = None  # the operator's choice, when the row asks for one
    day, hour = _OUTGOING_AT

    @classmethod
    def planned_profile(cls) -> Profile:
        return profile(cls.row)  # the row it is built from is the profile its exchange records

    def body(self, ctx: ScenarioContext) -> dict[str, Any]:
        body = super().body(ctx)
        if self.language is not None:
            body["language"] = self.language
        if self.row["channel"] == "i24_7":
            # A United States case is involved: the request may travel on Interpol I-24/7 (Art 13(2)(a)).
            body["third_countries"] = ["US"]
        return body

    def expected_recipients(self, ctx: ScenarioContext) -> dict[str, str]:
        destination = self.to_state
        if self.to == "SPOC":
            addressee = {f"SPOC-{destination}": "addressee"}
            return addressee | ({ctx.spoc: "copy:ART_4_1"} if self.by == "DESIGNATED_AUTHORITY" else {})
        if self.by == "SPOC":
            return {f"LEA-{destination}": "addressee", f"SPOC-{destination}": "copy:ART_8_1"}
        return {f"LEA-{destination}": "addressee", f"SPOC-{destination}": "copy:ART_8_2", ctx.spoc: "copy:ART_8_2"}

    async def after_sent(self, ctx: ScenarioContext, exchange: Exchange, sent: Observed) -> None:
        exchange.facts["profile"] = {**_FIXED, **self.row}
        exchange.facts["generated"] = True
        await super().after_sent(ctx, exchange, sent)


def _describe(row: Mapping[str, str]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {value.replace('_', ' ')}" for name, value in row.items())


def _register_plan() -> None:
    for index, row in enumerate(incoming_plan(), start=1):
        register(type(f"GeneratedIncoming{index:02d}", (GeneratedIncoming,), {
            "name": f"generated.incoming[{index:02d}]", "row": row, "index": index,
            "title": f"Generated incoming request: {_describe(row)}",
        }))
    for index, row in enumerate(outgoing_plan(), start=1):
        language = row["language"]
        destination = _pick(_GERMAN_SPEAKING if language == "shared_national" else _OTHERS, index)
        register(type(f"GeneratedOutgoing{index:02d}", (GeneratedOutgoing,), {
            "name": f"generated.outgoing[{index:02d}]", "row": row, "index": index,
            "to_state": destination, "by": row["sender_role"].upper(), "to": row["recipient_role"].upper(),
            # The operator names the requested state's own language; otherwise the SUT chooses (German where shared).
            "language": state_of(destination).languages[0] if language == "recipient_only" else None,
            "title": f"Generated outgoing request: {_describe(row)}",
            "urgent": row["urgency"] == "urgent",
        }))


_register_plan()
