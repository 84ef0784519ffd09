"""Sending directive messages: channel choice (Art 13), copies (Arts 4, 5, 7, 8, 12), records, audit.

SIENA by default. The Interpol channel where a third country is involved (Art 13(2)(a), exception
3C). On a SIENA outage (503 or no connection) the message goes NCB-to-NCB on Interpol with
exception INC (Art 13(2)(c)). The copies a provision demands travel as CC of the same SIENA
message, so they leave at the same instant; on Interpol, where every party is an NCB, the copy's
state NCB is addressed in the same message. Every message sent is recorded in its case under the
channel's message id, and its disclosure is audited with the recipients.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.directive import (
    ChannelException,
    CopyExceptionGround,
    CopyReason,
    DirectiveMessage,
    Entity,
    MessageKind,
)
from simulators.model.parties import party as party_of
from simulators.model.sut_interface import AuditOperation, CaseDirection, Communication
from simulators.reference_cms.channels import ChannelError, ChannelRejected, ChannelUnavailable
from simulators.reference_cms.clock_follower import parse_network_time
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import (
    DESIGNATED_REPLY_COPY_BATCHED,
    DISCLOSURE_AUDITS_MAIN_ADDRESSEE,
    DOMESTIC_DISCLOSURES_LOGGED_AS_COLLECTIONS,
    EUROPOL_COPY_DROPPED_ON_FALLBACK,
    EUROPOL_COPY_RESTRICTION_DEFAULTED,
    EUROPOL_COPY_WITHOUT_PURPOSES,
    FALLBACK_CHANNEL_KEPT_AFTER_OUTAGE,
    FALLBACK_LABELLED_THIRD_COUNTRY,
    INTERPOL_DROPS_OWN_STATE_COPIES,
    LATE_COPY,
    NO_FALLBACK_ON_SIENA_OUTAGE,
)

__all__ = ["Outbound", "Sender"]

_log = logging.getLogger("reference_cms.sending")

_INTERPOL_LANGUAGES = ("en", "fr", "es", "ar")
# The handling code a copy to Europol states where the sender set no restriction on use (Art 12(2)).
_EUROPOL_DEFAULT_RESTRICTION = (
    "H0: use only to prevent and combat crime; no onward transmission without the provider's consent"
)

_DISCLOSURE_BASIS = {
    MessageKind.REQUEST: "Art 4: request for information sent",
    MessageKind.REPLY: "Art 5(1): information provided on request",
    MessageKind.REFUSAL: "Art 6(2): refusal with reasons sent to the requester",
    MessageKind.CLARIFICATION_REQUEST: "Art 6(3): clarification requested from the requester",
    MessageKind.CLARIFICATION: "Art 6(3): clarification provided to the requested SPOC",
    MessageKind.DELAY_NOTICE: "Art 5(2): requester informed of the delay for judicial authorisation",
    MessageKind.OWN_INITIATIVE: "Art 7: information provided on own initiative",
    MessageKind.COPY: "copy demanded by the directive",
}


class Outbound(BaseModel):
    """One message to send, with everything needed to send it again later."""

    case_id: str
    sender: str
    to: list[str]
    copies: dict[str, CopyReason] = Field(default_factory=dict, description="SPOC copies: party -> provision")
    europol: bool = False
    directive: DirectiveMessage
    subject: str
    body: str
    urgent: bool = False
    urgency_reason: str | None = None
    crime_areas: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    information_access: str | None = None
    source_reliability: str | None = None
    information_accuracy: str | None = None
    restrictions: str | None = None
    channel: str = Field(default=ChannelName.SIENA, description="A ChannelName")
    channel_exception: ChannelException | None = None
    in_reply_to: str | None = None
    channel_case_id: str | None = None
    key: str = Field(description="Idempotency key: the same key never sends twice")
    recorded: bool = Field(default=True, description="Record the message in its case (false only for a defect)")


class Sender:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # Cases a message of which fell back to Interpol (read only under a named defect).
        self._fallen_back: set[str] = set()

    async def deliver(self, out: Outbound) -> list[Communication]:
        """Send `out` (and the copies it demands); the communications recorded, main message first."""
        ctx = self.ctx
        out.directive.sent_at = ctx.now()
        batched = bool(out.copies) and all(r is CopyReason.ART_5_3 for r in out.copies.values()) \
            and ctx.defects.active(DESIGNATED_REPLY_COPY_BATCHED)
        late_copies = bool(out.copies) and (ctx.defects.active(LATE_COPY) or batched)
        sticky = out.case_id in self._fallen_back and ctx.defects.active(FALLBACK_CHANNEL_KEPT_AFTER_OUTAGE)
        if out.channel == ChannelName.SIENA and sticky:
            # The defect: the case's channel was switched to the fallback and nobody switches it back.
            sent = await self._send_interpol(out, ChannelException.INCIDENT, with_copies=not late_copies)
        elif out.channel == ChannelName.SIENA:
            try:
                sent = await self._send_siena(out, with_copies=not late_copies)
            except ChannelUnavailable as exc:
                if ctx.defects.active(NO_FALLBACK_ON_SIENA_OUTAGE):
                    _log.info("SIENA unavailable (%s); retrying later on SIENA", exc)
                    self._retry_later(out)
                    return []
                _log.info("SIENA unavailable (%s); falling back to Interpol (Art 13(2)(c))", exc)
                try:
                    # The fallback form's first option, 'third country involved', stays ticked under the defect.
                    ground = (ChannelException.THIRD_COUNTRY if ctx.defects.active(FALLBACK_LABELLED_THIRD_COUNTRY)
                              else ChannelException.INCIDENT)
                    sent = await self._send_interpol(out, ground, with_copies=not late_copies)
                    self._fallen_back.add(out.case_id)
                except ChannelError as fallback_failed:
                    _log.warning("no channel available (%s); retrying later", fallback_failed)
                    self._retry_later(out)
                    return []
                if out.europol and not ctx.defects.active(EUROPOL_COPY_DROPPED_ON_FALLBACK):
                    # Europol is reached through SIENA only: its copy follows once SIENA is back.
                    self._plan_europol_copy(out, sent[0])
        else:
            sent = await self._send_interpol(out, out.channel_exception, with_copies=not late_copies)
        if late_copies:
            for recipient, reason in out.copies.items():
                delay = timedelta(minutes=15) if batched else ctx.settings.late_copy_delay
                self.ctx.store.plan(out.case_id, "LATE_COPY", ctx.now() + delay, {
                    "recipient": recipient, "reason": reason.value, "of": sent[0].message_id,
                    "outbound": out.model_dump(mode="json"),
                })
        return sent

    def _retry_later(self, out: Outbound) -> None:
        ctx = self.ctx
        ctx.store.plan(out.case_id, "RETRY_SEND", ctx.now() + ctx.settings.outage_retry_every,
                       {"outbound": out.model_dump(mode="json")})

    def _plan_europol_copy(self, out: Outbound, original: Communication) -> None:
        ctx = self.ctx
        ctx.store.plan(out.case_id, "EUROPOL_COPY", ctx.now() + ctx.settings.outage_retry_every,
                       {"of": original.message_id, "outbound": out.model_dump(mode="json")})

    # -- SIENA --------------------------------------------------------------------------------

    def _siena_body(self, out: Outbound, cc: list[str], directive: DirectiveMessage) -> dict[str, Any]:
        defects = self.ctx.defects
        europol = "EUROPOL" in cc or "EUROPOL" in out.to
        body: dict[str, Any] = {
            "sender": out.sender,
            "to": out.to,
            "cc": cc,
            "kind": directive.kind.value,
            "subject": out.subject[:255],
            "body": out.body,
            "language": directive.language,
            "urgency": "URGENT" if out.urgent else "NON_URGENT",
            "crime_areas": out.crime_areas or ["ORGANISED_CRIME"],
            "handling_codes": ["H0"],
            "security_level": "BPL",
            "europol_involved": europol,
            "entities": [e.model_dump(mode="json") for e in out.entities],
            "directive": directive.model_dump(mode="json", exclude_none=True),
        }
        if out.urgent:
            body["urgency_reason"] = out.urgency_reason or "Urgent request (Art 4(4))"
        for name in ("information_access", "source_reliability", "information_accuracy", "in_reply_to"):
            value = getattr(out, name)
            if value is not None:
                body[name] = value
        if out.channel_case_id:
            body["case_id"] = out.channel_case_id
        if out.restrictions:
            body["restrictions"] = out.restrictions
        if europol and not defects.active(EUROPOL_COPY_WITHOUT_PURPOSES):
            # Art 12(2): a copy to Europol states the purposes of processing and any restriction.
            body["processing_purposes"] = ["CROSS_CHECKING", "OPERATIONAL_ANALYSIS"]
            body["restrictions"] = out.restrictions or (
                _EUROPOL_DEFAULT_RESTRICTION
            )
            if defects.active(EUROPOL_COPY_RESTRICTION_DEFAULTED):
                body["restrictions"] = _EUROPOL_DEFAULT_RESTRICTION  # the defect: the sender's restriction is lost
        elif europol:
            body.pop("restrictions", None)
        if any(i.data_categories for i in directive.information):
            body["contains_personal_data"] = True
        return body

    async def _send_siena(self, out: Outbound, *, with_copies: bool) -> list[Communication]:
        cc = list(out.copies) if with_copies else []
        if out.europol:
            cc.append("EUROPOL")
        directive = out.directive.model_copy()
        body = self._siena_body(out, cc, directive)
        try:
            envelope = await self._send(ChannelName.SIENA, out.sender, body, out.key)
        except ChannelUnavailable:
            # Once more with the same Idempotency-Key: if only the answer was lost, the channel returns the
            # message it already accepted, and nothing is sent twice on two channels.
            envelope = await self._send(ChannelName.SIENA, out.sender, body, out.key)
        copy_reasons = {p: r for p, r in out.copies.items() if p in cc}
        return [self._record(out.case_id, envelope, directive, copy_reasons, recorded=out.recorded)]

    # -- Interpol -----------------------------------------------------------------------------

    async def _send_interpol(
        self, out: Outbound, exception: ChannelException | None, *, with_copies: bool
    ) -> list[Communication]:
        directive = out.directive.model_copy(update={"channel_exception": exception})
        own_state = party_of(out.sender).state
        interpol = CHANNELS[ChannelName.INTERPOL]
        own_ncb = interpol.state_party(own_state) if own_state else None
        if own_ncb is None:
            raise ValueError(f"{out.sender} has no state, so no NCB to send on Interpol as")
        ncbs: list[str] = []
        national: list[str] = []
        addressed = [*out.to, *(out.copies if with_copies else [])]
        for recipient in addressed:
            state = party_of(recipient).state
            if state is None:
                continue
            if state == own_state:
                national.append(recipient)
            elif (ncb := interpol.state_party(state)) is not None and ncb not in ncbs:
                ncbs.append(ncb)
        language = directive.language if directive.language in _INTERPOL_LANGUAGES else "en"
        body: dict[str, Any] = {
            "kind": "MESSAGE",
            "sender": own_ncb,
            "to": ncbs,
            "language": language,
            "subject": out.subject[:255],
            "body": out.body,
            "directive": directive.model_dump(mode="json", exclude_none=True),
        }
        envelope = await self._send(ChannelName.INTERPOL, own_ncb, body, out.key + ":interpol")
        copy_reasons = {p: r for p, r in out.copies.items() if with_copies}
        sent = [self._record(out.case_id, envelope, directive, copy_reasons, recorded=out.recorded)]
        if self.ctx.defects.active(INTERPOL_DROPS_OWN_STATE_COPIES):
            # The Interpol gateway knows NCBs only: the state's own addressees of the message fall away.
            national = []
        for recipient in national:
            # A copy to the state's own SPOC (or authority) on an Interpol exchange stays inside the CMS.
            # It is made with the message, so it bears the message's time (whatever clock the CMS keeps).
            sent.append(self.record_national(out.case_id, out.sender, recipient, directive.kind.value,
                                             f"copy of {envelope['message_id']}", CaseDirection.OUTGOING,
                                             copy_reason=out.copies.get(recipient), at=sent[0].at))
        return sent

    # -- copies sent on their own ---------------------------------------------------------------

    async def send_copy(self, case_id: str, out: Outbound, recipient: str, reason: CopyReason, of: str,
                        key: str) -> Communication | None:
        """A COPY message of an earlier message (the late copy of the defect, or the delayed Europol copy)."""
        copy = DirectiveMessage(
            kind=MessageKind.COPY,
            case_reference=out.directive.case_reference,
            language=out.directive.language,
            copy_reason=reason,
            copy_of=of,
            original=out.directive,
            sent_at=self.ctx.now(),
        )
        single = out.model_copy(update={
            "to": [recipient], "copies": {}, "europol": False, "directive": copy, "key": key, "in_reply_to": None,
            "channel": ChannelName.SIENA, "channel_exception": None,
            "subject": f"Copy ({reason.value}) of {of}: {out.subject}"[:255],
        })
        try:
            envelope = await self._send(ChannelName.SIENA, single.sender, self._siena_body(single, [], copy), key)
        except ChannelError as exc:
            _log.warning("copy of %s to %s not sent: %s", of, recipient, exc)
            return None
        return self._record(case_id, envelope, copy, {recipient: reason})

    # -- the one way out ----------------------------------------------------------------------

    async def _send(self, channel: str, party: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        """Send one message, kept in the outbox with its key first (simulators/reference_cms/outbox.py).

        A step done again after a kill takes its earlier sends from the outbox in the same order: the envelope
        of one the channel accepted, the failure of one that failed, and the kept body and key of one that had
        no answer yet, sent again (the channel answers a repeated key with the message it accepted)."""
        outbox = self.ctx.store.outbox
        entry = outbox.prepare(channel, party, key, body)
        if entry is None:
            return await self.ctx.channels.send(channel, party, body, key)
        if entry.outcome == "ACCEPTED" and entry.result is not None:
            _log.warning("resumed step: %s %s was accepted before the restart as %s", channel, entry.key,
                      entry.result.get("message_id"))
            return entry.result
        if entry.outcome == "FAILED" and entry.result is not None:
            failure = ChannelUnavailable if entry.result.get("unavailable") else ChannelRejected
            raise failure(channel, entry.result.get("status"), f"(before the restart) {entry.result.get('detail')}",
                          entry.result.get("problem"))
        if entry.resumed:
            _log.warning("resumed step: %s %s sent again under its key (no answer before the restart)",
                         channel, entry.key)
        try:
            envelope = await self.ctx.channels.send(entry.channel, entry.party, entry.body, entry.key)
        except ChannelError as exc:
            outbox.failed(entry, {"unavailable": isinstance(exc, ChannelUnavailable), "status": exc.status,
                                  "detail": exc.detail, "problem": exc.problem})
            raise
        outbox.accepted(entry, envelope)
        return envelope

    # -- records ------------------------------------------------------------------------------

    def _record(self, case_id: str, envelope: dict[str, Any], directive: DirectiveMessage,
                copy_reasons: dict[str, CopyReason], *, recorded: bool = True) -> Communication:
        ctx = self.ctx
        recipients = [*envelope.get("to", []), *envelope.get("cc", [])]
        at = parse_network_time(str(envelope["created_at"]))
        ctx.clock.observe(at)
        communication = Communication(
            message_id=str(envelope["message_id"]),
            channel=str(envelope.get("channel", ChannelName.SIENA.value)),
            direction=CaseDirection.OUTGOING,
            kind=directive.kind.value,
            sender=str(envelope["sender"]),
            recipients=recipients,
            counterpart=recipients[0] if recipients else "",
            at=at,
            language=directive.language,
            channel_exception=directive.channel_exception.value if directive.channel_exception else None,
            copy_reason=directive.copy_reason or (next(iter(copy_reasons.values())) if copy_reasons else None),
            copy_exception=directive.copy_exception,
            in_reply_to=envelope.get("in_reply_to"),
        )
        if recorded:
            ctx.store.add_communication(case_id, communication)
        ctx.audit.record(
            AuditOperation.DISCLOSURE,
            _DISCLOSURE_BASIS[directive.kind] + f" via {communication.channel}",
            case_id=case_id,
            recipient=", ".join(envelope.get("to", []) if ctx.defects.active(DISCLOSURE_AUDITS_MAIN_ADDRESSEE)
                                else recipients),
            message_id=communication.message_id,
            data=_disclosed(directive),
            at=at,
        )
        return communication

    def record_national(self, case_id: str, sender: str, recipient: str, kind: str, what: str,
                        direction: CaseDirection, copy_reason: CopyReason | None = None,
                        copy_exception: CopyExceptionGround | None = None,
                        at: datetime | None = None) -> Communication:
        """A communication with a domestic authority (Art 16(1)(b)); it does not cross a channel."""
        ctx = self.ctx
        number = ctx.store.next_number("national-messages")
        communication = Communication(
            message_id=f"NATIONAL-{ctx.state}-{number:06d}",
            channel="NATIONAL",
            direction=direction,
            kind=kind,
            sender=sender,
            recipients=[recipient],
            counterpart=recipient if direction is CaseDirection.OUTGOING else sender,
            at=at or ctx.now(),
            copy_reason=copy_reason,
            copy_exception=copy_exception,
        )
        ctx.store.add_communication(case_id, communication)
        # What leaves the SPOC for the authority is disclosed to it; what comes back is collected from it.
        operation = AuditOperation.DISCLOSURE if direction is CaseDirection.OUTGOING else AuditOperation.COLLECTION
        if ctx.defects.active(DOMESTIC_DISCLOSURES_LOGGED_AS_COLLECTIONS):
            # the defect: the log reads the national message the wrong way round
            operation = AuditOperation.COLLECTION if operation is AuditOperation.DISCLOSURE \
                else AuditOperation.DISCLOSURE
        ctx.audit.record(operation, f"Art 14(2)(b): {what}", case_id=case_id,
                         recipient=recipient if operation is AuditOperation.DISCLOSURE else None,
                         message_id=communication.message_id, at=communication.at)
        return communication


def _disclosed(directive: DirectiveMessage) -> str | None:
    if directive.information:
        return "; ".join(f"{i.item_id}: {', '.join(c.value for c in i.data_categories) or 'no personal data'}"
                         for i in directive.information)
    if directive.request is not None:
        return "request about " + ", ".join(
            e.attributes.get("name") or e.attributes.get("registration") or e.attributes.get("number") or e.entity_id
            for e in directive.request.entities
        ) if directive.request.entities else "request"
    return None
