"""Push delivery to registered webhooks: at-least-once, ordered per recipient, following the network clock.

The schedule lives in the journal (`deliveries.next_attempt_at`), not in memory, so pending pushes
resume after a restart by construction. One loop takes the due pushes, groups them per (party,
channel) and pushes each group in cursor order, one at a time (a CMS sees its messages in the order
the network accepted them, unless a `reorder` fault says otherwise). A 2xx answer acknowledges the
delivery; anything else (an error status, a redirect, which is never followed, a refused connection,
no answer within the timeout) is a failed attempt, retried after `BACKOFF_BASE * 2**(attempts-1)`
seconds of *network* time, capped at `BACKOFF_CAP`: deterministic, without jitter, so a virtual-clock
run replays exactly. The delivery id is the same on every attempt (body `delivery_id` and header `X-Delivery-Id`).
Every push also carries `X-Network-Time`, the network time it leaves at, as every answer of the server does: a
recipient following the network clock takes its receipt time from it instead of asking the clock per push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

import aiohttp
from yarl import URL

from simulators.model.directive import ChannelName
from simulators.model.envelope import DeliveryStatus
from simulators.runtime import queries, wire
from simulators.runtime.clock import Clock
from simulators.runtime.faults import FaultSet
from simulators.runtime.store import Journal, Rows, Statement, db_time, json_string, parse_db_time
from simulators.runtime.wire import ACKED, ack_text, acked_entry

# As on every answer of the server (simulators/runtime/http.py, which imports the network and so this module).
NETWORK_TIME_HEADER = "X-Network-Time"

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "PUSH_TIMEOUT", "PushSource", "Pusher", "backoff_seconds"]

BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0
PUSH_TIMEOUT = 10.0
_BATCH = 256
_log = logging.getLogger("simulators.delivery")


def backoff_seconds(attempts: int) -> float:
    """Network-time delay before the next attempt, after `attempts` failed ones (1, 2, 4, ... 300)."""
    return float(min(BACKOFF_BASE * 2.0 ** max(attempts - 1, 0), BACKOFF_CAP))


class PushSource(Protocol):
    """What the pusher needs of the channel network: its clock, journal, faults and registered webhooks.

    Narrow on purpose: the pusher reads and journals deliveries; it never accepts or acknowledges messages
    the way the network's HTTP handlers do.
    """

    @property
    def clock(self) -> Clock: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def faults(self) -> FaultSet: ...

    @property
    def webhooks(self) -> Mapping[tuple[str, str], str]: ...


# The recipient may have acknowledged it by pull meanwhile: never back to DELIVERED.
_ACK_PUSHED = ("UPDATE deliveries SET status=CASE WHEN status='PENDING' THEN ? ELSE status END, "
               "acked_at=COALESCE(acked_at, ?), attempts=attempts+1, next_attempt_at=NULL WHERE cursor=?")
_COUNT_PUSHED = "UPDATE deliveries SET attempts=attempts+1, next_attempt_at=NULL WHERE cursor=?"


class _Records:
    """A group's acknowledged pushes on their way to the journal: at most one write in flight at a time.

    A push acknowledged while the previous write is still in flight waits for the next one, so that
    under load one write records many pushes; `flush` sends whatever waits (before a back-off and at
    the end of the group). `written` holds every write's future, for the group to await.
    """

    __slots__ = ("_pusher", "_waiting", "written")

    def __init__(self, pusher: Pusher) -> None:
        self._pusher = pusher
        self._waiting: list[queries.DeliveryRow] = []
        self.written: list[asyncio.Future[int]] = []

    def add(self, row: queries.DeliveryRow) -> None:
        self._waiting.append(row)
        if not self.written or self.written[-1].done():
            self.flush()

    def flush(self) -> None:
        if self._waiting:
            self.written.append(self._pusher._delivered(self._waiting))
            self._waiting = []


class Pusher:
    def __init__(self, network: PushSource) -> None:
        self.network = network
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy: set[str] = set()  # "party|channel" groups being pushed right now
        self._blocked_until: dict[str, datetime] = {}  # groups backing off after a failure
        self._held_since: dict[str, float] = {}  # reorder fault: real time a group started waiting
        self._workers: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        # Parsed and built once, not per push: each recipient's webhook URL, each timeout in use.
        self._urls: dict[str, URL] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def start(self) -> None:
        # Nothing asks for a compressed answer: the headers aiohttp would add for that are left out. A
        # receiver's cookies are never sent back (a push carries no session), so none are kept or looked up.
        self._session = aiohttp.ClientSession(headers={"User-Agent": "spoc-network-push/1"},
                                              skip_auto_headers=("Accept", "Accept-Encoding"),
                                              cookie_jar=aiohttp.DummyCookieJar())
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pusher")

    def kick(self) -> None:
        """Something changed (new delivery, webhook, fault, clock): look for due pushes again."""
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for worker in list(self._workers):
            worker.cancel()
        for worker in list(self._workers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                wake_at, real_timeout = await self._dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("push dispatch failed; retrying in a second")
                wake_at, real_timeout = None, 1.0
            await self._sleep(wake_at, real_timeout)

    async def _sleep(self, wake_at: datetime | None, real_timeout: float | None) -> None:
        waiters: list[asyncio.Task[object]] = [asyncio.ensure_future(self._wake.wait())]
        if wake_at is not None:
            waiters.append(asyncio.ensure_future(self.network.clock.sleep_until(wake_at)))
        try:
            await asyncio.wait(waiters, timeout=real_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _dispatch(self) -> tuple[datetime | None, float | None]:
        """Start pushing every due group; when to look again (network time) and real-time timeout."""
        now = self.network.clock.now()
        blocked = {g for g, until in self._blocked_until.items() if until > now}
        self._blocked_until = {g: u for g, u in self._blocked_until.items() if g in blocked}
        exclude = sorted(self._busy | blocked)
        stamp = db_time(now)
        due, later = await self.network.journal.read(lambda c: queries.push_schedule(c, stamp, exclude, _BATCH))
        groups: dict[str, list[tuple[queries.DeliveryRow, str]]] = {}
        for row, envelope in due:
            groups.setdefault(f"{row.party}|{row.channel}", []).append((row, envelope))
        real_timeout: float | None = None
        for group, items in groups.items():
            channel, party = ChannelName(items[0][0].channel), items[0][0].party
            reorder = self.network.faults.reorder(channel, party)
            if reorder is not None:
                held = self._held_since.setdefault(group, time.monotonic())
                waited = time.monotonic() - held
                if len(items) < reorder.window and waited < reorder.hold_seconds:
                    remaining = reorder.hold_seconds - waited
                    real_timeout = remaining if real_timeout is None else min(real_timeout, remaining)
                    continue
                self._held_since.pop(group, None)
                items = list(reversed(items))
            self._busy.add(group)
            worker = asyncio.get_running_loop().create_task(self._push_group(group, items))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        if len(due) >= _BATCH:
            return None, 0.0
        candidates = [parse_db_time(later)] if later else []
        candidates += list(self._blocked_until.values())
        wake_at = min(candidates) if candidates else None
        if any(self.network.faults.outage(ChannelName(g.split("|")[1]), g.split("|")[0]) for g in groups):
            real_timeout = 0.5 if real_timeout is None else min(real_timeout, 0.5)
        return wake_at, real_timeout

    async def _push_group(self, group: str, items: list[tuple[queries.DeliveryRow, str]]) -> None:
        # Pushes go one after the other; recording the acknowledgements does not hold up the next push.
        # While one record is being written, the pushes acknowledged meanwhile gather and go to the journal
        # together in the next (group commit): one entry and one statement for several pushes, each still
        # durable before it counts as delivered. The records are awaited together before the group is released.
        records = _Records(self)
        try:
            for index, (row, envelope) in enumerate(items):
                error = await self._attempt(row, envelope, records)
                if error is not None:
                    records.flush()
                    await self._back_off(group, row, error, [r for r, _ in items[index + 1 :]])
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("push to %s failed unexpectedly", group)
        finally:
            records.flush()
            outcomes = await asyncio.gather(*records.written, return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, Exception):
                    _log.error("recording a push acknowledgement failed: %s", outcome)
            self._busy.discard(group)
            self.kick()

    async def _attempt(self, row: queries.DeliveryRow, envelope_json: str, records: _Records) -> str | None:
        """Push once (or `copies` times); None when acknowledged, else why it failed."""
        network = self.network
        channel = ChannelName(row.channel)
        url = network.webhooks.get((row.party, row.channel))
        if url is None or row.segment != network.journal.segment:
            await network.journal.append(
                None,
                None,
                at=network.clock.now(),
                statements=[("UPDATE deliveries SET next_attempt_at=NULL WHERE cursor=?", (row.cursor,))],
            )
            return None
        if network.faults.outage(channel, row.party) is not None:
            return "channel outage (injected fault)"
        assert self._session is not None
        # The stored envelope text goes out as it is: no re-serialisation per attempt.
        body = wire.PUSH.render(delivery_id=json_string(row.delivery_id), channel=json_string(row.channel),
                                message=envelope_json).encode()
        seconds = network.faults.push_timeout(channel, row.party, PUSH_TIMEOUT)
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        target = self._urls.get(url)
        if target is None:
            target = self._urls[url] = URL(url)
        ok = False
        error = ""
        for _copy in range(network.faults.copies(channel, row.party)):
            try:
                # Never follow a redirect: its target is a host `PUT .../webhook` did not check (and
                # may refuse); a redirect is a failed delivery, as any other status outside 2xx.
                async with self._session.post(
                    target,
                    data=body,
                    allow_redirects=False,
                    timeout=timeout,
                    headers={"Content-Type": "application/json", "X-Delivery-Id": row.delivery_id,
                             NETWORK_TIME_HEADER: network.clock.now_text()},
                ) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        ok = True
                    else:
                        error = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
        if ok:
            records.add(row)
            return None
        _log.info("push of %s to %s failed: %s", row.delivery_id, row.party, error)
        return error or "no answer"

    def _delivered(self, rows: list[queries.DeliveryRow]) -> asyncio.Future[int]:
        """Record acknowledged pushes in one journal write: its future (a plain function: no task per push).

        One `delivery.acked` entry for the rows still PENDING when they were read (a row acknowledged
        by pull meanwhile is never set back to DELIVERED), and one statement run for every row.
        """
        network = self.network
        now = network.clock.now()
        stamp = db_time(now)
        pending = [row for row in rows if row.status is DeliveryStatus.PENDING]
        settled = [row for row in rows if row.status is not DeliveryStatus.PENDING]
        statements: list[Statement] = []
        if pending:
            delivered = DeliveryStatus.DELIVERED.value
            statements.append((_ACK_PUSHED, Rows([(delivered, stamp, row.cursor) for row in pending])))
        if settled:
            statements.append((_COUNT_PUSHED, Rows([(row.cursor,) for row in settled])))
        if not pending:
            return network.journal.append(None, None, at=now, statements=statements)
        # The entry's acknowledgements are one recipient's (a group is one party and channel).
        acks = [ack_text(row.delivery_id, row.message_id, DeliveryStatus.DELIVERED) for row in pending]
        return network.journal.append(ACKED, acked_entry(pending[0].party, "push", acks), at=now,
                                      statements=statements)

    async def _back_off(
        self, group: str, failed: queries.DeliveryRow, error: str, rest: list[queries.DeliveryRow]
    ) -> None:
        network = self.network
        now = network.clock.now()
        attempts = failed.attempts + 1
        retry_at = now + timedelta(seconds=backoff_seconds(attempts))
        stamp = db_time(retry_at)
        statements: list[Statement] = [
            (
                "UPDATE deliveries SET attempts=?, next_attempt_at=?, last_error=? WHERE cursor=?",
                (attempts, stamp, error, failed.cursor),
            )
        ]
        # Later deliveries of the same recipient wait behind the failed one, keeping the order.
        statements += [
            (
                "UPDATE deliveries SET next_attempt_at=? WHERE cursor=? AND next_attempt_at IS NOT NULL",
                (stamp, r.cursor),
            )
            for r in rest
        ]
        await network.journal.append(
            "delivery.push_failed",
            {
                "delivery_id": failed.delivery_id,
                "party": failed.party,
                "attempt": attempts,
                "error": error,
                "retry_at": stamp,
            },
            at=now,
            statements=statements,
        )
        self._blocked_until[group] = retry_at
