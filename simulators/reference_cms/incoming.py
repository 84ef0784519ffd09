"""Receiving: every message delivered to one of the state's parties is recorded, then handled.

Deduplication is by channel message id (delivery is at-least-once): a redelivery changes nothing,
while the same message reaching a second own mailbox (a copy in CC) is recorded as received there
too. The exchange belongs to the addressee in To whichever mailbox's delivery is processed first.
A new request opens a case, is cross-checked (Art 16(1)(d)), gets its deadline from the moment
of receipt, and is answered by the policy (docs/reference-cms.md). Everything else is attached to
the case it belongs to, found by `in_reply_to` or by the requester's reference.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from simulators.model.deadlines import load_zone
from simulators.model.directive import (
    Availability,
    CopyReason,
    DirectiveMessage,
    InformationRequest,
    MessageKind,
    RefusalGround,
    RequesterType,
    request_content_violations,
)
from simulators.model.parties import PartyKind, UnknownPartyError
from simulators.model.parties import party as party_of
from simulators.model.sut_interface import (
    AuditOperation,
    CaseDirection,
    CaseItem,
    CaseKind,
    CaseStatus,
    Communication,
    CrossCheckMatch,
    ItemState,
)
from simulators.reference_cms.answers import Answering
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import (
    ANSWER_TIMER_IGNORES_JUDICIAL_WAIT,
    ANSWERS_FILED_BY_REFERENCE_ONLY,
    CLARIFICATION_ANSWERED_WITHOUT_CONTENT,
    CLARIFICATION_REQUEST_NOT_ANSWERED,
    CLARIFICATION_RESTARTS_CLOCK,
    COPY_EXCEPTION_NOT_RECORDED,
    COPY_READ_FIRST_FILES_REQUEST_AS_COPY,
    DEADLINE_FROM_FIRST_VIEW,
    DEADLINE_IN_WORKING_DAYS,
    DESIGNATED_AUTHORITY_REQUESTS_OFFICE_HOURS_ONLY,
    DUPLICATE_DELIVERY_OPENS_SECOND_CASE,
    ENGLISH_NOT_ACCEPTED,
    JUDICIAL_APPLICATION_NEXT_WORKING_DAY,
    NO_CROSS_CHECK,
    NO_DELAY_NOTICE_FOR_JUDICIAL,
    NO_DELAY_UPDATES,
    NO_SPOC_COPY_FOR_AUTHORITY_REPLY,
    OFFICE_HOURS_ONLY,
    OWN_REQUESTS_LEFT_OPEN_WHEN_ANSWERED,
    REFUSES_INSTEAD_OF_CLARIFYING,
    SEPARATE_COPIES_FILED_APART,
    SIRENE_REQUESTS_FILED_AS_SIRENE_BUSINESS,
    SUBJECTLESS_REQUESTS_NEVER_QUEUED,
    URGENT_AUTHORITY_REPLY_WITHOUT_SPOC_COPY,
    URGENT_DESIGNATED_REPLY_WITHOUT_COPY,
)
from simulators.reference_cms.office_calendar import OFFICE_OPENS, is_working_day, next_office_moment
from simulators.reference_cms.policy import answer_delay, entity_key, plan_items, request_availability
from simulators.reference_cms.sending import Outbound, Sender
from simulators.reference_cms.store import CaseState, InboxItem, ItemWork

__all__ = ["Receiving", "new_case"]

_log = logging.getLogger("reference_cms.incoming")


def new_case(ctx: Context, **fields: Any) -> CaseState:
    seq = ctx.store.next_number("cases")
    opened: datetime = fields.get("received_at") or fields.get("sent_at") or ctx.now()
    return CaseState(case_id=f"{ctx.state}-{opened.year}-{seq:06d}", seq=seq, **fields)


def _state_of(pid: str) -> str | None:
    try:
        return party_of(pid).state
    except UnknownPartyError:
        return None


def _kind_of(pid: str) -> PartyKind | None:
    try:
        return party_of(pid).kind
    except UnknownPartyError:
        return None


class Receiving:
    def __init__(self, ctx: Context, sender: Sender, answering: Answering) -> None:
        self.ctx = ctx
        self.sender = sender
        self.answering = answering

    async def process(self, item: InboxItem) -> None:
        ctx = self.ctx
        envelope = item.envelope
        message_id = str(envelope.get("message_id", ""))
        directive = _directive(envelope)
        # Addressed to the state when one of its parties is in `to`, whichever own mailbox got it first.
        addressed = bool(self._addressees(envelope))
        copy_inbox = ctx.defects.active(COPY_READ_FIRST_FILES_REQUEST_AS_COPY)
        if copy_inbox and item.party not in envelope.get("to", []):
            addressed = False  # the defect takes whatever reaches the SPOC's inbox in CC for a copy
        kind = directive.kind if directive else None
        known = ctx.store.cases_of_message(message_id)
        if known:
            seen_here = any(c.message_id == message_id and c.received_by == item.party
                            for case_id in known for c in ctx.store.communications(case_id))
            duplicate_defect = ctx.defects.active(DUPLICATE_DELIVERY_OPENS_SECOND_CASE)
            if seen_here and not duplicate_defect:
                return  # a redelivery of a message already recorded
            answered_here = any(
                (c := ctx.store.case(case_id)) is not None and c.kind is CaseKind.REQUEST
                and c.direction is CaseDirection.INCOMING for case_id in known)
            if copy_inbox:
                # ... and whatever is on file already in an incoming case is not opened again.
                answered_here = any((c := ctx.store.case(case_id)) is not None and c.direction is CaseDirection.INCOMING
                                    for case_id in known)
            opens_request = kind is MessageKind.REQUEST and addressed and not answered_here
            if not seen_here and not opens_request:
                # The same message in a second own mailbox: e.g. the CC to the SPOC of its own authority's request.
                ctx.store.add_communication(known[0], self._incoming(item, directive))
                ctx.audit.record(AuditOperation.COLLECTION, self._receipt_note(item, "received and recorded"),
                                 case_id=known[0], message_id=message_id, at=item.received_at)
                return
        if not addressed and not (known and ctx.defects.active(DUPLICATE_DELIVERY_OPENS_SECOND_CASE)):
            # Only in CC: a copy (Arts 4(1), 5(3), 7(3), 8). It joins the state's own exchange if it has one.
            await self.on_copy(item, directive)
            return
        if kind is MessageKind.REQUEST and directive is not None and directive.request is not None:
            await self.on_request(item, directive, directive.request)
        elif kind is MessageKind.CLARIFICATION and directive is not None:
            await self.on_clarification(item, directive)
        elif kind in (MessageKind.REPLY, MessageKind.REFUSAL, MessageKind.DELAY_NOTICE,
                      MessageKind.CLARIFICATION_REQUEST) and directive is not None:
            await self.on_answer(item, directive)
        else:
            await self.on_other(item, directive)

    def _addressees(self, envelope: dict[str, Any]) -> list[str]:
        own = set(self.ctx.channels.parties)
        return [p for p in envelope.get("to", []) if p in own]

    def owner(self, item: InboxItem) -> str:
        """The own party an exchange belongs to: its addressee in To, else the first own party in CC.

        Taken from the envelope, never from the mailbox whose delivery happens to be processed first, so
        that a request to LEA-XX copied to SPOC-XX is the authority's (answered by it, counted as received
        by it) whichever of the two deliveries arrives first.
        """
        own = set(self.ctx.channels.parties)
        for field in ("to", "cc"):
            for pid in item.envelope.get(field, []):
                if pid in own:
                    return str(pid)
        return item.party

    def _receipt_note(self, item: InboxItem, what: str) -> str:
        """The audit justification of one delivery: to the addressee, or the copy to another own party."""
        if item.party in item.envelope.get("to", []):
            return f"Art 16(1)(a): message to {item.party} {what}"
        return f"Art 16(1)(a): copy to {item.party} {what} (Arts 4(1), 5(3), 7, 8)"

    def _incoming(self, item: InboxItem, directive: DirectiveMessage | None) -> Communication:
        envelope = item.envelope
        sender = str(envelope.get("sender", ""))
        number = self.ctx.store.next_number("incoming-messages")
        return Communication(
            message_id=str(envelope.get("message_id", f"UNKNOWN-{number}")),
            channel=str(envelope.get("channel", item.channel)),
            direction=CaseDirection.INCOMING,
            kind=directive.kind.value if directive else "OTHER",
            sender=sender,
            recipients=[*envelope.get("to", []), *envelope.get("cc", [])],
            counterpart=sender,
            at=item.received_at,
            language=directive.language if directive else None,
            channel_exception=directive.channel_exception.value if directive and directive.channel_exception else None,
            copy_reason=directive.copy_reason if directive else None,
            copy_exception=directive.copy_exception if directive else None,
            in_reply_to=envelope.get("in_reply_to"),
            received_by=item.party,
        )

    def _record(self, case: CaseState, item: InboxItem, directive: DirectiveMessage | None, why: str) -> None:
        self.ctx.store.add_communication(case.case_id, self._incoming(item, directive))
        self.ctx.audit.record(AuditOperation.COLLECTION, why, case_id=case.case_id,
                              message_id=str(item.envelope.get("message_id")), at=item.received_at)

    # -- requests -----------------------------------------------------------------------------

    # Long: an incoming request from receipt to its planned answer, each step with the defect that breaks it;
    # split, the order of the steps (case, copies, channel, cross-check, plan) would be spread out.
    async def on_request(self, item: InboxItem, directive: DirectiveMessage, request: InformationRequest) -> None:
        ctx = self.ctx
        if item.channel == "SIRENE" and ctx.defects.active(SIRENE_REQUESTS_FILED_AS_SIRENE_BUSINESS):
            # The SIRENE connector files every form as SIS business (hits, flags): no request case is opened.
            await self.on_other(item, directive)
            return
        envelope = item.envelope
        sender = str(envelope.get("sender", ""))
        payload = envelope.get("payload") or {}
        recipients = [*envelope.get("to", []), *envelope.get("cc", [])]
        case = new_case(
            ctx,
            direction=CaseDirection.INCOMING, kind=CaseKind.REQUEST, counterpart=sender,
            counterpart_state=_state_of(sender), own_party=self.owner(item),
            requester_type=request.requester_type,
            reference=directive.case_reference, channel_case_id=envelope.get("case_id"),
            language=request.language or directive.language, urgent=request.urgent, received_at=item.received_at,
            status=CaseStatus.OPEN, request=request.model_dump(mode="json"), reply_to=sender,
            crime_areas=[str(a) for a in payload.get("crime_areas", [])],
            # The requester involved Europol: the matter is treated as within its objectives (Art 12).
            serious_offence="EUROPOL" in recipients or bool(payload.get("europol_involved")),
            origin_message_id=str(envelope.get("message_id")),
            copy_exception=None if ctx.defects.active(COPY_EXCEPTION_NOT_RECORDED) else request.copy_exception,
        )
        channel = str(envelope.get("channel") or item.channel)
        if channel == "INTERPOL" and directive.channel_exception is not None \
                and directive.channel_exception.value == "3C":
            case.reply_channel, case.reply_exception = "INTERPOL", "3C"
        elif channel in ("SIRENE", "INTERPOL") and _state_of(sender):
            # Another channel used for the request alone (Art 13(2)(b) urgency): the bureau or NCB is part of
            # the SPOC (Art 15(2)), which answers on SIENA, the default, to the requesting state's SPOC.
            case.own_party = f"SPOC-{ctx.state}"
            case.reply_to = f"SPOC-{_state_of(sender)}"
            case.reply_in_thread = False
        case.reply_copies = self._answer_copies(case, sender, request)
        self._record(case, item, directive, "Art 16(1)(a): incoming request recorded" if item.party == case.own_party
                     else self._receipt_note(item, f"received first; request to {case.own_party} recorded"))
        ctx.store.add_subjects(case.case_id, _subjects(request))
        self.cross_check(case, _subjects(request))
        ctx.store.save_case(case)

        if request.language == "en" and ctx.defects.active(ENGLISH_NOT_ACCEPTED):
            await self.answering.refuse_whole(case, RefusalGround.NC,
                                              "Art 4(6): the request is not in a language of the Art 11 list.")
            ctx.store.save_case(case)
            return
        if (request.language or directive.language) not in ctx.languages:
            self.answering.set_deadline(case)
            await self.answering.ask_clarification(
                case, f"Art 4(6): please submit the request in one of the languages {', '.join(ctx.languages)}.")
            ctx.store.save_case(case)
            return
        violations = request_content_violations(request)
        if violations:
            questions = "; ".join(f"{v.field}: {v.rule} ({v.article})" for v in violations)
            if ctx.defects.active(REFUSES_INSTEAD_OF_CLARIFYING):
                await self.answering.refuse_whole(case, RefusalGround.NC, "Art 6(1)(b): " + questions)
            else:
                self.answering.set_deadline(case)
                await self.answering.ask_clarification(case, "Art 6(3): please specify " + questions)
            ctx.store.save_case(case)
            return
        await self.evaluate_and_plan(case, start=item.received_at)
        ctx.store.save_case(case)

    def _answer_copies(self, case: CaseState, sender: str, request: InformationRequest) -> dict[str, CopyReason]:
        """The copies that go with the information provided in answer (Art 5(3) §2, Art 8)."""
        ctx = self.ctx
        their_state = _state_of(sender)
        if request.copy_exception is not None or their_state is None:
            return {}
        sender_kind = _kind_of(sender)
        own_kind = _kind_of(case.own_party)
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

    def cross_check(self, case: CaseState, subjects: list[str]) -> None:
        """Art 16(1)(d): match the request against earlier exchanges and the information held."""
        ctx = self.ctx
        if ctx.defects.active(NO_CROSS_CHECK):
            return
        matches: list[CrossCheckMatch] = []
        fixtures = ctx.store.fixtures()
        for subject in subjects:
            for other_id, message in ctx.store.exchanges_with_subject(subject):
                if other_id == case.case_id:
                    continue
                matches.append(CrossCheckMatch(source="EXCHANGE", subject=subject, case_id=other_id,
                                               message_id=message))
            for record in fixtures:
                if record.subject.casefold() == subject.casefold():
                    matches.append(CrossCheckMatch(source="HELD_INFORMATION", subject=subject, item=record.item))
        case.cross_check_matches = matches
        ctx.audit.record(AuditOperation.CONSULTATION,
                         "Art 16(1)(d): cross-check of the incoming exchange against CMS records and held information",
                         actor=ctx.audit.policy_actor, case_id=case.case_id, data=", ".join(subjects) or None)
        if matches:
            ctx.audit.record(AuditOperation.COMBINATION,
                             f"Art 16(1)(d): {len(matches)} match(es) linked to the case",
                             actor=ctx.audit.policy_actor, case_id=case.case_id,
                             data="; ".join(f"{m.source}:{m.case_id or m.item}" for m in matches))

    async def evaluate_and_plan(self, case: CaseState, *, start: datetime, restart: bool = False) -> None:
        """Decide the open items from the fixtures, fix the deadline and plan the answer."""
        ctx = self.ctx
        answering = self.answering
        request = InformationRequest.model_validate(case.request)
        answered = {i.item_id: i for i in case.items if i.state in (ItemState.PROVIDED, ItemState.REFUSED)}
        plans = [p for p in plan_items(request, ctx.store.fixtures(), ctx.defects) if p.item_id not in answered]
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

    # -- clarifications -----------------------------------------------------------------------

    async def on_clarification(self, item: InboxItem, directive: DirectiveMessage) -> None:
        ctx = self.ctx
        case = self._case_for(item, directive, CaseDirection.INCOMING)
        if case is None:
            await self.on_other(item, directive)
            return
        self._record(case, item, directive, "Art 16(1)(a): clarification received (Art 6(3))")
        if case.status is not CaseStatus.AWAITING_CLARIFICATION:
            ctx.store.save_case(case)
            return
        case.suspensions = [(s, e if e is not None else item.received_at) for s, e in case.suspensions]
        if directive.amended_request is not None:
            case.request = directive.amended_request.model_dump(mode="json")
            case.language = directive.amended_request.language
            ctx.store.add_subjects(case.case_id, _subjects(directive.amended_request))
            ctx.audit.record(AuditOperation.ALTERATION, "Art 6(3): request completed by the requester's clarification",
                             case_id=case.case_id, message_id=str(item.envelope.get("message_id")))
        request = InformationRequest.model_validate(case.request)
        violations = request_content_violations(request)
        if violations or request.language not in ctx.languages:
            rules = "; ".join(f"{v.field}: {v.rule} ({v.article})" for v in violations) or "Art 4(6): language"
            await self.answering.refuse_whole(case, RefusalGround.NC, "Art 6(1)(b): still incomplete: " + rules)
        else:
            await self.evaluate_and_plan(case, start=item.received_at, restart=True)
        ctx.store.save_case(case)

    def _case_for(self, item: InboxItem, directive: DirectiveMessage, direction: CaseDirection) -> CaseState | None:
        ctx = self.ctx
        # The defect's filing ignores the channel thread the message answers.
        threaded = not ctx.defects.active(ANSWERS_FILED_BY_REFERENCE_ONLY)
        in_reply_to = item.envelope.get("in_reply_to") if threaded else None
        if in_reply_to:
            for case_id in ctx.store.cases_of_message(str(in_reply_to)):
                case = ctx.store.case(case_id)
                if case is not None and case.direction is direction:
                    return case
        candidates = [c for c in ctx.store.cases_with_reference(directive.case_reference) if c.direction is direction]
        return candidates[-1] if candidates else None

    # -- answers to the state's own requests ---------------------------------------------------

    async def on_answer(self, item: InboxItem, directive: DirectiveMessage) -> None:
        ctx = self.ctx
        case = self._case_for(item, directive, CaseDirection.OUTGOING)
        if case is None:
            await self.on_other(item, directive)
            return
        self._record(case, item, directive, f"Art 16(1)(a): {directive.kind.value.lower()} received")
        kind = directive.kind
        answered = kind in (MessageKind.REPLY, MessageKind.REFUSAL)
        if answered and ctx.defects.active(OWN_REQUESTS_LEFT_OPEN_WHEN_ANSWERED):
            ctx.store.save_case(case)  # the defect files the answer and leaves closing the case to nobody
            return
        if kind is MessageKind.REPLY:
            case.outcome = "PARTIALLY_REFUSED" if case.outcome == "REFUSED" else "REPLIED"
        elif kind is MessageKind.REFUSAL:
            case.outcome = "PARTIALLY_REFUSED" if case.outcome == "REPLIED" else "REFUSED"
        elif kind is MessageKind.DELAY_NOTICE:
            case.events.append({"at": item.received_at.isoformat(), "kind": "DELAY_NOTICE_RECEIVED",
                                "detail": directive.delay.reasons if directive.delay else ""})
        elif kind is MessageKind.CLARIFICATION_REQUEST:
            await self._clarify_own_request(case, item, directive)
        if kind in (MessageKind.REPLY, MessageKind.REFUSAL) and case.status is not CaseStatus.CONCLUDED:
            self.answering.close(case)
        ctx.store.save_case(case)

    async def _clarify_own_request(self, case: CaseState, item: InboxItem, directive: DirectiveMessage) -> None:
        """Art 14(2)(f): answer the requested SPOC's questions at once, with the completed request."""
        if self.ctx.defects.active(CLARIFICATION_REQUEST_NOT_ANSWERED):
            return  # recorded with the case, but no one is told that the requested SPOC waits for an answer
        request = InformationRequest.model_validate(case.request) if case.request else None
        if self.ctx.defects.active(CLARIFICATION_ANSWERED_WITHOUT_CONTENT):
            request = None  # the form letter's attachment slot stays empty
        answers = DirectiveMessage(
            kind=MessageKind.CLARIFICATION, case_reference=case.reference, language=case.language or "en",
            answers=f"The request {case.reference} is complete as restated; see the amended request.",
            amended_request=request,
        )
        sender = str(item.envelope.get("sender"))
        out = Outbound(case_id=case.case_id, sender=case.own_party, to=[sender], directive=answers,
                       subject=f"Clarification for request {case.reference}", body=answers.answers or "",
                       urgent=bool(case.urgent), urgency_reason=(case.request or {}).get("urgency_reasons"),
                       crime_areas=case.crime_areas, in_reply_to=str(item.envelope.get("message_id")),
                       channel_case_id=item.envelope.get("case_id"),
                       key=f"{case.case_id}:clarification:{self.ctx.store.next_number('outbound-keys')}")
        await self.sender.deliver(out)

    # -- own-initiative information, copies and anything else ------------------------------

    async def on_copy(self, item: InboxItem, directive: DirectiveMessage | None) -> None:
        """A message where the state's party is only in CC: attach it to an own exchange, else keep it as a copy."""
        if directive is not None:
            for direction in (CaseDirection.OUTGOING, CaseDirection.INCOMING):
                case = self._case_for(item, directive, direction)
                if case is not None:
                    self._record(case, item, directive, "Art 16(1)(a): copy of a communication of the exchange")
                    self.ctx.store.save_case(case)
                    return
        await self.on_other(item, directive, as_copy=True)

    async def on_other(self, item: InboxItem, directive: DirectiveMessage | None, *, as_copy: bool = False) -> None:
        ctx = self.ctx
        envelope = item.envelope
        sender = str(envelope.get("sender", ""))
        if directive is None:
            kind = CaseKind.OTHER
        elif as_copy or directive.kind is MessageKind.COPY:
            kind = CaseKind.COPY
        elif directive.kind is MessageKind.OWN_INITIATIVE:
            kind = CaseKind.OWN_INITIATIVE
        else:
            kind = CaseKind.OTHER
        # The copied message's id links a copy sent on its own to the exchange, whatever reference it quotes.
        linked = not ctx.defects.active(SEPARATE_COPIES_FILED_APART)
        if linked and directive is not None and directive.kind is MessageKind.COPY and directive.copy_of:
            for case_id in ctx.store.cases_of_message(directive.copy_of):
                case = ctx.store.case(case_id)
                if case is not None:
                    self._record(case, item, directive, "Art 16(1)(a): copy of an exchange recorded")
                    return
        request = _request_in(directive)
        case = new_case(
            ctx, direction=CaseDirection.INCOMING, kind=kind, counterpart=sender, counterpart_state=_state_of(sender),
            own_party=self.owner(item),
            reference=directive.case_reference if directive else str(envelope.get("message_id")),
            channel_case_id=envelope.get("case_id"), language=directive.language if directive else None,
            received_at=item.received_at, status=CaseStatus.CONCLUDED, outcome="RECEIVED",
            origin_message_id=str(envelope.get("message_id")),
            request=request.model_dump(mode="json") if request else None,
        )
        why = {CaseKind.OWN_INITIATIVE: "Art 16(1)(c)/Art 7: own-initiative information received",
               CaseKind.COPY: "Art 16(1)(d): copy received under Arts 4(1), 5(3), 7(3) or 8"}.get(
            kind, "message received on a channel (no exchange under the directive)")
        if item.party != case.own_party:
            why = self._receipt_note(item, f"received first; recorded for {case.own_party}")
        self._record(case, item, directive, why)
        subjects = _subjects(request) if request else []
        subjects += [s for s in _information_subjects(directive, envelope) if s not in subjects]
        ctx.store.add_subjects(case.case_id, subjects)
        if kind is not CaseKind.OTHER:
            self.cross_check(case, subjects)
        self.answering.close(case)
        ctx.store.save_case(case)


