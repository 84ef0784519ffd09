"""The campaign's ledger: everything the harness sent and everything it observed, in network time.

It is the ground truth of a run. The statistics checks (Art 18) count from it, every verdict cites it
as evidence, and the evidence bundle stores it as `ledger.json`. Three kinds of entry:
- `Action`: a call the harness made (a message sent as a party, a SUT stimulus or fixture, a fault,
  a clock move, a manual step shown to a person), with the raw request and response;
- `Observed`: a message of the channels' journal (`GET /control/traffic`), raw, with its delivery
  acknowledgements; directive content is kept as the raw JSON object because the channels carry it
  as sent and a CMS under test may send something the directive's model would reject;
- `Exchange`: what a scenario set up and expects (e.g. "urgent request for directly available data
  sent by SPOC-DE at 02:00 on a Saturday"), with the ids that tie it to the observed messages.
"""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

__all__ = [
    "Action",
    "Exchange",
    "ExchangeEvent",
    "ExchangeKind",
    "Ledger",
    "Observed",
]


class Action(BaseModel):
    """One call the harness made."""

    seq: int
    at: datetime = Field(description="Network time of the call")
    actor: str = Field(description="Party id the harness acted as, 'sut' or 'control'")
    what: str = Field(description="send | stimulus | decision | fixtures | fault | clock | manual | reset")
    scenario: str | None = None
    method: str = "POST"
    url: str = ""
    request: Any = None
    status: int | None = None
    response: Any = None
    error: str | None = None

    def curl(self, token_hint: str = "$TOKEN") -> str:
        """A curl line replaying the call (the token is left as a variable: never print secrets)."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url), "-H", f"'Authorization: Bearer {token_hint}'"]
        if self.actor not in ("sut", "control"):
            parts += ["-H", shlex.quote(f"X-Act-As: {self.actor}")]
        if self.request is not None:
            parts += ["-H", "'Content-Type: application/json'", "-d", shlex.quote(json.dumps(self.request))]
        return " ".join(parts)


class Observed(BaseModel):
    """A message of the channels' journal as the control API returned it (raw, lenient)."""

    model_config = ConfigDict(extra="allow")

    message_id: str
    channel: str
    sender: str
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    created_at: datetime
    in_reply_to: str | None = None
    case_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    directive: dict[str, Any] | None = None
    acks: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys([*self.to, *self.cc]))

    @property
    def kind(self) -> str | None:
        value = (self.directive or {}).get("kind")
        return str(value) if value is not None else None

    @property
    def language(self) -> str | None:
        value = (self.directive or {}).get("language") or self.payload.get("language")
        return str(value) if value else None

    @property
    def case_reference(self) -> str | None:
        value = (self.directive or {}).get("case_reference")
        return str(value) if value else None

    def field(self, name: str) -> Any:
        return (self.directive or {}).get(name)

    def delivered_at(self, party: str) -> datetime | None:
        """When the message reached `party`'s mailbox (the Art 5(1) §2 receipt, t0)."""
        for ack in self.acks:
            if ack.get("party") == party and ack.get("delivered_at"):
                return datetime.fromisoformat(str(ack["delivered_at"]).replace("Z", "+00:00"))
        return None

    def acknowledged_by(self, party: str) -> bool:
        return any(a.get("party") == party and a.get("status") in ("DELIVERED", "READ") for a in self.acks)

    def summary(self) -> str:
        kind = self.kind or "non-directive message"
        lang = f" in {self.language}" if self.language else ""
        return (
            f"{self.message_id} {self.channel} {kind}{lang} from {self.sender} to {', '.join(self.to)}"
            + (f" cc {', '.join(self.cc)}" if self.cc else "")
            + f" at {_z(self.created_at)}"
        )


class ExchangeKind(StrEnum):
    INCOMING_REQUEST = "incoming_request"  # a foreign SPOC or designated authority asks the SUT
    OUTGOING_REQUEST = "outgoing_request"  # the SUT asks (stimulus)
    OWN_INITIATIVE_OUT = "own_initiative_out"  # the SUT provides on its own initiative (stimulus)
    OWN_INITIATIVE_IN = "own_initiative_in"  # a foreign SPOC provides to the SUT
    DOMESTIC_COPY = "domestic_copy"  # a domestic authority's exchange copied to the SUT's SPOC
    DIRECT_EXCHANGE = "direct_exchange"  # Art 8: exchange between competent authorities
    RETENTION = "retention"  # the Art 16(3)-(4) review phase


class ExchangeEvent(BaseModel):
    name: str
    at: datetime
    message_id: str | None = None
    detail: str | None = None


