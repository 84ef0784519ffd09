"""Reading mailboxes: a party's pending deliveries on a channel, a page at a time, faults applied.

Without faults, a page is assembled by SQLite in one step from the stored envelope texts
(`queries.mailbox_page_query`); a reorder or duplicate fault takes the general way. The texts are the
fenced wire shapes (`simulators.runtime.wire`).
"""

from __future__ import annotations

from simulators.model.channels import ChannelName
from simulators.model.envelope import MailboxPage
from simulators.runtime import queries, wire
from simulators.runtime.faults import FaultSet
from simulators.runtime.store import Journal, db_to_iso, json_string

__all__ = ["MailboxPages"]


class MailboxPages:
    def __init__(self, journal: Journal, faults: FaultSet) -> None:
        self.journal = journal
        self.faults = faults

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

