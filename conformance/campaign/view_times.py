"""When things happened, as the checks judge it: receipts, answers, suspensions and the SUT's own clock.

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

from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property

from conformance.campaign.clocks import ClockComparison, DeclaredClock, Stamp
from conformance.campaign.runner import CampaignResult
from conformance.campaign.view_journal import CampaignJournal, LedgerAsOf
from conformance.campaign.view_records import CampaignRecords
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.settings import CampaignSettings, TimeMode
from conformance.verdicts import describe_gap, utc_text

__all__ = ["CampaignTimes"]


class CampaignTimes:
    """The times of one campaign view: network time, or the SUT's declared time where the mode says so."""

    def __init__(self, result: CampaignResult, journal: CampaignJournal, records: CampaignRecords) -> None:
        self.result = result
        self.journal = journal
        self.records = records

    @property
    def settings(self) -> CampaignSettings:
        return self.result.settings

    @property
    def observed_until(self) -> datetime:
        return self.result.network_end

    def received_at(self, exchange: Exchange) -> datetime | None:
        """Art 5(1) §2 receipt: the delivery to the SUT's mailbox (or the CMS's own record in declared mode)."""
        return self.declared_received_at(exchange) or self.network_received_at(exchange)

    def network_received_at(self, exchange: Exchange) -> datetime | None:
        """The network's delivery of the request to the SUT, whatever the time mode."""
        message = self.journal.message(exchange.message_id)
        if message is None:
            return exchange.sent_at
        return message.delivered_at(self.journal.recipient(exchange)) or message.created_at

    def declared_received_at(self, exchange: Exchange) -> datetime | None:
        """Declared mode: the receipt the CMS recorded (None in the other modes, or when it recorded none)."""
        if self.settings.time_mode is not TimeMode.DECLARED:
            return None
        case = self.records.case(exchange)
        return case.received_at if case is not None else None

    def answered_at(self, message: Observed, exchange: Exchange) -> datetime:
        """When an answer was given: network time, or in declared mode the CMS's recorded time."""
        return self.declared_at(message, exchange) or message.created_at

    def declared_at(self, message: Observed, exchange: Exchange) -> datetime | None:
        """Declared mode: the time the CMS recorded for a message of the exchange (None in the other modes)."""
        if self.settings.time_mode is not TimeMode.DECLARED:
            return None
        case = self.records.case(exchange)
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
        whole_result = replace(self.result, ledger=whole)
        whole_view = CampaignTimes(whole_result, CampaignJournal(whole_result), self.records)
        tolerance = self.settings.declared_clock_tolerance
        receipts: list[Stamp] = []
        for exchange in whole.exchanges.values():
            if exchange.kind is not ExchangeKind.INCOMING_REQUEST or not exchange.message_id:
                continue
            declared = whole_view.declared_received_at(exchange)
            message = whole.get(exchange.message_id)
            if declared is not None and message is not None:
                delivered = message.delivered_at(whole_view.journal.recipient(exchange)) or message.created_at
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

    # -- told in evidence ---------------------------------------------------------------------

    def sent_text(self, exchange: Exchange) -> str:
        message = self.journal.message(exchange.message_id)
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
        answers = self.journal.answers(exchange)
        received = self.network_received_at(exchange)
        if not answers:
            return "came back: nothing"
        parts = []
        for m in answers:
            gap = f", {describe_gap(received, m.created_at)} after receipt" if received else ""
            parts.append(f"{m.message_id} {m.kind} on {m.channel} at {utc_text(m.created_at)}{gap}")
        return "came back: " + "; ".join(parts)

    def virtual_span(self) -> timedelta:
        return self.observed_until - self.result.network_start
