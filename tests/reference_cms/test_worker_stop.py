"""A stopping CMS finishes the step under way: an action is never cut off between its send and its record.

Cut off there, the channel would hold a message the CMS has no record of, and the CMS, started again, would run
the action again and send it a second time under a new Idempotency-Key: two answers to one request (found by
`spoc-harness load --sut eu --chaos`, which restarts the CMS processes under load).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from simulators.reference_cms.context import Context
from simulators.reference_cms.scheduler import Worker
from simulators.reference_cms.store import InboxItem, PlannedAction, Store

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW

    async def wait_for_change(self, until: datetime | None) -> None:
        await asyncio.sleep(0.01)


async def test_stop_waits_for_the_action_under_way_and_it_is_done(tmp_path: Path) -> None:
    store = Store(tmp_path / "cms.sqlite3")
    action_id = store.plan(None, "ANSWER", NOW - timedelta(minutes=1))
    clock = _Clock()
    ctx = cast(Context, SimpleNamespace(store=store, clock=clock, lock=asyncio.Lock(), now=clock.now))
    sending = asyncio.Event()
    sent: list[int] = []

    async def run_action(action: PlannedAction) -> None:
        sending.set()
        await asyncio.sleep(0.2)  # the channel's answer to the send is on its way
        sent.append(action.action_id)

    async def process(item: InboxItem) -> None:
        raise AssertionError("no message waits")

    worker = Worker(ctx, process, run_action)
    worker.start()
    await asyncio.wait_for(sending.wait(), 5)
    await worker.stop()
    assert sent == [action_id]
    assert store.next_action() is None  # done, so a restarted CMS does not run (and send) it again
    store.close()
