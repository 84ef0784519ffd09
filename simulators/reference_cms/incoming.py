"""Receiving: every message delivered to one of the state's parties is recorded, then handled.

Deduplication is by channel message id (delivery is at-least-once): a redelivery changes nothing,
while the same message reaching a second own mailbox (a copy in CC) is recorded as received there
too. The exchange belongs to the addressee in To whichever mailbox's delivery is processed first.
A new request opens a case, is cross-checked (Art 16(1)(d)), gets its deadline from the moment
of receipt, and is answered by the policy (docs/reference-cms.md). Everything else is attached to
the case it belongs to, found by `in_reply_to` or by the requester's reference.

`Receiving` dispatches a delivery by what it is; its parts do the work along their seams: `Intake`
(simulators.reference_cms.intake) records a delivery and matches it to its case, `Deciding`
(simulators.reference_cms.deciding) decides a request and plans its answer, and `AnswersReceived`
(simulators.reference_cms.answers_received) files the answers to the state's own requests.
"""

from __future__ import annotations

import logging

from simulators.model.channels import ChannelName
from simulators.model.directive import (
    DirectiveMessage,
    InformationRequest,
    MessageKind,
    RefusalGround,
    request_content_violations,
)
from simulators.model.sut_interface import AuditOperation, CaseDirection, CaseKind, CaseStatus
from simulators.reference_cms.answers import Answering
from simulators.reference_cms.answers_received import AnswersReceived
from simulators.reference_cms.context import Context
from simulators.reference_cms.deciding import Deciding
from simulators.reference_cms.defects import (
    COPY_EXCEPTION_NOT_RECORDED,
    COPY_READ_FIRST_FILES_REQUEST_AS_COPY,
    DUPLICATE_DELIVERY_OPENS_SECOND_CASE,
    ENGLISH_NOT_ACCEPTED,
    LANGUAGE_READ_FROM_MESSAGE_NOT_REQUEST,
    REFUSES_INSTEAD_OF_CLARIFYING,
    SECOND_HAND_OVER_DROPPED,
    SEPARATE_COPIES_FILED_APART,
    SIRENE_REQUESTS_FILED_AS_SIRENE_BUSINESS,
)
from simulators.reference_cms.intake import (
    Intake,
    directive_of,
    information_subjects,
    new_case,
    reached_through_bureau,
    request_in,
    state_of,
    subjects_of,
)
from simulators.reference_cms.sending import Sender
from simulators.reference_cms.store import InboxItem

__all__ = ["Receiving"]

_log = logging.getLogger("reference_cms.incoming")