def _next_working_morning(moment: datetime, zone: ZoneInfo) -> datetime:
    """The office's opening on the working day after `moment`'s local date (for a named defect only)."""
    day = moment.astimezone(zone).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OFFICE_OPENS, tzinfo=zone).astimezone(moment.tzinfo)


def _directive(envelope: dict[str, Any]) -> DirectiveMessage | None:
    raw = envelope.get("directive")
    if not isinstance(raw, dict):
        return None
    try:
        return DirectiveMessage.model_validate(raw)
    except (ValidationError, ValueError) as exc:
        _log.info("message %s carries directive content that does not parse: %s", envelope.get("message_id"), exc)
        return None


def _request_in(directive: DirectiveMessage | None) -> InformationRequest | None:
    while directive is not None:
        if directive.request is not None:
            return directive.request
        directive = directive.original
    return None


def _subjects(request: InformationRequest) -> list[str]:
    return [k for k in (entity_key(e) for e in request.entities) if k]


def _information_subjects(directive: DirectiveMessage | None, envelope: dict[str, Any]) -> list[str]:
    subjects: list[str] = []
    payload = envelope.get("payload") or {}
    for raw in payload.get("entities", []) if isinstance(payload, dict) else []:
        attributes = raw.get("attributes", {}) if isinstance(raw, dict) else {}
        for key in ("name", "registration", "number"):
            if attributes.get(key):
                subjects.append(str(attributes[key]))
                break
    return subjects
