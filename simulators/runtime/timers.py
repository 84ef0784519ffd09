"""Timers that follow the network clock.

`Scheduler.schedule_at(moment, name, factory)` runs `factory()` once the network time reaches
`moment` (a virtual-clock advance past it fires it at once). Names are unique: scheduling a name
again replaces the earlier timer. These timers live in memory.

Durable timers (`Network.schedule_durable`) are rows in the journal's `timers` table with a *kind*
and JSON params; a channel registers one handler per kind at setup, and on start every unfired timer
is armed again, so a restart does not lose, say, the end of a 24-hour review. Delivery is
at-least-once: a timer whose handler ran but whose `fired_at` was not yet written fires again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from simulators.runtime.clock import Clock
from simulators.runtime.store import Journal, db_time, parse_db_time

__all__ = ["CoroutineFactory", "DurableTimers", "Scheduler", "TimerHandler"]

CoroutineFactory = Callable[[], Awaitable[None]]
TimerHandler = Callable[[dict[str, Any]], Awaitable[None]]
_log = logging.getLogger("simulators.timers")


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    def schedule_at(self, moment: datetime, name: str, factory: CoroutineFactory) -> None:
        if self._closed:
            raise RuntimeError("the scheduler is closed")
        self.cancel(name)
        self._tasks[name] = asyncio.get_running_loop().create_task(
            self._run(moment, name, factory), name=f"timer:{name}"
        )

    def cancel(self, name: str) -> bool:
        task = self._tasks.pop(name, None)
        if task is None:
            return False
        if task is not asyncio.current_task():
            task.cancel()
        return True

    def pending(self) -> list[str]:
        return sorted(self._tasks)

    async def _run(self, moment: datetime, name: str, factory: CoroutineFactory) -> None:
        try:
            await self.clock.sleep_until(moment)
            # Fired: forget the task before running, so the factory may schedule the same name again.
            if self._tasks.get(name) is asyncio.current_task():
                del self._tasks[name]
            await factory()
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("timer %s failed", name)

    async def cancel_all(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        self._closed = True
        await self.cancel_all()


class DurableTimers:
    """Timers kept in the journal's `timers` table and armed again on start."""

    def __init__(self, journal: Journal, scheduler: Scheduler) -> None:
        self.journal = journal
        self.scheduler = scheduler
        self._handlers: dict[str, TimerHandler] = {}

    def register(self, kind: str, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    async def schedule(self, moment: datetime, kind: str, key: str, params: dict[str, Any]) -> None:
        if kind not in self._handlers:
            raise ValueError(f"no handler registered for timer kind {kind!r}")
        sql = "INSERT OR REPLACE INTO timers(key, kind, due_at, params, fired_at) VALUES (?,?,?,?,NULL)"
        await self.journal.append(
            None,
            None,
            at=self.scheduler.clock.now(),
            statements=[(sql, (key, kind, db_time(moment), json.dumps(params)))],
        )
        self._arm(key, kind, moment, params)

    def _arm(self, key: str, kind: str, moment: datetime, params: dict[str, Any]) -> None:
        handler = self._handlers[kind]

        async def fire() -> None:
            await handler(params)
            now = self.scheduler.clock.now()
            await self.journal.append(
                None,
                None,
                at=now,
                statements=[("UPDATE timers SET fired_at=? WHERE key=?", (db_time(now), key))],
            )

        self.scheduler.schedule_at(moment, f"durable:{key}", fire)

    async def arm_pending(self) -> None:
        pending = await self.journal.read(
            lambda c: c.execute(
                "SELECT key, kind, due_at, params FROM timers WHERE fired_at IS NULL"
            ).fetchall()
        )
        for key, kind, due_at, params in pending:
            if kind in self._handlers:
                self._arm(key, kind, parse_db_time(due_at), json.loads(params))
            else:
                _log.warning("durable timer %s of unknown kind %s left unarmed", key, kind)
