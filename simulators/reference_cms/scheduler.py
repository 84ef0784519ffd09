"""The CMS's one worker: received messages first, then planned actions once network time reaches them.

A planned action (an answer after the processing time, a delay-notice update, a follow-up, a
retention review) fires when the CMS's clock reaches its time; following the network clock, that is
when the harness moves network time there, however few real seconds pass. The agenda tells a
harness in virtual time where the next planned action is, so it can step the clock to it, and,
asked with `wait`, answers once the CMS is quiescent at the current network time (`wait_until_idle`):
nothing due at or before it, every received message processed, no erasure's scrub of freed pages left,
no step of the case engine under way. That is what lets a harness step the clock on a signal instead of
guessing from a quiet period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from simulators.model.sut_interface import Agenda
from simulators.reference_cms.context import Context
from simulators.reference_cms.store import InboxItem, PlannedAction, unstamp

__all__ = ["Worker", "agenda", "is_idle", "wait_until_idle"]

_log = logging.getLogger("reference_cms.scheduler")


def agenda(ctx: Context) -> Agenda:
    waiting, first_received = ctx.store.unprocessed_inbox()
    count, first = ctx.store.planned(50)
    moments = [m for m in (first_received, unstamp(first[0][0]) if first else None) if m is not None]
    return Agenda(
        next_action_at=min(moments) if moments else None,
        pending=waiting + count,
        actions=[{"at": at, "kind": kind, "case_id": case_id} for at, kind, case_id in first],
    )


def is_idle(ctx: Context) -> bool:
    """Nothing to do at the CMS's current time: no message unprocessed, no action due, no engine step under way."""
    if ctx.lock.locked() or ctx.store.scrub_pending:
        return False
    waiting, _ = ctx.store.unprocessed_inbox()
    if waiting:
        return False
    action = ctx.store.next_action()
    return action is None or action.due_at > ctx.now()


async def wait_until_idle(ctx: Context, worker: Worker, seconds: float) -> bool:
    """Wait at most `seconds` real seconds for `is_idle`; whether it was reached."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not is_idle(ctx):
        left = deadline - loop.time()
        if left <= 0:
            return False
        # Woken by every step of the worker; the short bound covers work started by a request handler.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker.stepped.wait(), min(left, 0.01))
    return True


class Worker:
    def __init__(
        self,
        ctx: Context,
        process: Callable[[InboxItem], Awaitable[None]],
        run_action: Callable[[PlannedAction], Awaitable[None]],
    ) -> None:
        self.ctx = ctx
        self._process = process
        self._run_action = run_action
        self._task: asyncio.Task[None] | None = None
        self.stepped = asyncio.Event()  # replaced after every step: wakes whoever waits for quiescence

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cms-worker")

    async def stop(self) -> None:
        """Stop between two steps, never inside one.

        A step cancelled in the middle would leave an action whose message the channel has accepted, but that
        is neither recorded nor done here: started again, the CMS would send it a second time, under a new
        Idempotency-Key (a requester got two answers to one request when `load --chaos` restarted the CMS).
        Every step runs under the case engine's lock, so holding it, the worker waits outside any step."""
        task, self._task = self._task, None
        if task is not None:
            async with self.ctx.lock:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                next_due = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("worker step failed; continuing")
                next_due = None
                await asyncio.sleep(0.05)
                continue
            finally:
                self._stepped()
            if next_due is not False:
                await self.ctx.clock.wait_for_change(next_due if isinstance(next_due, datetime) else None)

    def _stepped(self) -> None:
        self.stepped.set()
        self.stepped = asyncio.Event()

    async def _step(self) -> datetime | bool | None:
        """Do one thing if there is something to do now (False); else when to look again."""
        ctx = self.ctx
        item = ctx.store.next_inbox()
        if item is not None:
            async with ctx.lock:
                with ctx.store.batch(step=f"inbox:{item.row_id}"):
                    try:
                        await self._process(item)
                    except Exception:
                        _log.exception("message %s could not be processed; kept as processed to move on",
                                       item.envelope.get("message_id"))
                    ctx.store.mark_processed(item.row_id)
            return False
        action = ctx.store.next_action()
        if (action is None or action.due_at > ctx.now()) and ctx.store.scrub_pending:
            async with ctx.lock:  # the erasures of the actions just done: their freed pages, in one pass
                ctx.store.scrub_free_pages()
            return False
        if action is None:
            return None
        if action.due_at > ctx.now():
            return action.due_at
        async with ctx.lock:
            current = ctx.store.next_action()
            if current is None or current.action_id != action.action_id:
                return False
            status = "DONE"
            with ctx.store.batch(step=f"action:{action.action_id}"):
                try:
                    await self._run_action(action)
                except Exception:
                    _log.exception("action %s %s of case %s failed", action.action_id, action.kind, action.case_id)
                    status = "FAILED"
                ctx.store.finish_action(action.action_id, ctx.now(), status)
        return False
