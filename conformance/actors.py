"""The parties the harness plays, and its handle on the simulated network.

Every actor acts through the channels' control token with `X-Act-As: <party>` (docs/channels-api.md),
exactly as that party would over its own credentials: it sends only as itself, and the network
journals and delivers what it sends like any other message. The harness plays foreign SPOCs of any
state, foreign designated and competent authorities, domestic authorities, Europol, Interpol NCBs
and the General Secretariat, and SIRENE bureaux. `NetworkControl` is the control side: the clock, the
journal (`/control/traffic`), faults and resets.

Every send is recorded in the ledger with the raw body and the envelope the network answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from conformance.campaign.http import HttpCaller, parse_time
from conformance.ledger import Observed
from simulators.model.channels import ChannelName, spec_for_key
from simulators.model.directive import (
    DirectiveMessage,
    InformationItem,
    InformationRequest,
    MessageKind,
)
from simulators.model.parties import Party, PartyKind, party, party_id

__all__ = [
    "SIENA_DEFAULTS",
    "Actor",
    "DirectiveActor",
    "DomesticAuthority",
    "EuropolActor",
    "ForeignAuthority",
    "ForeignSpoc",
    "InterpolGeneralSecretariat",
    "InterpolNcb",
    "NetworkControl",
    "SireneBureau",
]

# Defaults for the SIENA fields the directive does not govern (channels.md §1); the harness keeps
# them plain so that nothing but the directive content can make a message stand out. Public: the
# load tests' users write the same messages (load/traffic.py).
SIENA_DEFAULTS: dict[str, Any] = {
    "handling_codes": ["H0"],
    "security_level": "BPL",
    "processing_purposes": ["FACILITATE_EXCHANGE"],
    "attachments": [],
    "entities": [],
}


class NetworkControl:
    """The simulators as the harness controls them (control token)."""

    def __init__(self, caller: HttpCaller) -> None:
        self.caller = caller
        # (channel, party) of the outages the harness put in force; None in either: every one.
        self._outages: frozenset[tuple[str | None, str | None]] = frozenset()

    @property
    def base_url(self) -> str:
        return self.caller.base_url

    def holds_back(self, channel: str, party: str) -> bool:
        """Whether an outage the harness set holds deliveries to `party` on `channel` back on purpose."""
        return any((c is None or c == channel) and (p is None or p == party) for c, p in self._outages)

    async def clock(self) -> datetime:
        reply = await self.caller.call("GET", "/control/clock")
        return parse_time(str(reply.body["now"]))

    async def set_clock(self, moment: datetime) -> datetime:
        reply = await self.caller.call("POST", "/control/clock", body={"set": _z(moment)})
        now = reply.body.get("now") if isinstance(reply.body, dict) else None
        return parse_time(str(now)) if now else moment

    async def traffic(self, *, since: datetime | None = None, **filters: str) -> list[Observed]:
        params = {k: v for k, v in filters.items() if v}
        if since is not None:
            params["since"] = _z(since)
        reply = await self.caller.call("GET", "/control/traffic", params=params)
        return [Observed.model_validate(m) for m in reply.body.get("messages", [])]

    async def set_faults(self, faults: Sequence[dict[str, Any]], *, scenario: str | None = None) -> None:
        await self.caller.call("PUT", "/control/faults", body={"faults": list(faults)}, record="fault",
                               scenario=scenario)
        self._outages = frozenset((f.get("channel"), f.get("party")) for f in faults if f.get("type") == "outage")

    async def clear_faults(self, *, scenario: str | None = None) -> None:
        await self.caller.call("DELETE", "/control/faults", record="fault", scenario=scenario)
        self._outages = frozenset()

    async def reset(self) -> None:
        await self.caller.call("POST", "/control/reset", record="reset")

    async def verify_journal(self, *, since_verified: bool = False) -> dict[str, Any]:
        params = {"since_verified": "true"} if since_verified else None
        reply = await self.caller.call("GET", "/control/journal/verify", params=params)
        return dict(reply.body)

    def actor(self, pid: str) -> Actor:
        found = party(pid)
        kind_to_class: dict[PartyKind, type[Actor]] = {
            PartyKind.SPOC: ForeignSpoc,
            PartyKind.DESIGNATED_AUTHORITY: ForeignAuthority,
            PartyKind.COMPETENT_AUTHORITY: ForeignAuthority,
            PartyKind.EUROPOL: EuropolActor,
            PartyKind.INTERPOL_NCB: InterpolNcb,
            PartyKind.INTERPOL_GS: InterpolGeneralSecretariat,
            PartyKind.SIRENE_BUREAU: SireneBureau,
        }
        return kind_to_class.get(found.kind, Actor)(self, found.id)

    def spoc(self, state: str) -> ForeignSpoc:
        return ForeignSpoc(self, party_id(PartyKind.SPOC, state))

    def designated(self, state: str) -> ForeignAuthority:
        return ForeignAuthority(self, party_id(PartyKind.DESIGNATED_AUTHORITY, state))

    def competent(self, state: str) -> ForeignAuthority:
        return ForeignAuthority(self, party_id(PartyKind.COMPETENT_AUTHORITY, state))

    def domestic(self, kind: PartyKind, state: str) -> DomesticAuthority:
        return DomesticAuthority(self, party_id(kind, state))

    def europol(self) -> EuropolActor:
        return EuropolActor(self, "EUROPOL")


class Actor:
    """One party of the network played by the harness."""

    def __init__(self, network: NetworkControl, pid: str) -> None:
        self.network = network
        self.id = pid

    @property
    def party(self) -> Party:
        return party(self.id)

    @property
    def state(self) -> str | None:
        return self.party.state

    async def send(
        self, channel: str, body: dict[str, Any], *, scenario: str | None = None, idempotency_key: str | None = None
    ) -> Observed:
        headers = {"X-Act-As": self.id}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        path = spec_for_key(channel).send_path
        reply = await self.network.caller.call(
            "POST", path, body=body, headers=headers, record="send", actor=self.id, scenario=scenario
        )
        return Observed.model_validate(reply.body)

    async def send_siena(
        self,
        directive: DirectiveMessage,
        *,
        to: Sequence[str],
        cc: Sequence[str] = (),
        subject: str,
        body: str,
        scenario: str | None = None,
        urgent: bool = False,
        urgency_reason: str | None = None,
        in_reply_to: str | None = None,
        case_id: str | None = None,
        crime_areas: Sequence[str] = ("SWINDLING_FRAUD",),
        europol_involved: bool = False,
        restrictions: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Observed:
        message: dict[str, Any] = {
            **SIENA_DEFAULTS,
            "sender": self.id,
            "to": list(to),
            "cc": list(cc),
            "subject": subject,
            "body": body,
            "language": directive.language,
            "urgency": "URGENT" if urgent else "NON_URGENT",
            "crime_areas": list(crime_areas),
            "europol_involved": europol_involved,
            "directive": directive.model_dump(mode="json", exclude_none=True),
        }
        if urgency_reason:
            message["urgency_reason"] = urgency_reason
        if in_reply_to:
            message["in_reply_to"] = in_reply_to
        if case_id:
            message["case_id"] = case_id
        if restrictions:
            message["restrictions"] = restrictions
        message.update(extra or {})
        key = f"{scenario or 'harness'}:{self.id}:{directive.kind}:{directive.case_reference}:{in_reply_to or ''}"
        return await self.send("siena", message, scenario=scenario, idempotency_key=key)

    async def mailbox(self, channel: str = "siena", *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        reply = await self.network.caller.call(
            "GET", f"{spec_for_key(channel).url_prefix}/mailbox", params={"after": str(after), "limit": str(limit)},
            headers={"X-Act-As": self.id},
        )
        return list(reply.body.get("deliveries", []))

    async def ack(self, channel: str, delivery_id: str) -> None:
        await self.network.caller.call(
            "POST", f"{spec_for_key(channel).url_prefix}/mailbox/{delivery_id}/ack", body={"status": "DELIVERED"},
            headers={"X-Act-As": self.id},
        )


class DirectiveActor(Actor):
    """A party that exchanges under the directive: SPOCs and law enforcement authorities."""

    async def request(
        self,
        request: InformationRequest,
        *,
        to: str,
        cc: Sequence[str] = (),
        scenario: str | None = None,
        crime_areas: Sequence[str] = ("SWINDLING_FRAUD",),
        message_language: str | None = None,
    ) -> Observed:
        """Send `request` on SIENA; `message_language` is the covering message's, the request's by default."""
        directive = DirectiveMessage(kind=MessageKind.REQUEST, case_reference=request.reference,
                                     language=message_language or request.language, request=request)
        return await self.send_siena(
            directive, to=[to], cc=cc, scenario=scenario, urgent=request.urgent,
            urgency_reason=request.urgency_reasons, crime_areas=crime_areas,
            subject=f"Request for information {request.reference}",
            body=request.info_requested or "Request for information",
            restrictions=request.use_restrictions,
            # SIENA requires the flag wherever Europol is addressed (a requester involving Europol, Art 12).
            europol_involved="EUROPOL" in cc,
        )

    async def clarify(
        self,
        asked: Observed,
        *,
        reference: str,
        language: str,
        answers: str,
        amended: InformationRequest | None = None,
        scenario: str | None = None,
    ) -> Observed:
        directive = DirectiveMessage(kind=MessageKind.CLARIFICATION, case_reference=reference, language=language,
                                     answers=answers, amended_request=amended)
        return await self.send_siena(directive, **_thread(asked), scenario=scenario,
                                     subject=f"Clarification {reference}", body=answers)

    async def ask_clarification(
        self, request: Observed, *, reference: str, language: str, questions: str, scenario: str | None = None
    ) -> Observed:
        directive = DirectiveMessage(kind=MessageKind.CLARIFICATION_REQUEST, case_reference=reference,
                                     language=language, questions=questions)
        return await self.send_siena(directive, **_thread(request), scenario=scenario,
                                     subject=f"Request for clarification {reference}", body=questions)

    async def reply(
        self,
        request: Observed,
        *,
        reference: str,
        language: str,
        information: Sequence[InformationItem],
        scenario: str | None = None,
    ) -> Observed:
        directive = DirectiveMessage(kind=MessageKind.REPLY, case_reference=reference, language=language,
                                     information=list(information))
        return await self.send_siena(directive, **_thread(request), scenario=scenario,
                                     subject=f"Information {reference}", body="Information provided")

    async def own_initiative(
        self,
        *,
        to: str,
        cc: Sequence[str] = (),
        reference: str,
        language: str,
        information: Sequence[InformationItem],
        scenario: str | None = None,
    ) -> Observed:
        directive = DirectiveMessage(kind=MessageKind.OWN_INITIATIVE, case_reference=reference, language=language,
                                     information=list(information))
        return await self.send_siena(directive, to=[to], cc=cc, scenario=scenario,
                                     subject=f"Spontaneous information {reference}", body="Own-initiative provision")


class ForeignSpoc(DirectiveActor):
    """The SPOC of another member state."""


class ForeignAuthority(DirectiveActor):
    """A designated (Art 2(2)) or competent law enforcement authority of another member state."""


class DomesticAuthority(DirectiveActor):
    """A law enforcement authority of the SUT's own state that the SUT does not operate."""


