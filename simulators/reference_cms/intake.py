"""Intake: what a delivery to one of the state's parties is, whose it is, and which case it belongs to.

A delivery is recorded as a communication of its case, with the own party whose mailbox received it
(`received_by`), and the collection is audited (Art 16(1)(a)). The exchange belongs to the addressee in
To whichever own mailbox's delivery is processed first (`owner`). A message that answers or completes
an exchange is matched to its case by the channel thread it answers (`in_reply_to`), else by the
requester's reference.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from simulators.model.channels import UnknownChannelError, channel_spec
from simulators.model.directive import DirectiveMessage, InformationRequest, MessageKind
from simulators.model.parties import PartyKind, UnknownPartyError
from simulators.model.parties import party as party_of
from simulators.model.sut_interface import AuditOperation, CaseDirection, CaseKind, Communication
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import (
    ANSWER_COPY_PROCESSED_AGAIN,
    ANSWERS_FILED_BY_REFERENCE_ONLY,
    ANSWERS_FILED_BY_THREAD_ONLY,
    DUPLICATE_DELIVERY_OPENS_SECOND_CASE,
)
from simulators.reference_cms.policy import entity_key
from simulators.reference_cms.store import CaseState, InboxItem

__all__ = [
    "Intake",
    "directive_of",
    "information_subjects",
    "kind_of",
    "new_case",
    "reached_through_bureau",
    "request_in",
    "state_of",
    "subjects_of",
]

_log = logging.getLogger("reference_cms.incoming")
# What answers one of the state's own requests (answers_received.py files them with its case).
_ANSWERS = (MessageKind.REPLY, MessageKind.REFUSAL, MessageKind.DELAY_NOTICE, MessageKind.CLARIFICATION_REQUEST)


def new_case(ctx: Context, **fields: Any) -> CaseState:
    seq = ctx.store.next_number("cases")
    opened: datetime = fields.get("received_at") or fields.get("sent_at") or ctx.now()
    return CaseState(case_id=f"{ctx.state}-{opened.year}-{seq:06d}", seq=seq, **fields)


def state_of(pid: str) -> str | None:
    try:
        return party_of(pid).state
    except UnknownPartyError:
        return None


def kind_of(pid: str) -> PartyKind | None:
    try:
        return party_of(pid).kind
    except UnknownPartyError:
        return None


def reached_through_bureau(channel: str) -> bool:
    """Whether a state is addressed on `channel` through a bureau or NCB rather than its SPOC itself.

    Art 15(2) makes the SIRENE bureau and the Interpol NCB part of the SPOC: a request that reaches one
    of them is the SPOC's, answered on SIENA, the default channel.
    """
    try:
        address = channel_spec(channel).state_address
    except UnknownChannelError:
        return False
    return address is not None and address is not PartyKind.SPOC


class Intake:
    """Records deliveries with their case and finds the case a delivery belongs to."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def filed_already(self, item: InboxItem, directive: DirectiveMessage | None, known: list[str], *,
                      addressed: bool, copy_inbox: bool) -> bool:
        """Whether a delivery of a message already on file (in the cases `known`) is dealt with here.

        A redelivery to the same mailbox changes nothing; the same message in a second own mailbox (the CC
        to the SPOC of its own authority's request) is recorded with its case as received there too. False
        when the delivery still opens a request (the first delivery to the addressee in To).
        """
        ctx = self.ctx
        message_id = str(item.envelope.get("message_id", ""))
        kind = directive.kind if directive else None
        seen_here = any(c.message_id == message_id and c.received_by == item.party
                        for case_id in known for c in ctx.store.communications(case_id))
        duplicate_defect = ctx.defects.active(DUPLICATE_DELIVERY_OPENS_SECOND_CASE)
        if seen_here and not duplicate_defect:
            return True  # a redelivery of a message already recorded
        answered_here = any(
            (c := ctx.store.case(case_id)) is not None and c.kind is CaseKind.REQUEST
            and c.direction is CaseDirection.INCOMING for case_id in known)
        if copy_inbox:
            # ... and whatever is on file already in an incoming case is not opened again.
            answered_here = any((c := ctx.store.case(case_id)) is not None and c.direction is CaseDirection.INCOMING
                                for case_id in known)
        opens_request = kind is MessageKind.REQUEST and addressed and not answered_here
        if kind in _ANSWERS and addressed and not answered_here and ctx.defects.active(ANSWER_COPY_PROCESSED_AGAIN):
            return False  # the defect: the copy in the second own mailbox is handled as an answer of its own
        if not seen_here and not opens_request:
            # The same message in a second own mailbox: e.g. the CC to the SPOC of its own authority's request.
            ctx.store.add_communication(known[0], self.communication(item, directive))
            ctx.audit.record(AuditOperation.COLLECTION, self.receipt_note(item, "received and recorded"),
                             case_id=known[0], message_id=message_id, at=item.received_at)
            return True
        return False

    def addressees(self, envelope: dict[str, Any]) -> list[str]:
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

    def receipt_note(self, item: InboxItem, what: str) -> str:
        """The audit justification of one delivery: to the addressee, or the copy to another own party."""
        if item.party in item.envelope.get("to", []):
            return f"Art 16(1)(a): message to {item.party} {what}"
        return f"Art 16(1)(a): copy to {item.party} {what} (Arts 4(1), 5(3), 7, 8)"

    def communication(self, item: InboxItem, directive: DirectiveMessage | None) -> Communication:
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

    def record(self, case: CaseState, item: InboxItem, directive: DirectiveMessage | None, why: str) -> None:
        self.ctx.store.add_communication(case.case_id, self.communication(item, directive))
        self.ctx.audit.record(AuditOperation.COLLECTION, why, case_id=case.case_id,
                              message_id=str(item.envelope.get("message_id")), at=item.received_at)

    def case_for(self, item: InboxItem, directive: DirectiveMessage, direction: CaseDirection) -> CaseState | None:
        ctx = self.ctx
        # The defect's filing ignores the channel thread the message answers.
        threaded = not ctx.defects.active(ANSWERS_FILED_BY_REFERENCE_ONLY)
        in_reply_to = item.envelope.get("in_reply_to") if threaded else None
        if in_reply_to:
            for case_id in ctx.store.cases_of_message(str(in_reply_to)):
                case = ctx.store.case(case_id)
                if case is not None and case.direction is direction:
                    return case
        if direction is CaseDirection.OUTGOING and ctx.defects.active(ANSWERS_FILED_BY_THREAD_ONLY):
            return None  # the defect: an answer outside the thread is not matched by the reference it quotes
        candidates = [c for c in ctx.store.cases_with_reference(directive.case_reference) if c.direction is direction]
        return candidates[-1] if candidates else None


def directive_of(envelope: dict[str, Any]) -> DirectiveMessage | None:
    raw = envelope.get("directive")
    if not isinstance(raw, dict):
        return None
    try:
        return DirectiveMessage.model_validate(raw)
    except (ValidationError, ValueError) as exc:
        _log.info("message %s carries directive content that does not parse: %s", envelope.get("message_id"), exc)
        return None


def request_in(directive: DirectiveMessage | None) -> InformationRequest | None:
    while directive is not None:
        if directive.request is not None:
            return directive.request
        directive = directive.original
    return None


def subjects_of(request: InformationRequest) -> list[str]:
    return [k for k in (entity_key(e) for e in request.entities) if k]


def information_subjects(directive: DirectiveMessage | None, envelope: dict[str, Any]) -> list[str]:
    subjects: list[str] = []
    payload = envelope.get("payload") or {}
    for raw in payload.get("entities", []) if isinstance(payload, dict) else []:
        attributes = raw.get("attributes", {}) if isinstance(raw, dict) else {}
        for key in ("name", "registration", "number"):
            if attributes.get(key):
                subjects.append(str(attributes[key]))
                break
    return subjects