class Receiving:
    """Handles each delivery to the state's parties by what it is: a request, a clarification, an answer, a copy."""

    def __init__(self, ctx: Context, sender: Sender, answering: Answering, deciding: Deciding) -> None:
        self.ctx = ctx
        self.answering = answering
        self.intake = Intake(ctx)
        self.deciding = deciding
        self.answers_received = AnswersReceived(ctx, self.intake, sender, answering)

    async def process(self, item: InboxItem) -> None:
        ctx = self.ctx
        envelope = item.envelope
        message_id = str(envelope.get("message_id", ""))
        directive = directive_of(envelope)
        # Addressed to the state when one of its parties is in `to`, whichever own mailbox got it first.
        addressed = bool(self.intake.addressees(envelope))
        copy_inbox = ctx.defects.active(COPY_READ_FIRST_FILES_REQUEST_AS_COPY)
        if copy_inbox and item.party not in envelope.get("to", []):
            addressed = False  # the defect takes whatever reaches the SPOC's inbox in CC for a copy
        kind = directive.kind if directive else None
        known = ctx.store.cases_of_message(message_id)
        if known and self.intake.filed_already(item, directive, known, addressed=addressed, copy_inbox=copy_inbox):
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
            if not await self.answers_received.file(item, directive):
                await self.on_other(item, directive)
        else:
            await self.on_other(item, directive)

    # -- requests -----------------------------------------------------------------------------

    # Long: an incoming request from receipt to its planned answer, each step with the defect that breaks it;
    # split, the order of the steps (case, copies, channel, cross-check, plan) would be spread out.
    async def on_request(self, item: InboxItem, directive: DirectiveMessage, request: InformationRequest) -> None:
        ctx = self.ctx
        if item.channel == ChannelName.SIRENE and ctx.defects.active(SIRENE_REQUESTS_FILED_AS_SIRENE_BUSINESS):
            # The SIRENE connector files every form as SIS business (hits, flags): no request case is opened.
            await self.on_other(item, directive)
            return
        if ctx.defects.active(SECOND_HAND_OVER_DROPPED) and self.deciding.hand_over_slot_taken(request):
            # The defect: the one hand-over slot is taken, and the request, acknowledged already, goes nowhere.
            _log.warning("request %s dropped: the hand-over slot is taken", item.envelope.get("message_id"))
            return
        envelope = item.envelope
        sender = str(envelope.get("sender", ""))
        payload = envelope.get("payload") or {}
        recipients = [*envelope.get("to", []), *envelope.get("cc", [])]
        case = new_case(
            ctx,
            direction=CaseDirection.INCOMING, kind=CaseKind.REQUEST, counterpart=sender,
            counterpart_state=state_of(sender), own_party=self.intake.owner(item),
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
        if channel == ChannelName.INTERPOL and directive.channel_exception is not None \
                and directive.channel_exception.value == "3C":
            case.reply_channel, case.reply_exception = ChannelName.INTERPOL.value, "3C"
        elif reached_through_bureau(channel) and state_of(sender):
            # Another channel used for the request alone (Art 13(2)(b) urgency): the bureau or NCB is part of
            # the SPOC (Art 15(2)), which answers on SIENA, the default, to the requesting state's SPOC.
            case.own_party = f"SPOC-{ctx.state}"
            case.reply_to = f"SPOC-{state_of(sender)}"
            case.reply_in_thread = False
        case.reply_copies = self.deciding.answer_copies(case, sender, request)
        why = ("Art 16(1)(a): incoming request recorded" if item.party == case.own_party
               else self.intake.receipt_note(item, f"received first; request to {case.own_party} recorded"))
        self.intake.record(case, item, directive, why)
        ctx.store.add_subjects(case.case_id, subjects_of(request))
        self.deciding.cross_check(case, subjects_of(request))
        ctx.store.save_case(case)

        if request.language == "en" and ctx.defects.active(ENGLISH_NOT_ACCEPTED):
            await self.answering.refuse_whole(case, RefusalGround.NC,
                                              "Art 4(6): the request is not in a language of the Art 11 list.")
            ctx.store.save_case(case)
            return
        # Art 4(6) binds the request's language; the covering message may be written in another.
        language = request.language or directive.language
        if ctx.defects.active(LANGUAGE_READ_FROM_MESSAGE_NOT_REQUEST):
            language = directive.language
        if language not in ctx.languages:
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
        await self.deciding.evaluate_and_plan(case, start=item.received_at, request=request)
        ctx.store.save_case(case)

    # -- clarifications -----------------------------------------------------------------------

    async def on_clarification(self, item: InboxItem, directive: DirectiveMessage) -> None:
        ctx = self.ctx
        case = self.intake.case_for(item, directive, CaseDirection.INCOMING)
        if case is None:
            await self.on_other(item, directive)
            return
        self.intake.record(case, item, directive, "Art 16(1)(a): clarification received (Art 6(3))")
        if case.status is not CaseStatus.AWAITING_CLARIFICATION:
            ctx.store.save_case(case)
            return
        case.suspensions = [(s, e if e is not None else item.received_at) for s, e in case.suspensions]
        if directive.amended_request is not None:
            case.request = directive.amended_request.model_dump(mode="json")
            case.language = directive.amended_request.language
            ctx.store.add_subjects(case.case_id, subjects_of(directive.amended_request))
            ctx.audit.record(AuditOperation.ALTERATION, "Art 6(3): request completed by the requester's clarification",
                             case_id=case.case_id, message_id=str(item.envelope.get("message_id")))
        request = InformationRequest.model_validate(case.request)
        violations = request_content_violations(request)
        if violations or request.language not in ctx.languages:
            rules = "; ".join(f"{v.field}: {v.rule} ({v.article})" for v in violations) or "Art 4(6): language"
            await self.answering.refuse_whole(case, RefusalGround.NC, "Art 6(1)(b): still incomplete: " + rules)
        else:
            await self.deciding.evaluate_and_plan(case, start=item.received_at, restart=True, request=request)
        ctx.store.save_case(case)

    # -- own-initiative information, copies and anything else ------------------------------

    async def on_copy(self, item: InboxItem, directive: DirectiveMessage | None) -> None:
        """A message where the state's party is only in CC: attach it to an own exchange, else keep it as a copy."""
        if directive is not None:
            for direction in (CaseDirection.OUTGOING, CaseDirection.INCOMING):
                case = self.intake.case_for(item, directive, direction)
                if case is not None:
                    self.intake.record(case, item, directive, "Art 16(1)(a): copy of a communication of the exchange")
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
                    self.intake.record(case, item, directive, "Art 16(1)(a): copy of an exchange recorded")
                    return
        request = request_in(directive)
        case = new_case(
            ctx, direction=CaseDirection.INCOMING, kind=kind, counterpart=sender, counterpart_state=state_of(sender),
            own_party=self.intake.owner(item),
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
            why = self.intake.receipt_note(item, f"received first; recorded for {case.own_party}")
        self.intake.record(case, item, directive, why)
        subjects = subjects_of(request) if request else []
        subjects += [s for s in information_subjects(directive, envelope) if s not in subjects]
        ctx.store.add_subjects(case.case_id, subjects)
        if kind is not CaseKind.OTHER:
            self.deciding.cross_check(case, subjects)
        self.answering.close(case)
        ctx.store.save_case(case)
