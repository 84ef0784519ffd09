"""What the checks look at: the campaign's result, with the questions checks keep asking of it.

Times come from the network (the channels' journal) in the `virtual` and `real` time modes; in the
`declared` mode the receipt and the answer times are those the CMS itself recorded in its case
export (its `received_at` and the `at` of its communications), for a CMS that cannot follow the
network clock but does record when things happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from conformance.campaign.runner import CampaignResult, Exports
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.scenarios.flows import ANSWER_KINDS, belongs_to
from conformance.settings import CampaignSettings, TimeMode
from conformance.sut import CaseRecord, Communication
from conformance.verdicts import describe_gap, message_evidence, z
from reports.results import Evidence

__all__ = ["CampaignView", "Copy"]


class Copy:
    """A copy of a message to a party: in the same message (To/CC) or as a separate COPY message."""

    def __init__(self, party: str, message: Observed, same_message: bool) -> None:
        self.party = party
        self.message = message
        self.same_message = same_message

    @property
    def at(self) -> datetime:
        return self.message.created_at


class CampaignView:
    def __init__(self, result: CampaignResult) -> None:
        self.result = result

    # -- basics -------------------------------------------------------------------------------

    @property
    def settings(self) -> CampaignSettings:
        return self.result.settings

    @property
    def ledger(self) -> Ledger:
        return self.result.ledger

    @property
    def exports(self) -> Exports:
        return self.result.exports

    @property
    def observed_until(self) -> datetime:
        return self.result.network_end

    @property
    def sut_state(self) -> str:
        return self.settings.sut_state

    @property
    def spoc(self) -> str:
        return f"SPOC-{self.sut_state}"

    @property
    def sut_parties(self) -> list[str]:
        return self.ledger.sut_parties

    def exchanges(self, *kinds: ExchangeKind, requirement: str | None = None) -> list[Exchange]:
        found = [
            e for e in self.ledger.exchanges.values()
            if (not kinds or e.kind in kinds) and (requirement is None or requirement in e.requirements)
        ]
        return sorted(found, key=lambda e: (e.sent_at or self.result.network_start, e.key))

    def incoming(self, requirement: str | None = None) -> list[Exchange]:
        return self.exchanges(ExchangeKind.INCOMING_REQUEST, requirement=requirement)

    def message(self, message_id: str | None) -> Observed | None:
        return self.ledger.get(message_id)

    def from_sut(self, *kinds: str) -> list[Observed]:
        return [m for m in self.ledger.from_sut() if not kinds or m.kind in kinds]

    # -- exchanges ------------------------------------------------------------------------------

    def of(self, exchange: Exchange, *kinds: str) -> list[Observed]:
        """SUT messages belonging to the exchange, optionally of some kinds, in time order."""
        return [m for m in self.ledger.from_sut() if belongs_to(m, exchange) and (not kinds or m.kind in kinds)]

    def answers(self, exchange: Exchange) -> list[Observed]:
        return self.of(exchange, *ANSWER_KINDS)

    def recipient(self, exchange: Exchange) -> str:
        return str(exchange.facts.get("recipient") or self.spoc)

    def received_at(self, exchange: Exchange) -> datetime | None:
        """Art 5(1) §2 receipt: the delivery to the SUT's mailbox (or the CMS's own record in declared mode)."""
        if self.settings.time_mode is TimeMode.DECLARED:
            case = self.case(exchange)
            if case is not None and case.received_at is not None:
                return case.received_at
        message = self.message(exchange.message_id)
        if message is None:
            return exchange.sent_at
        return message.delivered_at(self.recipient(exchange)) or message.created_at

    def answered_at(self, message: Observed, exchange: Exchange) -> datetime:
        """When an answer was given: network time, or in declared mode the CMS's recorded time."""
        if self.settings.time_mode is TimeMode.DECLARED:
            case = self.case(exchange)
            if case is not None:
                recorded = case.communication(message.message_id)
                if recorded is not None and recorded.at is not None:
                    return recorded.at
        return message.created_at

    def suspensions(self, exchange: Exchange) -> list[tuple[datetime, datetime]]:
        asked, answered = exchange.event("clarification_requested"), exchange.event("clarification_received")
        if asked is None:
            return []
        end = answered.at if answered is not None else self.observed_until
        return [(asked.at, end)]

    def case(self, exchange: Exchange, exports: Exports | None = None) -> CaseRecord | None:
        source = exports or self.exports
        if exchange.sut_case_id:
            found = next((c for c in source.cases if c.case_id == exchange.sut_case_id), None)
            if found is not None:
                return found
        return source.case_of(exchange.message_id, exchange.reference)

    def cases_of_message(self, message_id: str) -> list[CaseRecord]:
        return [c for c in self.exports.cases if c.communication(message_id) is not None]

    def copies(self, message: Observed, party: str) -> list[Copy]:
        """Copies of `message` to `party`: the party in its To/CC, or COPY messages of it (any channel).

        On Interpol I-24/7 and SIRENE a SPOC is reached through its state's NCB or SIRENE bureau, which
        Art 15(2) makes part of the SPOC: a copy addressed to them there is a copy to the SPOC.
        """
        found: list[Copy] = []
        if _addressed(message, party):
            found.append(Copy(party, message, True))
        for other in self.ledger.messages():
            if other.kind != "COPY" or not _addressed(other, party):
                continue
            original = other.field("original") or {}
            if other.field("copy_of") == message.message_id or (
                message.case_reference and isinstance(original, dict)
                and original.get("case_reference") == message.case_reference
                and original.get("kind") == message.kind
            ):
                found.append(Copy(party, other, False))
        return found

    def internal_copies(self, message: Observed, party: str) -> list[Communication]:
        """Copies of `message` to one of the SUT's own parties that never crossed a channel (recorded as such).

        A CMS serving both the SPOC and a domestic authority may hand the SPOC its copy inside the CMS
        (the reference CMS does so when the exchange travels on Interpol, where there is no SPOC address).
        """
        if party not in self.sut_parties:
            return []
        found = []
        for case in self.cases_of_message(message.message_id):
            for com in case.communications:
                if com.message_id != message.message_id and com.copy_reason and (
                        party in com.recipients or com.counterpart == party) and com.at is not None:
                    found.append(com)
        return found

    # -- evidence -------------------------------------------------------------------------------

    def evidence(self, exchange: Exchange, extra: Iterable[Observed] = ()) -> list[Evidence]:
        messages = {m.message_id: m for m in self.ledger.of_exchange(exchange)}
        for m in extra:
            messages[m.message_id] = m
        return [message_evidence(m) for m in sorted(messages.values(), key=lambda m: m.created_at)]

    def sent_text(self, exchange: Exchange) -> str:
        message = self.message(exchange.message_id)
        received = self.received_at(exchange)
        local = self.settings.local(received).strftime("%a %d %b %H:%M %Z") if received else "?"
        base = message.summary() if message else f"{exchange.title} (no message)"
        return f"sent {base}; received {z(received)} ({local})"

    def answers_text(self, exchange: Exchange) -> str:
        answers = self.answers(exchange)
        received = self.received_at(exchange)
        if not answers:
            return "came back: nothing"
        parts = []
        for m in answers:
            gap = f", {describe_gap(received, m.created_at)} after receipt" if received else ""
            parts.append(f"{m.message_id} {m.kind} on {m.channel} at {z(m.created_at)}{gap}")
        return "came back: " + "; ".join(parts)

    def virtual_span(self) -> timedelta:
        return self.result.network_end - self.result.network_start


_CHANNEL_ADDRESS = {"INTERPOL": "NCB", "SIRENE": "SIRENE"}


def _addressed(message: Observed, party: str) -> bool:
    if party in message.recipients:
        return True
    prefix, _, state = party.partition("-")
    alias = _CHANNEL_ADDRESS.get(message.channel)
    return prefix == "SPOC" and alias is not None and f"{alias}-{state}" in message.recipients
