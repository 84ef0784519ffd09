"""Accepting sends: addressing, threads, numbering, idempotency, and the durable write of a message.

`Accepting.accept(SendRequest)` is what `Network.accept` hands out: it checks the recipients and the
thread, numbers the message (and a new case) with the channel's case prefix (`ChannelSpec`),
journals the envelope with one delivery per To/CC recipient in one transaction, and wakes the pusher
when a recipient takes pushes. A send repeated under its Idempotency-Key answers with the first one's
message. The texts it writes are the fenced wire shapes (`simulators.runtime.wire`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from pydantic_core import to_jsonable_python

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.directive import DirectiveMessage
from simulators.model.envelope import Envelope
from simulators.model.parties import all_parties
from simulators.runtime import queries, wire
from simulators.runtime.clock import Clock
from simulators.runtime.journalable import first_unjournalable
from simulators.runtime.problems import FieldError, ProblemError
from simulators.runtime.store import (
    ENTRY_SEQ,
    CanonicalText,
    Journal,
    Rows,
    Statement,
    canonical_json,
    db_time,
    db_to_iso,
    json_string,
    plain_json,
)

__all__ = ["Accepting", "Refuse", "SendRequest", "can_see"]


class Refuse(Protocol):
    """`Network.refuse`: journal a refused access and raise its problem (`answer`, or 403/429)."""

    async def __call__(self, party: str | None, action: str, detail: str, *,
                       answer: ProblemError | None = None) -> None: ...


def can_see(envelope: Envelope, party: str) -> bool:
    """Whether `party` sent or received the message."""
    return party == envelope.sender or party in envelope.to or party in envelope.cc


def _took_part(parent: tuple[Any, ...], party: str) -> bool:
    """`can_see` for a row of `queries.THREAD_PARENT`: `party` sent the message or is among its To/CC."""
    _channel, _case, sender, to, cc = parent
    return party == sender or party in orjson.loads(to or "[]") or party in orjson.loads(cc or "[]")


def _unprocessable(field: str, rule: str, detail: str, slug: str = "validation") -> ProblemError:
    return ProblemError(
        422, "Validation failed", detail, slug=slug, errors=[FieldError(field=field, rule=rule)]
    )


def _unjournalable(payload: dict[str, Any], directive: dict[str, Any] | None) -> ProblemError:
    found = first_unjournalable(directive, "directive") if directive is not None else None
    field, rule = found or first_unjournalable(payload) or ("(body)", "holds a value JSON cannot carry")
    return _unprocessable(field, rule, f"{field}: {rule}")


def _exact_strings(items: list[str], *more: str | None) -> bool:
    """True when each of `items`, and each of `more` that is not None, is a str and not a subclass (`plain_json`)."""
    for item in items:
        if type(item) is not str:
            return False
    for other in more:  # noqa: SIM110 - a plain loop: all() over a generator costs twice as much
        if other is not None and type(other) is not str:
            return False
    return True


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One message a party sends on a channel, as the channel's handler validated it."""

    channel: ChannelName
    sender: str
    to: Sequence[str]
    payload: dict[str, Any]
    cc: Sequence[str] = ()
    directive: DirectiveMessage | dict[str, Any] | None = None
    case_id: str | None = None  # None: a new case, or the case of in_reply_to
    in_reply_to: str | None = None
    idempotency_key: str | None = None
    # The handler knows `payload` holds nothing but dicts, lists, str, int, bool and None (a JSON dump
    # of a model without floats or free-form fields), so it is not walked to find that out.
    payload_is_plain: bool = False


def _directive_kind(directive: dict[str, Any] | None) -> str | None:
    kind = directive.get("kind") if directive else None
    return kind if isinstance(kind, str) else None


