"""The `Network` facade: what every channel uses to accept, store, deliver and time its messages.

How a channel plugs in
----------------------
A channel is a module exposing `setup(app: web.Application) -> None`. It adds its routes with
`simulators.runtime.openapi.route(app, ...)` (route + OpenAPI description in one call, with
`channel=ChannelName.X` so that auth, faults and mailbox isolation apply) and usually calls
`simulators.runtime.mailbox.add_mailbox_routes(app, ChannelName.X)` for the shared pull/ack/webhook
routes. Handlers reach the network through the typed key: `network = request.app[NETWORK]`, and the
acting party through `caller(request)` (`simulators.runtime.mailbox`). A send handler validates its
body into its pydantic model, then:

    envelope = await network.accept(SendRequest(channel=ChannelName.X, sender=..., to=..., cc=...,
                                                payload=payload_dict, directive=..., case_id=...,
                                                in_reply_to=..., idempotency_key=...))
    return accepted_response(request, envelope)     # 201, or 200 for an idempotent replay

`accept` journals the message and its deliveries (one per To/CC recipient) in one durable
transaction, then pushes to recipients with a webhook. Reads: `message`, `case_messages`,
`can_see`; time: `network.clock`, `network.schedule_at(moment, name, factory)` (in memory) and
`network.register_timer(kind, handler)` + `network.schedule_durable(moment, kind, key, params)`
(survives restarts). `network.refuse(party, action, detail)` journals a refused access and raises
the 403 problem. `network.on_reset(callback)` lets a channel drop in-memory state on a reset.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic_core import to_jsonable_python

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.directive import DirectiveMessage
from simulators.model.envelope import Ack, AckStatus, DeliveryStatus, Envelope, MailboxPage, MessageView
from simulators.model.parties import all_parties
from simulators.runtime import queries, wire
from simulators.runtime.clock import Clock
from simulators.runtime.delivery import ACKED, Pusher, ack_text, acked_entry
from simulators.runtime.faults import Fault, FaultSet
from simulators.runtime.journalable import first_unjournalable
from simulators.runtime.problems import FieldError, ProblemError
from simulators.runtime.refusals import RefusalBudget, RefusalDecision
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
from simulators.runtime.timers import CoroutineFactory, DurableTimers, Scheduler, TimerHandler

__all__ = ["NETWORK", "Network", "SendRequest", "TimerHandler"]

_log = logging.getLogger("simulators.network")


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


class Network:
    """One exchange network: journal, clock, deliveries, faults. Create with `await Network.open(...)`."""

    def __init__(self, journal: Journal, clock: Clock, *, allow_remote_webhooks: bool = False,
                 refusals: RefusalBudget | None = None) -> None:
        self.journal = journal
        self.refusals = refusals or RefusalBudget()
        self.clock = clock
        self.faults = FaultSet()
        self.scheduler = Scheduler(clock)
        self.allow_remote_webhooks = allow_remote_webhooks
        self.webhooks: dict[tuple[str, str], str] = {}
        self._message_numbers: dict[str, int] = {}
        self._case_numbers: dict[str, int] = {}
        self._cursor = 0
        self._inflight_keys: dict[tuple[str, str, str], asyncio.Future[None]] = {}
        # One acknowledging request per (channel, party) at a time: each reads the rows, then writes
        # what follows from them; two at once would both read the old state, and the second write
        # would undo the first (a read receipt turned back into a mere delivery).
        self._ack_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.durable_timers = DurableTimers(journal, self.scheduler)
        self.reset_callbacks: list[Callable[[], Awaitable[None]]] = []
        self.pusher = Pusher(self)

    @classmethod
    async def open(cls, journal: Journal, clock: Clock, *, allow_remote_webhooks: bool = False,
                   refusals: RefusalBudget | None = None) -> Network:
        network = cls(journal, clock, allow_remote_webhooks=allow_remote_webhooks, refusals=refusals)
        await network._load()
        return network

    async def _load(self) -> None:
        self._message_numbers, self._case_numbers, self._cursor = await self.journal.read(queries.counters)

        def state(conn: Any) -> tuple[list[tuple[str, str, str]], list[str]]:
            hooks = conn.execute("SELECT party, channel, url FROM webhooks").fetchall()
            faults = [r[0] for r in conn.execute("SELECT spec FROM faults ORDER BY position")]
            return hooks, faults

        hooks, faults = await self.journal.read(state)
        self.webhooks = {(p, c): u for p, c, u in hooks}
        self.faults.replace([Fault.model_validate_json(f) for f in faults])

    async def start(self) -> None:
        """Arm durable timers and resume pending pushes; call once every channel has been set up."""
        await self.durable_timers.arm_pending()
        self.pusher.start()

    async def close(self) -> None:
        await self.pusher.close()
        await self.scheduler.close()

    # -- sending --------------------------------------------------------------------------------

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
            previous = await self.journal.read(lambda c: queries.idempotent_message(c, *key))
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
            found = await self.journal.read(lambda c: queries.message(c, in_reply_to))
            if found is None or found[0].channel is not channel or not self.can_see(found[0], sender):
                raise _unprocessable(
                    "in_reply_to",
                    "must be a message of this channel the sender sent or received",
                    f"in_reply_to: no {channel.value} message {in_reply_to!r} visible to {sender}",
                )
            parent_case = found[0].case_id
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
            known = await self.journal.read(lambda c: queries.case_part(c, channel.value, case_id, sender))
            unknown = _unprocessable(
                "case_id",
                "must be a case id the network assigned, in which the sender sent or received a message",
                f"case_id: no {channel.value} case {case_id!r} of {sender}; omit it to open a new case",
            )
            if known is None:
                raise unknown
            if not known:
                await self.refuse(sender, "send", f"join {channel.value} case {case_id}, in which it has no part",
                                  answer=unknown)
        return case_id

    # Long: the send fast path: one transaction from the accepted request to the
    # journalled envelope and its deliveries; benchmarks/channel_throughput.py measures it as one.
    async def _accept(self, send: SendRequest, recipients: list[str], directive: dict[str, Any] | None,
                      body_hash: str) -> Envelope:
        channel, sender, to, cc, payload = send.channel, send.sender, send.to, send.cc, send.payload
        case_id, in_reply_to, key = send.case_id, send.in_reply_to, send.idempotency_key
        if case_id is not None or in_reply_to is not None:
            case_id = await self._resolve_thread(channel, sender, case_id, in_reply_to)
        # From here to the journal's queue there is no await: numbers are taken in commit order.
        now = self.clock.now()
        name = channel.value
        numbered = case_id is None
        if case_id is None:
            prefix = CHANNELS[channel].case_prefix
            self._case_numbers[prefix] = case_number = self._case_numbers.get(prefix, 0) + 1
            case_id = f"{prefix}-{case_number:09d}"
        self._message_numbers[name] = number = self._message_numbers.get(name, 0) + 1
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
            self._message_numbers[name] = number - 1
            if numbered:
                self._case_numbers[CHANNELS[channel].case_prefix] -= 1
            raise _unjournalable(payload, directive) from None
        record["channel"], record["created_at"] = channel, now
        listed = []
        delivery_rows = Rows()
        segment = self.journal.segment
        push = False
        for party in recipients:
            self._cursor += 1
            cursor = self._cursor
            delivery_id = f"DLV-{cursor:012d}"
            pushed = (party, name) in self.webhooks
            push = push or pushed
            listed.append(wire.ACCEPTED_DELIVERY.render(cursor=cursor, delivery_id=f'"{delivery_id}"',
                                                        party=json_string(party)))
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
        entry = CanonicalText(wire.ACCEPTED_ENTRY.render(deliveries=",".join(listed), envelope=text))
        # A new message, its new deliveries (and key): rows no other write of the batch touches.
        await self.journal.append("message.accepted", entry, at=now, statements=statements, new_rows_only=True)
        if push:
            self.pusher.kick()
        return Envelope.stored(record, text)

    # -- reading ----------------------------------------------------------------------------------

    @staticmethod
    def can_see(envelope: Envelope, party: str) -> bool:
        return party == envelope.sender or party in envelope.to or party in envelope.cc

    async def message(self, message_id: str) -> MessageView | None:
        def work(conn: Any) -> MessageView | None:
            found = queries.message(conn, message_id)
            return queries.message_views(conn, [found[0]])[0] if found else None

        return await self.journal.read(work)

    async def case_messages(self, channel: ChannelName, case_id: str) -> list[MessageView]:
        segment = self.journal.segment
        return await self.journal.read(
            lambda c: queries.message_views(c, queries.case_messages(c, channel.value, case_id, segment))
        )

    async def traffic(self, query: queries.TrafficFilter) -> list[MessageView]:
        return await self.journal.read(lambda c: queries.message_views(c, queries.traffic(c, query)))

    async def mailbox(
        self, channel: ChannelName, party: str, *, after: int = 0, limit: int = 100
    ) -> MailboxPage:
        """The pending deliveries of `party` after cursor `after` (faults applied), as a model."""
        return MailboxPage.model_validate_json(await self.mailbox_json(channel, party, after=after, limit=limit))

    async def mailbox_json(self, channel: ChannelName, party: str, *, after: int = 0, limit: int = 100) -> bytes:
        """`mailbox` as the JSON text of a `MailboxPage`, each message in the text it was journaled with.

        The stored envelope is the very text the send was answered with, so it goes out as it is, as
        on a push: no parsing and re-serialising of every message on every pull.
        """
        segment = self.journal.segment
        if not self.faults.any:  # nothing to reorder or repeat: the page as SQLite assembles it
            # Run by the journal's writer process: a page is the largest read there is.
            page = queries.mailbox_page_answer(
                await self.journal.read_row(*queries.mailbox_page_query(party, channel.value, segment, after, limit)),
                after)
            if page is not None:
                return wire.MAILBOX_PAGE.render(deliveries=page[0], next_cursor=page[1]).encode()
        rows = await self.journal.read(
            lambda c: queries.mailbox_texts(c, party, channel.value, segment, after, limit)
        )
        deliveries = [
            wire.MAILBOX_DELIVERY.render(delivery_id=json_string(delivery_id), cursor=cursor,
                                         delivered_at=f'"{db_to_iso(delivered_at)}"', message=envelope)
            for cursor, delivery_id, delivered_at, envelope in rows
        ]
        next_cursor = rows[-1][0] if rows else after
        reorder = self.faults.reorder(channel, party)
        if reorder is not None:
            window = reorder.window
            deliveries = [
                d
                for start in range(0, len(deliveries), window)
                for d in reversed(deliveries[start : start + window])
            ]
        copies = self.faults.copies(channel, party)
        if copies > 1:
            deliveries = [d for d in deliveries for _ in range(copies)]
        return wire.MAILBOX_PAGE.render(deliveries=",".join(deliveries), next_cursor=next_cursor).encode()

    async def ack(self, channel: ChannelName, party: str, delivery_id: str, status: AckStatus,
                  *, via: str = "pull") -> Ack:
        """Acknowledge one delivery of `party` (DELIVERED, or READ as a read receipt); never downgrades."""
        return (await self.ack_many(channel, party, [delivery_id], status, via=via))[0]

    async def ack_many(self, channel: ChannelName, party: str, delivery_ids: Sequence[str], status: AckStatus,
                       *, via: str = "pull") -> list[Ack]:
        """Acknowledge several deliveries at once: all of them, or (404/403) none."""
        return [queries.ack_of(row) for row in await self._acknowledge(channel, party, delivery_ids, status, via)]

    async def ack_many_json(self, channel: ChannelName, party: str, delivery_ids: Sequence[str],
                            status: AckStatus, *, via: str = "pull") -> bytes:
        """`ack_many`, answered as the JSON text of a `BatchAck`."""
        if status is AckStatus.DELIVERED:  # (at most 1000 ids: BatchAckRequest)
            async with self._ack_lock(channel, party):
                answer = await self._acknowledge_pending(channel, party, delivery_ids, via)
            if answer is not None:
                return answer
        rows = await self._acknowledge(channel, party, delivery_ids, status, via)
        return wire.BATCH_ACK.render(acks=",".join(map(queries.ack_json, rows))).encode()

    async def _acknowledge_pending(self, channel: ChannelName, party: str, delivery_ids: Sequence[str],
                                   via: str) -> bytes | None:
        """The usual batch: deliveries of `party`, all pending, in cursor order. None for any other."""
        wanted: list[int] = []
        for delivery_id in delivery_ids:  # in ascending order, each once, in the network's spelling
            # "DLV-" and 12 ASCII digits is exactly f"DLV-{cursor:012d}" (cursors below 10**12; the
            # rest go the general way), checked without formatting every id back.
            digits = delivery_id[4:]
            if len(delivery_id) != 16 or not delivery_id.startswith("DLV-") or not digits.isascii() \
                    or not digits.isdigit():
                return None
            cursor = int(digits)
            if wanted and cursor <= wanted[-1]:
                return None
            wanted.append(cursor)
        if not wanted:
            return None
        now = self.clock.now()
        stamp = db_time(now)
        found = queries.pending_acks_answer(
            await self.journal.read_row(*queries.pending_acks_query(party, channel.value, wanted, stamp)), wanted)
        if found is None:
            return None
        entry_items, answer_items = found
        await self.journal.append(  # (the items come comma-joined already: one text among the acks)
            ACKED, acked_entry(party, via, [entry_items]),
            at=now, statements=[(wire.ACK_DELIVERIES, Rows([(c, wire.DELIVERED, stamp, None) for c in wanted]))])
        return wire.BATCH_ACK.render(acks=answer_items).encode()

    async def _acknowledge(self, channel: ChannelName, party: str, delivery_ids: Sequence[str],
                           status: AckStatus, via: str) -> list[queries.DeliveryRow]:
        async with self._ack_lock(channel, party):
            return await self._acknowledge_alone(channel, party, delivery_ids, status, via)

    def _ack_lock(self, channel: ChannelName, party: str) -> asyncio.Lock:
        lock = self._ack_locks.get((channel.value, party))
        if lock is None:  # one per party and channel of the network: a bounded set
            lock = self._ack_locks[(channel.value, party)] = asyncio.Lock()
        return lock

    async def _acknowledge_alone(self, channel: ChannelName, party: str, delivery_ids: Sequence[str],
                                 status: AckStatus, via: str) -> list[queries.DeliveryRow]:
        delivery_ids = list(dict.fromkeys(delivery_ids))
        found = await self.journal.read(lambda c: queries.deliveries(c, delivery_ids))
        rows: list[queries.DeliveryRow] = []
        for delivery_id, row in zip(delivery_ids, found, strict=True):
            if row is None or row.channel != channel.value:
                raise ProblemError(404, "Not found", f"no {channel.value} delivery {delivery_id!r}", slug="not-found")
            if row.party != party:  # answered as an unknown id: ids are counters, a 403 would tell they exist
                await self.refuse(party, "ack", f"acknowledge delivery {delivery_id} addressed to another party",
                                  answer=ProblemError(404, "Not found", f"no {channel.value} delivery {delivery_id!r}",
                                                      slug="not-found"))
            rows.append(row)
        now = self.clock.now()
        stamp = db_time(now)
        acks: list[str] = []
        updates = Rows()
        for index, row in enumerate(rows):
            new_status = row.status
            if status is AckStatus.READ:
                new_status = DeliveryStatus.READ
            elif row.status is DeliveryStatus.PENDING:
                new_status = DeliveryStatus.DELIVERED
            if new_status is row.status:
                continue
            acked_at = row.acked_at or stamp
            read_at = (row.read_at or stamp) if new_status is DeliveryStatus.READ else row.read_at
            acks.append(ack_text(row.delivery_id, row.message_id, new_status))
            updates.append((row.cursor, new_status.value, acked_at, read_at))
            rows[index] = row._replace(status=new_status, acked_at=acked_at, read_at=read_at, next_attempt_at=None)
        if acks:  # one journal entry for the acknowledgements of one request
            await self.journal.append(ACKED, acked_entry(party, via, acks), at=now,
                                      statements=[(wire.ACK_DELIVERIES, updates)])
        return rows

    # -- access refusals --------------------------------------------------------------------------

    async def refuse(self, party: str | None, action: str, detail: str, *,
                     answer: ProblemError | None = None) -> None:
        """Journal a refused access attempt and raise the 403 problem for it (always raises).

        `answer`: the problem to raise instead of 403, where a 403 would tell the caller that what it
        named exists (another party's message, case or delivery answers as one that does not exist).
        Beyond the caller's budget of journaled refusals (`RefusalBudget`), the burst is journaled
        once and further refusals are answered 429 (or `answer`) without a journal entry.
        """
        who = party or "(control)"
        verdict = self.refusals.judge(who)
        if verdict is not RefusalDecision.QUIET:
            now = self.clock.now()
            if verdict is RefusalDecision.BURST:
                detail = (f"{detail} [refusal burst: more than {self.refusals.limit} refusals within "
                          f"{self.refusals.window_seconds:g} s; further ones are answered 429 and not journaled]")
            entry = {"party": party, "action": action, "detail": detail}
            await self.journal.append(
                "access.refused",
                entry,
                at=now,
                statements=[(
                    "INSERT INTO audit(journal_seq, at, party, action, detail) VALUES (?,?,?,?,?)",
                    (ENTRY_SEQ, db_time(now), party, action, detail),
                )],
            )
        if answer is not None:
            raise answer
        if verdict is RefusalDecision.QUIET:
            raise ProblemError(
                429, "Too many refused requests",
                f"{who} was refused more than {self.refusals.limit} times within {self.refusals.window_seconds:g} s; "
                "the burst is logged once",
                slug="too-many-refusals", headers={"Retry-After": str(self.refusals.retry_after(who))})
        raise ProblemError(
            403,
            "Forbidden",
            f"{party or 'the caller'} may not {detail}; the attempt is logged",
            slug="forbidden",
        )

    # -- timers -----------------------------------------------------------------------------------

    def schedule_at(self, moment: datetime, name: str, factory: CoroutineFactory) -> None:
        """Run `factory()` when the network time reaches `moment` (in memory; see schedule_durable)."""
        self.scheduler.schedule_at(moment, name, factory)

    def register_timer(self, kind: str, handler: TimerHandler) -> None:
        """Handler for durable timers of `kind`; register in `setup`, before the network starts."""
        self.durable_timers.register(kind, handler)

    async def schedule_durable(self, moment: datetime, kind: str, key: str, params: dict[str, Any]) -> None:
        """Persist a timer; `handler(params)` of `kind` runs at `moment`, also after a restart."""
        await self.durable_timers.schedule(moment, kind, key, params)

    # -- reset ------------------------------------------------------------------------------------

    def on_reset(self, callback: Callable[[], Awaitable[None]]) -> None:
        """`callback()` runs after a control reset, to drop a channel's in-memory state."""
        self.reset_callbacks.append(callback)


NETWORK = web.AppKey("network", Network)
