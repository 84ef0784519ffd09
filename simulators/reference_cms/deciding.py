"""Deciding a request: its copies, the cross-check, the items' decisions, the deadline and the planned answer.

Each step carries the named defect that breaks it, so that the kill matrix can prove the checks see
the mistake (docs/reference-cms.md describes the policy).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from simulators.model.deadlines import load_zone
from simulators.model.directive import Availability, CopyReason, InformationRequest, RequesterType
from simulators.model.parties import PartyKind
from simulators.model.sut_interface import AuditOperation, CaseItem, CaseStatus, ItemState
from simulators.reference_cms.answers import Answering
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import (
    ANSWER_TIMER_IGNORES_JUDICIAL_WAIT,
    CLARIFICATION_RESTARTS_CLOCK,
    DEADLINE_FROM_FIRST_VIEW,
    DEADLINE_IN_WORKING_DAYS,
    DESIGNATED_AUTHORITY_REQUESTS_OFFICE_HOURS_ONLY,
    JUDICIAL_APPLICATION_NEXT_WORKING_DAY,
    NO_CROSS_CHECK,
    NO_DELAY_NOTICE_FOR_JUDICIAL,
    NO_DELAY_UPDATES,
    NO_SPOC_COPY_FOR_AUTHORITY_REPLY,
    OFFICE_HOURS_ONLY,
    SUBJECTLESS_REQUESTS_NEVER_QUEUED,
    URGENT_AUTHORITY_REPLY_WITHOUT_SPOC_COPY,
    URGENT_DESIGNATED_REPLY_WITHOUT_COPY,
    URGENT_INDIRECT_WAITS_FOR_WORKING_DAY,
)
from simulators.reference_cms.intake import kind_of, state_of
from simulators.reference_cms.office_calendar import OFFICE_OPENS, is_working_day, next_office_moment
from simulators.reference_cms.policy import answer_delay, plan_items, request_availability
from simulators.reference_cms.store import CaseState, ItemWork

__all__ = ["Deciding"]


class Deciding:
    """What the state does with a request it has recorded: decide its items and plan when it answers."""

    def __init__(self, ctx: Context, answering: Answering) -> None:
        self.ctx = ctx
        self.answering = answering

    def answer_copies(self, case: CaseState, sender: str, request: InformationRequest) -> dict[str, CopyReason]:
        """The copies that go with the information provided in answer (Art 5(3) §2, Art 8)."""
        ctx = self.ctx
        their_state = state_of(sender)
        if request.copy_exception is not None or their_state is None:
            return {}
        sender_kind = kind_of(sender)
        own_kind = kind_of(case.own_party)
        if own_kind is PartyKind.COMPETENT_AUTHORITY:
            if sender_kind is PartyKind.SPOC:
                if ctx.defects.active(NO_SPOC_COPY_FOR_AUTHORITY_REPLY) or (
                        request.urgent and ctx.defects.active(URGENT_AUTHORITY_REPLY_WITHOUT_SPOC_COPY)):
                    return {}
                return {ctx.spoc: CopyReason.ART_8_1}
            return {ctx.spoc: CopyReason.ART_8_2, f"SPOC-{their_state}": CopyReason.ART_8_2}
        designated = request.requester_type is RequesterType.DESIGNATED_AUTHORITY
        if sender_kind is PartyKind.DESIGNATED_AUTHORITY or designated:
            if request.urgent and ctx.defects.active(URGENT_DESIGNATED_REPLY_WITHOUT_COPY):
                return {}
            return {f"SPOC-{their_state}": CopyReason.ART_5_3}
        return {}

    def hand_over_slot_taken(self, request: InformationRequest) -> bool:
        """For the defect 'second-hand-over-dropped': `request` needs information held by another authority while
        an earlier such request still waits for it."""
        ctx = self.ctx
        if request_availability(plan_items(request, ctx.store.fixtures(), ctx.defects)) is not Availability.INDIRECT:
            return False
        return ctx.store.open_requests_waiting_for_others() > 0

    def cross_check(self, case: CaseState, subjects: list[str]) -> None:
        """Art 16(1)(d): match the request against earlier exchanges and the information held."""
        ctx = self.ctx
        if ctx.defects.active(NO_CROSS_CHECK):
            return
        # The fields of each CrossCheckMatch, kept as they are (Store.record_cross_check): under load a person is in
        # every few requests, and a model per earlier exchange on them was most of a request's cost.
        matches: list[dict[str, str | None]] = []
        fixtures = ctx.store.fixture_index()
        for subject in subjects:
            for other_id, message in ctx.store.exchanges_with_subject(subject):
                if other_id == case.case_id:
                    continue
                matches.append({"source": "EXCHANGE", "subject": subject, "case_id": other_id, "message_id": message,
                                "item": None})
            for record in fixtures.about(subject):
                matches.append({"source": "HELD_INFORMATION", "subject": subject, "case_id": None,
                                "message_id": None, "item": record.item})
        ctx.store.record_cross_check(case.case_id, matches)
        ctx.audit.record(AuditOperation.CONSULTATION,
                         "Art 16(1)(d): cross-check of the incoming exchange against CMS records and held information",
                         actor=ctx.audit.policy_actor, case_id=case.case_id, data=", ".join(subjects) or None)
        if matches:
            ctx.audit.record(AuditOperation.COMBINATION,
                             f"Art 16(1)(d): {len(matches)} match(es) linked to the case",
                             actor=ctx.audit.policy_actor, case_id=case.case_id,
                             data="; ".join(f"{m['source']}:{m['case_id'] or m['item']}" for m in matches))

    async def evaluate_and_plan(self, case: CaseState, *, start: datetime, restart: bool = False,
                                request: InformationRequest | None = None) -> None:
        """Decide the open items from the fixtures, fix the deadline and plan the answer.

        `request`: the case's request as the caller has it validated already (else read from the case)."""
        ctx = self.ctx
        answering = self.answering
        if request is None:
            request = InformationRequest.model_validate(case.request)
        answered = {i.item_id: i for i in case.items if i.state in (ItemState.PROVIDED, ItemState.REFUSED)}
        plans = [p for p in plan_items(request, ctx.store.fixture_index(), ctx.defects) if p.item_id not in answered]
        for plan in plans:
            ctx.audit.record(AuditOperation.CONSULTATION,
                             f"Art 14(3)(a)(i): national records consulted to answer item {plan.item_id}",
                             actor=ctx.audit.policy_actor, case_id=case.case_id, data=plan.subject)
        case.items = [*answered.values()] + [
            CaseItem(item_id=p.item_id, description=p.description, entity_id=p.entity_id, subject=p.subject,
                     availability=p.availability, judicial_authorisation=p.judicial)
            for p in plans
        ]
        case.work.update({
            p.item_id: ItemWork(decision=p.decision, grounds=p.grounds, records=p.records,
                                withheld_categories=[c.value for c in p.withheld_categories])
            for p in plans
        })
        case.availability = request_availability(plans)
        case.status = CaseStatus.OPEN
        if restart and ctx.defects.active(CLARIFICATION_RESTARTS_CLOCK):
            answering.set_deadline(case, counted_from=start, restart=True)
        elif not ctx.defects.active(DEADLINE_FROM_FIRST_VIEW):
            answering.set_deadline(case)
        judicial = [p for p in plans if p.decision == "JUDICIAL"]
        if judicial and ctx.defects.active(JUDICIAL_APPLICATION_NEXT_WORKING_DAY):
            # The day's applications go to the court in one batch, the next working morning.
            ctx.store.plan(case.case_id, "JUDICIAL_APPLICATION",
                           _next_working_morning(ctx.now(), load_zone(ctx.timezone)),
                           {"items": [p.item_id for p in judicial],
                            "hours": max(p.judicial_after_hours for p in judicial),
                            "outcomes": {p.item_id: p.judicial.value for p in judicial}})
        elif judicial:
            await self.start_judicial(case, [p.item_id for p in judicial],
                                      max(p.judicial_after_hours for p in judicial),
                                      {p.item_id: p.judicial.value for p in judicial})
        others = [p for p in plans if p.decision != "JUDICIAL"]
        if not request.entities and ctx.defects.active(SUBJECTLESS_REQUESTS_NEVER_QUEUED):
            # The work queue is keyed by the data subject: a request naming none gets no entry, so nobody answers.
            others = []
        if ctx.defects.active(ANSWER_TIMER_IGNORES_JUDICIAL_WAIT):
            others = plans
        if others:
            ctx.store.plan(case.case_id, "ANSWER", self._answer_time(case, start, restart))
        ctx.clock.nudge()

    def _answer_time(self, case: CaseState, start: datetime, restart: bool) -> datetime:
        ctx = self.ctx
        delay = answer_delay(bool(case.urgent), case.availability or Availability.DIRECT, ctx.settings, ctx.defects)
        if restart and ctx.defects.active(CLARIFICATION_RESTARTS_CLOCK) and case.deadline_due is not None:
            # Working to its own (wrong) deadline: the answer leaves just before it.
            return max(start + delay, case.deadline_due - timedelta(minutes=15))
        if not case.urgent and ctx.defects.active(DEADLINE_IN_WORKING_DAYS) and case.deadline_due is not None:
            # The non-urgent queue is worked by due date: the answer leaves on the (wrong) due date.
            return max(start + delay, case.deadline_due - timedelta(hours=2))
        zone = load_zone(ctx.timezone)
        if case.urgent and case.availability is Availability.INDIRECT and not is_working_day(
                start.astimezone(zone).date()) and ctx.defects.active(URGENT_INDIRECT_WAITS_FOR_WORKING_DAY):
            # The authorities holding the information are asked on their next working morning.
            return _next_working_morning(start, zone) + delay
        day_desk = case.requester_type is RequesterType.DESIGNATED_AUTHORITY \
            and ctx.defects.active(DESIGNATED_AUTHORITY_REQUESTS_OFFICE_HOURS_ONLY)
        if ctx.defects.active(OFFICE_HOURS_ONLY) or day_desk:
            zone = load_zone(ctx.timezone)
            return next_office_moment(next_office_moment(start, zone) + delay, zone)
        return start + delay

    async def start_judicial(self, case: CaseState, item_ids: list[str], hours: float,
                             outcomes: dict[str, str]) -> list[str]:
        """Art 5(2): the items wait for a judicial decision; the requester is told at once (and updated)."""
        ctx = self.ctx
        for item in case.items:
            if item.item_id in item_ids:
                item.state = ItemState.AWAITING_JUDICIAL_AUTHORISATION
        case.judicial_deviation = True
        case.status = CaseStatus.AWAITING_JUDICIAL_AUTHORISATION
        reasons = (f"Judicial authorisation is required under national law (Art 9) before items "
                   f"{', '.join(item_ids)} can be provided; expected within {hours:g} hours.")
        sent: list[str] = []
        if not ctx.defects.active(NO_DELAY_NOTICE_FOR_JUDICIAL):
            sent = await self.answering.delay_notice(case, "PENDING", hours, reasons)
        now = ctx.now()
        if not ctx.defects.active(NO_DELAY_UPDATES):
            ctx.store.plan(case.case_id, "JUDICIAL_UPDATE", now + ctx.settings.judicial_update_every,
                           {"expected_at": (now + timedelta(hours=hours)).isoformat()})
        automatic = {i: o for i, o in outcomes.items() if o in ("GRANTED", "REFUSED")}
        for outcome in ("GRANTED", "REFUSED"):
            chosen = [i for i, o in automatic.items() if o == outcome]
            if chosen:
                ctx.store.plan(case.case_id, "JUDICIAL_DECISION", now + timedelta(hours=hours),
                               {"items": chosen, "outcome": outcome})
        return sent


def _next_working_morning(moment: datetime, zone: ZoneInfo) -> datetime:
    """The office's opening on the working day after `moment`'s local date (for a named defect only)."""
    day = moment.astimezone(zone).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OFFICE_OPENS, tzinfo=zone).astimezone(moment.tzinfo)