class Accepting:
    """The sending side of one network; its counters are loaded from the journal (`load`)."""

    def __init__(self, journal: Journal, clock: Clock, webhooks: Mapping[tuple[str, str], str], refuse: Refuse,
                 kick: Callable[[], None]) -> None:
        self.journal = journal
        self.clock = clock
        self._webhooks = webhooks  # (party, channel) -> URL: the recipients that take pushes
        self._refuse = refuse
        self._kick = kick  # wakes the pusher
        self.message_numbers: dict[str, int] = {}  # highest message number per channel
        self.case_numbers: dict[str, int] = {}  # highest case number per case prefix
        self.cursor = 0  # highest delivery cursor
        self._inflight_keys: dict[tuple[str, str, str], asyncio.Future[None]] = {}

    async def load(self) -> None:
        self.message_numbers, self.case_numbers, self.cursor = await self.journal.read(queries.counters)

    async def accept(self, send: SendRequest) -> Envelope:
        """Journal a message durably and deliver it to every To/CC recipient; the stored envelope.

        Raises 422 problems for unknown recipients, an unknown case or replied-to message, and 409
        for an Idempotency-Key reused with a different message.
        """
        recipients = self._check_recipients(send.sender, send.to, send.cc)
        directive = send.directive
        if isinstance(directive, DirectiveMessage):
            directive = directive.model_dump(mode="json", exclude_none=True)
        if send.idempotency_key is None:
            if send.case_id is None and send.in_reply_to is None:
                # The usual send, a new case without a key: written here, without a coroutine more.
                written, envelope, push = self._write(send, None, recipients, directive, "")
                await written
                if push:
                    self._kick()
                return envelope
            return await self._accept(send, recipients, directive, "")
        body_hash = hashlib.sha256(canonical_json({
            "to": list(send.to), "cc": list(send.cc), "payload": send.payload, "case_id": send.case_id,
            "in_reply_to": send.in_reply_to, "directive": directive}).encode()).hexdigest()
        return await self._accept_once((send.sender, send.channel.value, send.idempotency_key), body_hash,
                                       lambda: self._accept(send, recipients, directive, body_hash))

    async def _accept_once(
        self, key: tuple[str, str, str], body_hash: str, first: Callable[[], Awaitable[Envelope]]
    ) -> Envelope:
        """`first()` for the first send under Idempotency-Key `key`; for a repeat, that send's message again."""
        # One send per key at a time: a twin waits for the first, then finds its message (or conflict).
        while (running := self._inflight_keys.get(key)) is not None:
            await asyncio.wait([running])
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inflight_keys[key] = done
        try:
            previous = queries.idempotent_message_answer(
                await self.journal.read_row(queries.IDEMPOTENT_MESSAGE, key))
            if previous is not None:
                return await self._replay(previous, body_hash, key[2])
            return await first()
        finally:
            del self._inflight_keys[key]
            done.set_result(None)

    def _check_recipients(self, sender: str, to: Sequence[str], cc: Sequence[str]) -> list[str]:
        parties = all_parties()
        if len(to) == 1 and not cc:  # the usual message, to one party: checked without the loops below
            only = to[0]
            if only in parties and only != sender:
                return [only]
        if not to:
            raise _unprocessable("to", "at least one recipient", "a message needs at least one To recipient")
        for field, ids in (("to", to), ("cc", cc)):
            for index, pid in enumerate(ids):
                if pid not in parties:
                    raise _unprocessable(
                        f"{field}.{index}",
                        "must be a party id of the network",
                        f"{field}.{index}: no party {pid!r} in the network",
                        slug="unknown-party",
                    )
                if pid == sender:
                    raise _unprocessable(
                        f"{field}.{index}",
                        "must not be the sender",
                        f"{field}.{index}: a party does not address itself",
                    )
        recipients = list(dict.fromkeys([*to, *cc]))
        if len(recipients) != len(to) + len(cc):
            raise _unprocessable(
                "cc", "each recipient once", "a party appears twice among the To/CC recipients"
            )
        return recipients

    async def _replay(self, previous: tuple[str, str], body_hash: str, key: str) -> Envelope:
        stored_hash, message_id = previous
        if stored_hash != body_hash:
            raise ProblemError(
                409,
                "Idempotency key reused",
                f"Idempotency-Key {key!r} was used for {message_id} with a different message",
                slug="idempotency-conflict",
                errors=[FieldError(field="Idempotency-Key", rule="must be new for a new message")],
            )
        found = await self.journal.read(lambda c: queries.message(c, message_id))
        if found is None:  # the key outlived its message (cannot happen: both go in one transaction)
            raise ProblemError(409, "Idempotency key reused", f"{key!r} refers to a message that is gone")
        return found[0].mark_replayed()

    async def _resolve_thread(
        self, channel: ChannelName, sender: str, case_id: str | None, in_reply_to: str | None
    ) -> str | None:
        if in_reply_to is not None:
            # What the reply needs of the message it follows, not the whole envelope (`THREAD_PARENT`).
            parent = await self.journal.read_row(queries.THREAD_PARENT, (in_reply_to,))
            if parent is None or parent[0] != channel.value or not _took_part(parent, sender):
                raise _unprocessable(
                    "in_reply_to",
                    "must be a message of this channel the sender sent or received",
                    f"in_reply_to: no {channel.value} message {in_reply_to!r} visible to {sender}",
                )
            parent_case: str | None = parent[1]
            if case_id is not None and parent_case is not None and case_id != parent_case:
                raise _unprocessable(
                    "case_id",
                    "must be the case of the replied-to message",
                    f"case_id {case_id!r} differs from {in_reply_to}'s case {parent_case!r}",
                )
            return case_id or parent_case
        if case_id is not None:
            # A case the sender has a part in: it sent or received one of its messages. Another pair's
            # case answers as one that does not exist (ids are network-wide counters: a 403 would
            # tell which exist), and the attempt is journaled.
            known = queries.case_part_answer(
                await self.journal.read_row(queries.CASE_PART, (sender, channel.value, case_id)))
            unknown = _unprocessable(
                "case_id",
                "must be a case id the network assigned, in which the sender sent or received a message",
                f"case_id: no {channel.value} case {case_id!r} of {sender}; omit it to open a new case",
            )
            if known is None:
                raise unknown
            if not known:
                await self._refuse(sender, "send", f"join {channel.value} case {case_id}, in which it has no part",
                                  answer=unknown)
        return case_id

    async def _accept(self, send: SendRequest, recipients: list[str], directive: dict[str, Any] | None,
                      body_hash: str) -> Envelope:
        case_id = send.case_id
        if case_id is not None or send.in_reply_to is not None:
            case_id = await self._resolve_thread(send.channel, send.sender, case_id, send.in_reply_to)
        written, envelope, push = self._write(send, case_id, recipients, directive, body_hash)
        await written
        if push:
            self._kick()
        return envelope

    # Long: the send fast path, one transaction from the checked request to the journaled envelope and its
    # deliveries; benchmarks/channel_throughput.py measures it whole.
    def _write(self, send: SendRequest, case_id: str | None, recipients: list[str],
               directive: dict[str, Any] | None, body_hash: str) -> tuple[asyncio.Future[int], Envelope, bool]:
        """Number the message and queue its durable write: the write's future, the envelope, whether to push.

        A plain function: no await between taking the numbers and queueing the write, so that numbers
        are taken in commit order.
        """
        channel, sender, to, cc, payload = send.channel, send.sender, send.to, send.cc, send.payload
        in_reply_to, key = send.in_reply_to, send.idempotency_key
        now = self.clock.now()
        name = channel.value
        numbered = case_id is None
        if case_id is None:
            prefix = CHANNELS[channel].case_prefix
            self.case_numbers[prefix] = case_number = self.case_numbers.get(prefix, 0) + 1
            case_id = f"{prefix}-{case_number:09d}"
        self.message_numbers[name] = number = self.message_numbers.get(name, 0) + 1
        message_id = f"{name}-{number:09d}"
        stamp = db_time(now)
        # Every part is validated already (addressing above, payload by the channel's model): the
        # envelope is assembled without a second validation, and serialised once, for the journal
        # and the answer alike.
        record: dict[str, Any] = {
            "message_id": message_id, "channel": name, "sender": sender, "to": list(to), "cc": list(cc),
            "created_at": db_to_iso(stamp), "in_reply_to": in_reply_to, "case_id": case_id, "payload": None,
            "directive": directive}
        # The other fields are strings the network made, or the addressing (each a recipient).
        plain = (_exact_strings(recipients, sender, case_id, in_reply_to)
                 and (directive is None or plain_json(directive)) and (send.payload_is_plain or plain_json(payload)))
        record["payload"] = payload
        if not plain:
            record["payload"], record["directive"] = to_jsonable_python(payload), to_jsonable_python(directive)
        try:
            text = canonical_json(record, plain=plain)
        except (ValueError, RecursionError):
            # A value the journal cannot hold (NaN, an overlong integer, a lone surrogate...). No await
            # since the numbers were taken: giving them back is as if they never were.
            self.message_numbers[name] = number - 1
            if numbered:
                self.case_numbers[CHANNELS[channel].case_prefix] -= 1
            raise _unjournalable(payload, directive) from None
        record["channel"], record["created_at"] = channel, now
        listed = []
        delivery_rows = Rows()
        segment = self.journal.segment
        push = False
        for party in recipients:
            self.cursor += 1
            cursor = self.cursor
            delivery_id = f"DLV-{cursor:012d}"
            pushed = (party, name) in self._webhooks
            push = push or pushed
            listed.append(wire.ACCEPTED_DELIVERY.fill(cursor, f'"{delivery_id}"', json_string(party)))
            delivery_rows.append((cursor, delivery_id, message_id, party, name, segment, wire.PENDING, stamp,
                                  stamp if pushed else None))
        kind = _directive_kind(directive)

        statements: list[Statement] = [
            (wire.INSERT_MESSAGES, Rows([(message_id, ENTRY_SEQ, segment, name, sender, case_id, kind, stamp)])),
            (wire.INSERT_DELIVERIES, delivery_rows),
        ]
        if key is not None:  # one send per key at a time (accept): this key is new in its batch
            statements.append((wire.INSERT_KEYS, Rows([(sender, name, key, body_hash, message_id)])))

        # The entry's canonical form, assembled around the canonical envelope (keys in sorted order).
        entry = CanonicalText(wire.ACCEPTED_ENTRY.fill(",".join(listed), text))
        # A new message, its new deliveries (and key): rows no other write of the batch touches.
        written = self.journal.append("message.accepted", entry, at=now, at_text=stamp, statements=statements,
                                      new_rows_only=True)
        return written, Envelope.stored(record, text), push