class Exchange(BaseModel):
    """What a scenario set up, what it expects, and the ids tying it to the journal and the CMS."""

    key: str = Field(description="Unique in the campaign, e.g. 'art5.urgent-direct[night]'")
    scenario: str
    requirements: list[str]
    kind: ExchangeKind
    title: str
    labels: list[str] = Field(default_factory=list, description="night, weekend, holiday, dst, ...")
    reference: str | None = Field(default=None, description="The requester's case reference")
    message_id: str | None = Field(default=None, description="The message that opened the exchange")
    sut_case_id: str | None = None
    requester: str | None = None
    counterpart: str | None = Field(default=None, description="The foreign or domestic party facing the SUT")
    urgent: bool | None = None
    language: str | None = None
    availability: str | None = Field(default=None, description="DIRECT/INDIRECT as the fixtures hold it")
    subject: str | None = None
    expected: dict[str, str] = Field(default_factory=dict, description="item id -> 'provide' or a refusal ground")
    sent_at: datetime | None = None
    events: list[ExchangeEvent] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list, description="What kept the scenario from driving it")

    def event(self, name: str) -> ExchangeEvent | None:
        return next((e for e in self.events if e.name == name), None)

    def add_event(self, name: str, at: datetime, message_id: str | None = None, detail: str | None = None) -> None:
        self.events.append(ExchangeEvent(name=name, at=at, message_id=message_id, detail=detail))


@dataclass
class _Citations:
    """The journal indexed by what ties a message to an exchange: its id, what it replies to, the reference it
    cites; each message with its place in the journal, to give found messages in the journal's order."""

    size: int
    place: dict[str, int] = field(default_factory=dict)
    replying_to: dict[str, list[Observed]] = field(default_factory=dict)
    citing: dict[str, list[Observed]] = field(default_factory=dict)

    @classmethod
    def of(cls, observed: dict[str, Observed]) -> _Citations:
        index = cls(len(observed))
        for place, message in enumerate(observed.values()):
            index.place[message.message_id] = place
            if message.in_reply_to:
                index.replying_to.setdefault(message.in_reply_to, []).append(message)
            reference = message.case_reference
            if reference:
                index.citing.setdefault(reference, []).append(message)
        return index


class Ledger(BaseModel):
    """The whole record of a campaign."""

    seed: int
    command: str = ""
    sut_parties: list[str] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    observed: dict[str, Observed] = Field(default_factory=dict, description="message id -> message, journal order")
    exchanges: dict[str, Exchange] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    clock_steps: list[datetime] = Field(default_factory=list)

    _seq: Iterator[int] = itertools.count(1)
    # Built on the first query that needs it, dropped whenever the journal changes (`observe`): the checks ask
    # for the messages of each exchange thousands of times over a journal that no longer changes.
    _citations: _Citations | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        self._seq = itertools.count(len(self.actions) + 1)

    def record(self, **fields: Any) -> Action:
        action = Action(seq=next(self._seq), **fields)
        self.actions.append(action)
        return action

    def observe(self, messages: Iterable[Observed]) -> list[Observed]:
        """Merge journal messages (newer ack states win); returns those not seen before."""
        fresh: list[Observed] = []
        for message in messages:
            if message.message_id not in self.observed:
                fresh.append(message)
            self.observed[message.message_id] = message
        self._citations = None
        return fresh

    def add_exchange(self, exchange: Exchange) -> Exchange:
        if exchange.key in self.exchanges:
            raise ValueError(f"exchange {exchange.key!r} registered twice")
        self.exchanges[exchange.key] = exchange
        return exchange

    # -- queries used by checks ---------------------------------------------------------------

    def messages(self) -> list[Observed]:
        return list(self.observed.values())

    def from_sut(self) -> list[Observed]:
        parties = set(self.sut_parties)
        return [m for m in self.observed.values() if m.sender in parties]

    def to_sut(self) -> list[Observed]:
        parties = set(self.sut_parties)
        return [m for m in self.observed.values() if parties & set(m.recipients)]

    def get(self, message_id: str | None) -> Observed | None:
        return self.observed.get(message_id) if message_id else None

    def answers_to(self, exchange: Exchange) -> list[Observed]:
        """SUT messages belonging to the exchange: replying to its message or citing its reference."""
        opened = exchange.message_id
        reference = exchange.reference
        found = []
        for m in self.from_sut():
            if m.message_id == opened:
                continue
            if (opened and m.in_reply_to == opened) or (reference and m.case_reference == reference):
                found.append(m)
        return sorted(found, key=lambda m: m.created_at)

    def citing(self, message_ids: Collection[str], reference: str | None) -> list[Observed]:
        """Journal messages with one of `message_ids`, replying to one of them or citing `reference`, in journal
        order: every message that can belong to an exchange with these ids and reference."""
        index = self._citations
        if index is None or index.size != len(self.observed):
            index = self._citations = _Citations.of(self.observed)
        found: dict[str, Observed] = {}
        for message_id in message_ids:
            message = self.observed.get(message_id)
            if message is not None:
                found[message_id] = message
            for reply in index.replying_to.get(message_id, ()):
                found[reply.message_id] = reply
        if reference:
            for message in index.citing.get(reference, ()):
                found[message.message_id] = message
        place = index.place
        return sorted(found.values(), key=lambda m: place[m.message_id])

    def of_exchange(self, exchange: Exchange) -> list[Observed]:
        """Every journal message of the exchange, in either direction."""
        ids = {e.message_id for e in exchange.events if e.message_id}
        if exchange.message_id:
            ids.add(exchange.message_id)
        return sorted(self.citing(ids, exchange.reference), key=lambda m: m.created_at)

    def actions_of(self, scenario: str) -> list[Action]:
        return [a for a in self.actions if a.scenario == scenario]


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
