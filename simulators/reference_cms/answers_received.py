"""Answers to the state's own requests: filed with the outgoing case, and questions about it answered at once."""

from __future__ import annotations

from simulators.model.directive import DirectiveMessage, InformationRequest, MessageKind
from simulators.model.sut_interface import CaseDirection, CaseStatus
from simulators.reference_cms.answers import Answering
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import (
    CLARIFICATION_ANSWERED_WITHOUT_CONTENT,
    CLARIFICATION_REQUEST_NOT_ANSWERED,
    OWN_REQUESTS_LEFT_OPEN_WHEN_ANSWERED,
)
from simulators.reference_cms.intake import Intake
from simulators.reference_cms.sending import Outbound, Sender
from simulators.reference_cms.store import CaseState, InboxItem

__all__ = ["AnswersReceived"]


class AnswersReceived:
    """A reply, refusal, delay notice or clarification request to one of the state's own requests."""

    def __init__(self, ctx: Context, intake: Intake, sender: Sender, answering: Answering) -> None:
        self.ctx = ctx
        self.intake = intake
        self.sender = sender
        self.answering = answering

    async def file(self, item: InboxItem, directive: DirectiveMessage) -> bool:
        """File the answer with the outgoing case it answers; False when there is none (it is filed as other)."""
        ctx = self.ctx
        case = self.intake.case_for(item, directive, CaseDirection.OUTGOING)
        if case is None:
            return False
        self.intake.record(case, item, directive, f"Art 16(1)(a): {directive.kind.value.lower()} received")
        kind = directive.kind
        answered = kind in (MessageKind.REPLY, MessageKind.REFUSAL)
        if answered and ctx.defects.active(OWN_REQUESTS_LEFT_OPEN_WHEN_ANSWERED):
            ctx.store.save_case(case)  # the defect files the answer and leaves closing the case to nobody
            return True
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
        return True

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
