"""Acknowledging deliveries: a recipient's DELIVERED (or READ) for deliveries of its own, never downgraded.

`Acknowledging` answers the pull side's acknowledgements (one, or a batch of up to 1000): it checks
that each delivery is the caller's on the channel (another party's answers as unknown, and the
attempt is journaled), then journals one `delivery.acked` entry per request with the rows it
changes. The usual batch (all pending, in cursor order) is checked and answered by SQLite in one
step (`queries.pending_acks_query`). The texts are the fenced wire shapes (`simulators.runtime.wire`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from simulators.model.channels import ChannelName
from simulators.model.envelope import Ack, AckStatus, DeliveryStatus
from simulators.runtime import queries, wire
from simulators.runtime.accepting import Refuse
from simulators.runtime.clock import Clock
from simulators.runtime.problems import ProblemError
from simulators.runtime.store import Journal, Rows, db_time
from simulators.runtime.wire import ACKED, ack_text, acked_entry

__all__ = ["Acknowledging"]


class Acknowledging:
    def __init__(self, journal: Journal, clock: Clock, refuse: Refuse) -> None:
        self.journal = journal
        self.clock = clock
        self._refuse = refuse
        # One acknowledging request per (channel, party) at a time: each reads the rows, then writes
        # what follows from them; two at once would both read the old state, and the second write
        # would undo the first (a read receipt turned back into a mere delivery).
        self._ack_locks: dict[tuple[str, str], asyncio.Lock] = {}

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
                await self._refuse(party, "ack", f"acknowledge delivery {delivery_id} addressed to another party",
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