class EuropolActor(Actor):
    """Europol's SIENA endpoint: receives the Art 12 copies."""


class InterpolNcb(Actor):
    """An Interpol National Central Bureau on I-24/7."""

    async def send_message(
        self, *, to: Sequence[str], body: dict[str, Any], directive: DirectiveMessage | None = None,
        scenario: str | None = None,
    ) -> Observed:
        message = {"sender": self.id, "to": list(to), **body}
        if directive is not None:
            message["directive"] = directive.model_dump(mode="json", exclude_none=True)
        return await self.send("interpol", message, scenario=scenario)


class InterpolGeneralSecretariat(InterpolNcb):
    """The Interpol General Secretariat (notice review)."""


class SireneBureau(Actor):
    """A SIRENE bureau of the SIS."""

    async def send_form(
        self, form: dict[str, Any], *, directive: DirectiveMessage | None = None, scenario: str | None = None
    ) -> Observed:
        body = dict(form)
        if directive is not None:
            body["directive"] = directive.model_dump(mode="json", exclude_none=True)
        return await self.send("sirene", body, scenario=scenario)


def _thread(message: Observed) -> dict[str, Any]:
    """Where a SIENA answer to `message` goes: to its sender in its SIENA thread; for a message that came on
    another channel (Art 13(2)), to the SPOC of the sender's state, tied to it by the directive's reference."""
    if message.channel == ChannelName.SIENA:
        return {"to": [message.sender], "in_reply_to": message.message_id, "case_id": message.case_id}
    sender = party(message.sender)
    to = party_id(PartyKind.SPOC, sender.state) if sender.state else message.sender
    return {"to": [to], "in_reply_to": None, "case_id": None}


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
