"""The case engine: receipt of deliveries (push and pull), planned actions, and the exports.

Deliveries are kept in the store before they are acknowledged, then processed one at a time by the
worker together with the planned actions (answers, delay-notice updates, judicial decisions,
follow-ups, retention reviews, late copies, retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from simulators.model.channels import served_channels
from simulators.model.directive import CopyReason, RefusalGround
from simulators.model.sut_interface import (
    AuditOperation,
    CaseDirection,
    CaseRecord,
    CaseStatus,
    Communication,
    ItemState,
    Statistics,
)
from simulators.reference_cms.answers import Answering
from simulators.reference_cms.channels import ChannelError
from simulators.reference_cms.clock_follower import parse_network_time
from simulators.reference_cms.context import Context
from simulators.reference_cms.deciding import Deciding
from simulators.reference_cms.defects import (
    DELAY_UPDATES_STOP_AT_ESTIMATE,
    DUPLICATE_DELIVERY_OPENS_SECOND_CASE,
    ERASURE_LEAVES_TRACES,
    HAND_OVER_OUTSIDE_CMS,
    IGNORES_HARNESS_CLOCK,
    NCB_EXCHANGES_OUTSIDE_CMS,
    NO_DELAY_NOTICE_FOR_JUDICIAL,
    REKEYED_MESSAGE_IDS,
    RETENTION_REVIEW_WITHOUT_ERASURE,
)
from simulators.reference_cms.erasure import erase_everywhere, names_of
from simulators.reference_cms.incoming import Receiving
from simulators.reference_cms.scheduler import Worker
from simulators.reference_cms.sending import Outbound, Sender
from simulators.reference_cms.statistics import compute_statistics
from simulators.reference_cms.stimuli import Stimuli
from simulators.reference_cms.store import CaseState, PlannedAction

__all__ = ["CaseEngine"]

_log = logging.getLogger("reference_cms.engine")



class CaseEngine:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.sender = Sender(ctx)
        self.answering = Answering(ctx, self.sender)
        self.deciding = Deciding(ctx, self.answering)
        self.receiving = Receiving(ctx, self.sender, self.answering, self.deciding)
        self.stimuli = Stimuli(ctx, self.sender, self.answering, self.deciding)
        self.worker = Worker(ctx, self.receiving.process, self.run_action)
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def mailboxes(self) -> list[tuple[str, str]]:
        """(channel, party) of every mailbox the CMS reads: its own parties of each channel's mailbox kinds."""
        own = set(self.ctx.channels.parties)
        return [(spec.name.value, party) for spec in served_channels() for party in spec.mailboxes(self.ctx.state)
                if party in own]

    # -- receipt ------------------------------------------------------------------------------

    async def receive_push(
        self, channel: str, party: str, body: dict[str, Any], *, pushed_at: str | None = None,
    ) -> bool:
        """Keep a pushed delivery (before its 2xx acknowledges it); False if already kept.

        `pushed_at`: the push's `X-Network-Time`, the network time it left the channels at. Following the
        network clock, that is the receipt time, with no look at the clock (a round trip per push)."""
        ctx = self.ctx
        delivery_id = str(body.get("delivery_id") or "") or None
        if ctx.defects.active(DUPLICATE_DELIVERY_OPENS_SECOND_CASE):
            delivery_id = None  # every push is taken as new
        received_at = self._pushed_time(pushed_at)
        if received_at is None:
            if delivery_id is not None and ctx.store.has_delivery(delivery_id):
                # A push of what the mailbox sweep took already: kept, so no look at the clock for it.
                await ctx.store.durable()
                return False
            received_at = await self.receipt_time()
        # A delivery kept already is not kept again (its id is unique in the inbox).
        kept = ctx.store.add_inbox(delivery_id, channel, party, received_at, body["message"])
        if kept:
            ctx.clock.nudge()
        # Committed (with the step under way, if one is) before the 2xx acknowledges it; for a duplicate, the
        # first copy, which a step under way may hold uncommitted.
        await ctx.store.durable()
        return kept

    def _pushed_time(self, stamped: str | None) -> datetime | None:
        """The network time a push carries, taken into the clock; None when not following it or none is given."""
        clock = self.ctx.clock
        if not stamped or not clock.following or self.ctx.defects.active(IGNORES_HARNESS_CLOCK):
            return None
        try:
            clock.observe(parse_network_time(stamped))
        except ValueError:
            return None
        return clock.now()

    async def receipt_time(self) -> datetime:
        """The network time of a receipt: a fresh look at the network clock when following it."""
        clock = self.ctx.clock
        if clock.following and not self.ctx.defects.active(IGNORES_HARNESS_CLOCK):
            with contextlib.suppress(ChannelError, KeyError, ValueError):
                moment, mode = await self.ctx.channels.read_clock()
                clock.observe(moment, mode)
        return clock.now()

    async def sweep(self) -> int:
        """Pull every own mailbox once (the safety net under push delivery); how many were new."""
        ctx = self.ctx
        new = 0
        for channel, party in self.mailboxes:
            # A mailbox holds only unacknowledged deliveries, so each sweep reads it from the start.
            try:
                page = await ctx.channels.mailbox(channel, party, 0)
            except ChannelError as exc:
                _log.debug("pull %s %s failed: %s", channel, party, exc)
                continue
            kept: list[str] = []
            for delivery in page.get("deliveries", []):
                delivered = parse_network_time(str(delivery["delivered_at"]))
                if ctx.defects.active(IGNORES_HARNESS_CLOCK):
                    delivered = ctx.now()
                if ctx.store.add_inbox(str(delivery["delivery_id"]), channel, party, delivered, delivery["message"]):
                    new += 1
                kept.append(str(delivery["delivery_id"]))
            # Acknowledged once every delivery of the page is in the inbox, committed.
            if kept:
                await ctx.store.durable()
                with contextlib.suppress(ChannelError):
                    await ctx.channels.ack_many(channel, party, kept)
        if new:
            ctx.clock.nudge()
        return new

    def start(self, sweep_every: float) -> None:
        self.worker.start()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop(sweep_every), name="cms-sweeper")

    async def _sweep_loop(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)  # real time on purpose: a safety net, no legal timing rests on it
            try:
                await self.sweep()
            except Exception:
                _log.exception("mailbox sweep failed")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.worker.stop()

    # -- planned actions ------------------------------------------------------------------------

    async def run_action(self, action: PlannedAction) -> None:
        ctx = self.ctx
        case = ctx.store.case(action.case_id) if action.case_id else None
        if case is None:
            return
        handler = getattr(self, "_on_" + action.kind.lower(), None)
        if handler is None:
            _log.warning("unknown planned action %s", action.kind)
            return
        await handler(case, action)
        ctx.store.save_case(case)

    async def _on_answer(self, case: CaseState, action: PlannedAction) -> None:
        if case.status in (CaseStatus.CONCLUDED, CaseStatus.AWAITING_CLARIFICATION):
            return
        answering = self.answering
        answering.first_view(case)
        if case.handed_over_to and not self.ctx.defects.active(HAND_OVER_OUTSIDE_CMS):
            self.sender.record_national(case.case_id, case.handed_over_to, case.own_party, "HAND_BACK",
                                        "information returned by the competent authority", CaseDirection.INCOMING)
        open_items = [i for i in case.items if i.state is ItemState.OPEN]
        provide = [i.item_id for i in open_items if case.work[i.item_id].decision == "PROVIDE"]
        if provide:
            await answering.provide(case, provide)
        groups: dict[tuple[RefusalGround, ...], list[str]] = {}
        for item in open_items:
            work = case.work[item.item_id]
            if work.decision == "REFUSE":
                groups.setdefault(tuple(work.grounds or [RefusalGround.NA]), []).append(item.item_id)
        for grounds, items in groups.items():
            await answering.refuse(case, items, list(grounds))
        if case.status is CaseStatus.HANDED_OVER:
            case.status = CaseStatus.OPEN
        answering.conclude_if_done(case)

    async def _on_follow_up(self, case: CaseState, action: PlannedAction) -> None:
        self._event(case, "FOLLOW_UP", f"Art 16(1)(e): follow-up, deadline {action.payload.get('deadline')}")

    async def _on_escalate(self, case: CaseState, action: PlannedAction) -> None:
        self._event(case, "ESCALATION", f"Art 16(1)(e): escalated to the duty officer, deadline "
                                        f"{action.payload.get('deadline')}")

    def _event(self, case: CaseState, kind: str, detail: str) -> None:
        if case.status is not CaseStatus.CONCLUDED:
            case.events.append({"at": self.ctx.now().isoformat(), "kind": kind, "detail": detail})

    async def _on_judicial_update(self, case: CaseState, action: PlannedAction) -> None:
        ctx = self.ctx
        waiting = [i.item_id for i in case.items if i.state is ItemState.AWAITING_JUDICIAL_AUTHORISATION]
        if not waiting:
            return
        expected = parse_network_time(str(action.payload["expected_at"]))
        every = ctx.settings.judicial_update_every
        remaining = (expected - ctx.now()).total_seconds() / 3600
        if remaining <= 0 and ctx.defects.active(DELAY_UPDATES_STOP_AT_ESTIMATE):
            return  # the estimate passed: the defect waits for the court without a word
        if remaining <= 0:
            # The court is late: the estimate passed, so the requester hears the next one (Art 5(2) 'keep updated').
            remaining = every.total_seconds() / 3600
        if not ctx.defects.active(NO_DELAY_NOTICE_FOR_JUDICIAL):
            await self.answering.delay_notice(
                case, "UPDATE", remaining,
                f"Judicial authorisation for items {', '.join(waiting)} is still pending; expected within "
                f"{remaining:g} hours.")
        # Updates go on for as long as the items wait, however late the decision (Art 5(2) 'keep updated').
        ctx.store.plan(case.case_id, "JUDICIAL_UPDATE", ctx.now() + every,
                       {**action.payload, "expected_at": max(expected, ctx.now() + every).isoformat()})

    async def _on_judicial_application(self, case: CaseState, action: PlannedAction) -> None:
        """The batched application of the defect 'judicial-application-next-working-day' goes to the court."""
        still_open = {i.item_id for i in case.items if i.state is ItemState.OPEN}
        items = [i for i in action.payload.get("items", []) if i in still_open]
        if items and case.status is not CaseStatus.CONCLUDED:
            outcomes = {i: str(o) for i, o in dict(action.payload.get("outcomes", {})).items() if i in items}
            await self.deciding.start_judicial(case, items, float(action.payload.get("hours", 48.0)), outcomes)

    async def _on_judicial_decision(self, case: CaseState, action: PlannedAction) -> None:
        waiting = {i.item_id for i in case.items if i.state is ItemState.AWAITING_JUDICIAL_AUTHORISATION}
        items = [i for i in action.payload.get("items", []) if i in waiting]
        if items:
            self.answering.first_view(case)
            await self.stimuli.judicial_outcome(case, items, granted=action.payload.get("outcome") == "GRANTED")
            self.answering.conclude_if_done(case)

    async def _on_late_copy(self, case: CaseState, action: PlannedAction) -> None:
        out = Outbound.model_validate(action.payload["outbound"])
        await self.sender.send_copy(case.case_id, out, str(action.payload["recipient"]),
                                    CopyReason(action.payload["reason"]), str(action.payload["of"]),
                                    f"{out.key}:late-copy:{action.payload['recipient']}")

    async def _on_retry_send(self, case: CaseState, action: PlannedAction) -> None:
        await self.sender.deliver(Outbound.model_validate(action.payload["outbound"]))

    async def _on_europol_copy(self, case: CaseState, action: PlannedAction) -> None:
        out = Outbound.model_validate(action.payload["outbound"])
        sent = await self.sender.send_copy(case.case_id, out, "EUROPOL", CopyReason.ART_12, str(action.payload["of"]),
                                           f"{out.key}:europol-copy")
        if sent is None:
            self.ctx.store.plan(case.case_id, "EUROPOL_COPY", self.ctx.now() + self.ctx.settings.outage_retry_every,
                                action.payload)
        elif case.europol_decision is not None:
            case.europol_decision.message_ids.append(sent.message_id)

    async def _on_retention_review(self, case: CaseState, action: PlannedAction) -> None:
        """Art 16(3)-(4): the first review finds the purpose fulfilled and erases the personal data.

        Erased irrevocably: the records provided, the persons named in the request, the items and the
        cross-check matches, and the case's entries in the subject index. What stays is the exchange's
        bookkeeping (ids, times, parties, outcome), which the statistics and the audit need.
        """
        ctx = self.ctx
        if ctx.defects.active(RETENTION_REVIEW_WITHOUT_ERASURE):
            case.events.append({"at": ctx.now().isoformat(), "kind": "RETENTION_REVIEW",
                                "detail": "Art 16(4): reviewed; case archived with its data"})
            return
        names = names_of(case, ctx.store)
        erased = sum(len(w.records) for w in case.work.values())
        for work in case.work.values():
            work.records = []
        if case.request:
            case.request = {k: v for k, v in case.request.items()
                            if k not in ("entities", "subject_link", "items", "info_requested")}
        for item in case.items:
            item.subject, item.description = None, "(erased at the retention review)"
        ctx.store.erase_cross_check_subjects(case.case_id)
        ctx.store.forget_subjects(case.case_id)
        case.events.append({"at": ctx.now().isoformat(), "kind": "RETENTION_REVIEW",
                            "detail": f"Art 16(3)-(4): reviewed; personal data erased ({erased} record(s))"})
        ctx.audit.record(AuditOperation.ERASURE, "Art 16(3): personal data no longer necessary for the purpose "
                         "erased at the first retention review (Art 16(4))", case_id=case.case_id)
        if not ctx.defects.active(ERASURE_LEAVES_TRACES):
            erase_everywhere(case, ctx.store, names)

    # -- exports ------------------------------------------------------------------------------

    def _communications(self, case_id: str) -> list[Communication]:
        ctx = self.ctx
        numbered = ctx.store.communications_numbered(case_id)
        if not ctx.defects.active(REKEYED_MESSAGE_IDS):
            return [c for _, c in numbered]
        return [c.model_copy(update={"message_id": f"{ctx.state}-MSG-{n:06d}"}) for n, c in numbered]

    def export_case(self, case: CaseState) -> CaseRecord:
        return case.export(self._communications(case.case_id), self.ctx.store.cross_check_matches(case.case_id))

    def export_cases(self, *, direction: str | None = None, reference: str | None = None,
                     message_id: str | None = None) -> list[CaseRecord]:
        ctx = self.ctx
        if message_id is not None:
            cases = [c for c in (ctx.store.case(i) for i in ctx.store.cases_of_message(message_id)) if c]
        elif reference is not None:
            cases = ctx.store.cases_with_reference(reference)
        else:
            cases = ctx.store.cases()
        if direction is not None:
            cases = [c for c in cases if c.direction.value == direction]
        return [self.export_case(c) for c in cases if self.in_cms(c)]

    def in_cms(self, case: CaseState) -> bool:
        """False for a case the defect 'ncb-exchanges-outside-cms' keeps in the NCB's own application."""
        return not (case.own_party.startswith("NCB-") and self.ctx.defects.active(NCB_EXCHANGES_OUTSIDE_CMS))

    def statistics(self, year: int) -> Statistics:
        cases = [c for c in self.ctx.store.cases() if self.in_cms(c)]
        return compute_statistics(cases, year, self.ctx.state, self.ctx.defects, now=self.ctx.now())
