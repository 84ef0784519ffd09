"""What the checks look at: the campaign's result, with the questions checks keep asking of it.

The SUT's exports (case records, audit log, statistics) are taken at one moment, `Exports.at`: when
the main timeline ends, and again after the retention review. A record can only be judged against
what had happened by then, so `CampaignView.as_exported()` gives the view a records check compares
with an export: its ledger answers with the messages created up to the export only, and keeps the
later ones it left out (a late answer, anything in the retention phase), for the check to say so.

Times come from the network (the channels' journal) in the `virtual` and `real` time modes; in the
`declared` mode the Art 5(1) receipt and answer times are those the CMS itself recorded in its case
export (its `received_at` and the `at` of its communications). Every other time (copies, notices, the
end of the campaign) stays on network time, so declared times are only comparable with network times
when the CMS keeps the network clock: `declared_clock` measures whether it does (conformance.campaign.
clocks), and `cross_clock` says why not, for the checks to leave such comparisons inconclusive.

In real time mode the campaign watches the SUT for --real-wait seconds of wall clock: an absence that
was not yet due when it stopped proves nothing (`unseen_before`), and a receipt may be stamped when a
pushed delivery reached the SUT (`receipt_bounds`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property

from pydantic import PrivateAttr

from conformance.campaign.clocks import ClockComparison, DeclaredClock, Stamp
from conformance.campaign.runner import CampaignResult, Exports
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.scenarios.flows import ANSWER_KINDS, belongs_to
from conformance.settings import CampaignSettings, TimeMode
from conformance.sut import CaseRecord, Communication
from conformance.verdicts import describe_gap, message_evidence, utc_text
from reports.results import Evidence
from simulators.model.channels import channel_spec

__all__ = ["CampaignView", "Copy", "LedgerAsOf"]


class Copy:
    """A copy of a message to a party: in the same message (To/CC) or as a separate COPY message."""

    def __init__(self, party: str, message: Observed, same_message: bool) -> None:
        self.party = party
        self.message = message
        self.same_message = same_message

    @property
    def at(self) -> datetime:
        return self.message.created_at


class LedgerAsOf(Ledger):
    """The ledger as an export taken at `as_of` could reflect it: its queries see no message created later.

    `observed` stays the whole journal (the channels did give those ids); every query that picks
    messages leaves the later ones out and remembers them in `left_out`, in the order met.
    """

    _as_of: datetime = PrivateAttr()
    _whole: Ledger = PrivateAttr()
    _left_out: dict[str, Observed] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, ledger: Ledger, as_of: datetime) -> LedgerAsOf:
        whole = ledger.whole if isinstance(ledger, LedgerAsOf) else ledger
        bounded = cls.model_construct(**{name: getattr(whole, name) for name in Ledger.model_fields})
        bounded._as_of = as_of
        bounded._whole = whole
        bounded._left_out = {}
        return bounded

    @property
    def whole(self) -> Ledger:
        """The unbounded ledger, for a query that narrows its messages down before bounding them."""
        return self._whole

    @property
    def as_of(self) -> datetime:
        return self._as_of

    @property
    def left_out(self) -> list[Observed]:
        return list(self._left_out.values())

    def after(self, message: Observed) -> bool:
        return message.created_at > self._as_of

    def opened_after(self, exchange: Exchange) -> bool:
        """The exchange began after the export: its first message (or, unobserved, its sending) is later."""
        message = self.observed.get(exchange.message_id) if exchange.message_id else None
        if message is not None:
            if self.after(message):
                self._left_out.setdefault(message.message_id, message)
                return True
            return False
        return exchange.sent_at is not None and exchange.sent_at > self._as_of

    def within(self, found: list[Observed], *, remember: bool = True) -> list[Observed]:
        """`found` without the messages created after the export (remembered as left out, unless told not to)."""
        kept = []
        for message in found:
            if not self.after(message):
                kept.append(message)
            elif remember:
                self._left_out.setdefault(message.message_id, message)
        return kept

    def messages(self) -> list[Observed]:
        return self.within(super().messages())

    def from_sut(self) -> list[Observed]:
        return self.within(super().from_sut())

    def to_sut(self) -> list[Observed]:
        return self.within(super().to_sut())

    def get(self, message_id: str | None) -> Observed | None:
        found = super().get(message_id)
        kept = self.within([found]) if found is not None else []
        return kept[0] if kept else None

    def answers_to(self, exchange: Exchange) -> list[Observed]:
        return self.within(super().answers_to(exchange))

    def of_exchange(self, exchange: Exchange) -> list[Observed]:
        return self.within(super().of_exchange(exchange))


class CampaignView:
    def __init__(self, result: CampaignResult) -> None:
        self.result = result

    def as_exported(self, exports: Exports | None = None) -> CampaignView:
        """The campaign as the records of `exports` (the main timeline's by default) could show it.

        A case record must hold every message sent or received up to the export, the statistics count
        exactly the exchanges up to it, and the audit log logs the processing up to it; none of them can
        hold what happened later, so the later messages are left out of the judgement (see
        `left_out`), never counted as missing from the records.
        """
        source = exports or self.exports
        return CampaignView(replace(self.result, ledger=LedgerAsOf.of(self.result.ledger, source.at),
                                    exports=source))

    def _narrowed(self, pick: Callable[[Ledger], Iterable[Observed]], *, judged: bool = True) -> list[Observed]:
        """Messages a query picks from the whole journal, then bounded by the export (if any).

        Bounding after picking keeps `left_out` to the messages the query was about; messages picked
        only to be shown (`judged=False`) are bounded without counting as left out of a judgement.
        """
        ledger = self.result.ledger
        if isinstance(ledger, LedgerAsOf):
            return ledger.within(list(pick(ledger.whole)), remember=judged)
        return list(pick(ledger))

    @property
    def as_of(self) -> datetime | None:
        """The export time bounding this view, or None for the whole campaign."""
        ledger = self.result.ledger
        return ledger.as_of if isinstance(ledger, LedgerAsOf) else None

    @property
    def left_out(self) -> list[Observed]:
        """Messages to or from the SUT this view's queries met but left out as later than its export."""
        ledger = self.result.ledger
        if not isinstance(ledger, LedgerAsOf):
            return []
        parties = set(self.sut_parties)
        return [m for m in ledger.left_out if m.sender in parties or parties & set(m.recipients)]

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
        ledger = self.ledger
        found = [
            e for e in ledger.exchanges.values()
            if (not kinds or e.kind in kinds) and (requirement is None or requirement in e.requirements)
            and not (isinstance(ledger, LedgerAsOf) and ledger.opened_after(e))
        ]
        return sorted(found, key=lambda e: (e.sent_at or self.result.network_start, e.key))

    def incoming(self, requirement: str | None = None) -> list[Exchange]:
        return self.exchanges(ExchangeKind.INCOMING_REQUEST, requirement=requirement)

    def message(self, message_id: str | None) -> Observed | None:
        return self.ledger.get(message_id)

    def messages(self, *kinds: str) -> list[Observed]:
        """Journal messages, optionally of some directive kinds."""
        return self._narrowed(lambda ledger: (m for m in ledger.messages() if not kinds or m.kind in kinds))

    def from_sut(self, *kinds: str) -> list[Observed]:
        return self._narrowed(lambda ledger: (m for m in ledger.from_sut() if not kinds or m.kind in kinds))

    # -- exchanges ------------------------------------------------------------------------------

    def of(self, exchange: Exchange, *kinds: str) -> list[Observed]:
        """SUT messages belonging to the exchange, optionally of some kinds, in time order."""
        return self._narrowed(lambda ledger: (m for m in ledger.from_sut()
                                              if belongs_to(m, exchange) and (not kinds or m.kind in kinds)))

    def exchange_messages(self, exchange: Exchange, *kinds: str) -> list[Observed]:
        """The journal messages of the exchange either way (`Ledger.of_exchange`), optionally of some kinds."""
        return self._narrowed(lambda ledger: (m for m in ledger.of_exchange(exchange) if not kinds or m.kind in kinds))

    def answers(self, exchange: Exchange) -> list[Observed]:
        return self.of(exchange, *ANSWER_KINDS)

    def recipient(self, exchange: Exchange) -> str:
        return str(exchange.facts.get("recipient") or self.spoc)

    def received_at(self, exchange: Exchange) -> datetime | None:
        """Art 5(1) §2 receipt: the delivery to the SUT's mailbox (or the CMS's own record in declared mode)."""
        return self.declared_received_at(exchange) or self.network_received_at(exchange)

    def network_received_at(self, exchange: Exchange) -> datetime | None:
        """The network's delivery of the request to the SUT, whatever the time mode."""
        message = self.message(exchange.message_id)
        if message is None:
            return exchange.sent_at
        return message.delivered_at(self.recipient(exchange)) or message.created_at

    def declared_received_at(self, exchange: Exchange) -> datetime | None:
        """Declared mode: the receipt the CMS recorded (None in the other modes, or when it recorded none)."""
        if self.settings.time_mode is not TimeMode.DECLARED:
            return None
        case = self.case(exchange)
        return case.received_at if case is not None else None

    def answered_at(self, message: Observed, exchange: Exchange) -> datetime:
        """When an answer was given: network time, or in declared mode the CMS's recorded time."""
        return self.declared_at(message, exchange) or message.created_at

    def declared_at(self, message: Observed, exchange: Exchange) -> datetime | None:
        """Declared mode: the time the CMS recorded for a message of the exchange (None in the other modes)."""
        if self.settings.time_mode is not TimeMode.DECLARED:
            return None
        case = self.case(exchange)
        recorded = case.communication(message.message_id) if case is not None else None
        return recorded.at if recorded is not None else None

    # -- the SUT's clock (declared mode) --------------------------------------------------------

    @cached_property
    def declared_clock(self) -> DeclaredClock | None:
        """Declared mode: the SUT's recorded times of receipts and of its own messages against the network's.

        Measured on the whole journal and the main export, so every view of one campaign says the same.
        """
        if self.settings.time_mode is not TimeMode.DECLARED:
            return None
        ledger = self.result.ledger
        whole = ledger.whole if isinstance(ledger, LedgerAsOf) else ledger
        whole_view = CampaignView(replace(self.result, ledger=whole, exports=self.result.exports))
        tolerance = self.settings.declared_clock_tolerance
        receipts: list[Stamp] = []
        for exchange in whole.exchanges.values():
            if exchange.kind is not ExchangeKind.INCOMING_REQUEST or not exchange.message_id:
                continue
            declared = whole_view.declared_received_at(exchange)
            message = whole.get(exchange.message_id)
            if declared is not None and message is not None:
                delivered = message.delivered_at(whole_view.recipient(exchange)) or message.created_at
                receipts.append(Stamp(message.message_id, declared, delivered))
        sent: dict[str, Stamp] = {}
        parties = set(whole.sut_parties)
        for case in self.result.exports.cases:
            for communication in case.communications:
                message = whole.get(communication.message_id)
                if communication.at is None or message is None or message.sender not in parties:
                    continue
                sent.setdefault(message.message_id, Stamp(message.message_id, communication.at, message.created_at))
        return DeclaredClock(
            receipts=ClockComparison("recorded receipt times", "delivery times", tuple(receipts), tolerance),
            sent=ClockComparison("recorded times of the messages it sent", "times of those messages",
                                 tuple(sent.values()), tolerance),
        )

    @property
    def cross_clock(self) -> str | None:
        """Why a time the SUT declared cannot be set against a network time (the measured disagreement of its
        clock with the network's); None when it can: in the virtual and real modes, and in the declared mode
        when the clocks agree."""
        clock = self.declared_clock
        return clock.cross_clock() if clock is not None else None

    @property
    def mixed_spans(self) -> str | None:
        """Why even a span between two times the SUT declared (receipt to answer) would mix clocks; else None."""
        clock = self.declared_clock
        return clock.mixed_spans() if clock is not None else None

    def receipt_bounds(self, message: Observed, party: str) -> tuple[datetime, datetime]:
        """When `party` can have received `message`: from its delivery to the mailbox (t0) until, in real time
        mode, `party` acknowledged it (at most `real_mode_receipt_slack` later).

        With a network clock that stands still between moves both are one instant. On the wall clock a
        pushed delivery reaches the SUT a little after the channel stamped it (retries, queueing), and a
        SUT that stamps its receipt on arrival stamps it in between; that span is no delay of the SUT's.
        """
        first = message.delivered_at(party) or message.created_at
        last = first
        if self.settings.time_mode is TimeMode.REAL:
            for ack in message.acks:
                if ack.get("party") == party and ack.get("acked_at"):
                    acked = datetime.fromisoformat(str(ack["acked_at"]).replace("Z", "+00:00"))
                    last = max(last, min(acked, first + self.settings.real_mode_receipt_slack))
        return first, last

    def real_time_note(self) -> str | None:
        """What real time mode cannot observe, for every judgement the end of the campaign cut short."""
        return self.settings.real_time_note()

    def unseen_before(self, due: datetime, what: str) -> str | None:
        """Why the absence of `what` proves nothing: in real time mode the campaign stopped watching before it
        was due.

        None when the observation reached `due`, and always on a virtual timeline: there the SUT settles at
        every instant the clock stops at and the scenarios wait past what they judge, so what the SUT had not
        done when the campaign ended it did not do in time.
        """
        note = self.real_time_note()
        if note is None or self.observed_until >= due:
            return None
        return (f"no {what} seen by {utc_text(self.observed_until)}, when the campaign stopped watching, "
                f"and none was due before {utc_text(due)}; {note}")

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

        def copy_of_message(other: Observed) -> bool:
            if other.kind != "COPY" or not _addressed(other, party):
                return False
            original = other.field("original") or {}
            return other.field("copy_of") == message.message_id or bool(
                message.case_reference and isinstance(original, dict)
                and original.get("case_reference") == message.case_reference
                and original.get("kind") == message.kind
            )

        found += [Copy(party, other, False)
                  for other in self._narrowed(lambda ledger: filter(copy_of_message, ledger.messages()))]
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
        shown = self._narrowed(lambda ledger: ledger.of_exchange(exchange), judged=False)
        messages = {m.message_id: m for m in shown}
        for m in extra:
            messages[m.message_id] = m
        return [message_evidence(m) for m in sorted(messages.values(), key=lambda m: m.created_at)]

    def sent_text(self, exchange: Exchange) -> str:
        message = self.message(exchange.message_id)
        received = self.network_received_at(exchange)
        local = self.settings.local(received).strftime("%a %d %b %H:%M %Z") if received else "?"
        base = message.summary() if message else f"{exchange.title} (no message)"
        text = f"sent {base}; received {utc_text(received)} ({local})"
        declared = self.declared_received_at(exchange)
        if declared is not None and declared != received:
            text += f"; the SUT recorded its receipt at {utc_text(declared)}"
        return text

    def answers_text(self, exchange: Exchange) -> str:
        """The SUT's answers as the network timed them (the gaps run from the network's delivery)."""
        answers = self.answers(exchange)
        received = self.network_received_at(exchange)
        if not answers:
            return "came back: nothing"
        parts = []
        for m in answers:
            gap = f", {describe_gap(received, m.created_at)} after receipt" if received else ""
            parts.append(f"{m.message_id} {m.kind} on {m.channel} at {utc_text(m.created_at)}{gap}")
        return "came back: " + "; ".join(parts)

    def virtual_span(self) -> timedelta:
        return self.result.network_end - self.result.network_start


def _addressed(message: Observed, party: str) -> bool:
    if party in message.recipients:
        return True
    # A state's SPOC is addressed through whichever party stands for the state on the message's channel.
    prefix, _, state = party.partition("-")
    if prefix != "SPOC":
        return False
    try:
        stand_in = channel_spec(message.channel).state_party(state)
    except ValueError:  # an unknown channel or state
        return False
    return stand_in is not None and stand_in in message.recipients
