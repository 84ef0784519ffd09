"""Running many scenarios on one timeline: a small discrete-event scheduler over asyncio.

Each scenario is a coroutine that only ever waits on the timeline (`at`, `wait_for`) or on HTTP
calls. The engine lets every scenario run until all of them wait on the timeline, settles the SUT,
hands the new journal messages to the scenarios waiting for them (which may act again at the same
network time), and only when nobody can act at the current time moves the clock to the next
boundary (see conformance.campaign.timeline for why the boundaries are what they are).
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conformance.campaign.timeline import Timeline
from conformance.ledger import Exchange, Observed
from conformance.settings import CampaignSettings
from simulators.model.deadlines import DeadlineMode, compute_deadline
from simulators.model.directive import Availability

__all__ = ["Engine", "Match", "deadline_marks"]

Match = Callable[[Observed], bool]


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[Observed | None]
    wake_at: datetime | None
    match: Match | None = None
    coarse: bool = False


@dataclass
class _Watch:
    exchange: Exchange
    party: str
    marked: set[datetime] = field(default_factory=set)
    # What the marks were computed from: they change only when the receipt or a clarification does, and
    # computing them (six deadlines) on every dispatch was the engine's largest cost.
    basis: tuple[object, ...] | None = None


def deadline_marks(exchange: Exchange, received_at: datetime, settings: CampaignSettings) -> list[datetime]:
    """Every Art 5(1) due time an exchange may be judged against, in both readings (boundaries)."""
    suspensions = []
    asked, answered = exchange.event("clarification_requested"), exchange.event("clarification_received")
    if asked is not None:
        suspensions.append((asked.at, answered.at if answered else asked.at + timedelta(days=365)))
    urgent = bool(exchange.urgent)
    availabilities = (Availability.DIRECT, Availability.INDIRECT) if urgent else (Availability.INDIRECT,)
    marks = []
    for availability in availabilities:
        for mode in DeadlineMode:
            due = compute_deadline(received_at, urgent=urgent, availability=availability, mode=mode,
                                   timezone=settings.timezone, suspensions=suspensions)
            marks.append(due.due_utc)
    marks.append(received_at + settings.immediately)
    return marks


def _marks_basis(exchange: Exchange, received_at: datetime) -> tuple[object, ...]:
    """Everything `deadline_marks` reads of an exchange (with the settings, fixed for a run)."""
    asked, answered = exchange.event("clarification_requested"), exchange.event("clarification_received")
    return (received_at, bool(exchange.urgent), asked.at if asked else None, answered.at if answered else None)


class Engine:
    def __init__(self, timeline: Timeline, settings: CampaignSettings, *, progress: Callable[[str], None]) -> None:
        self.timeline = timeline
        self.settings = settings
        self._progress = progress
        self._waiters: list[_Waiter] = []
        self._running = 0
        self._idle = asyncio.Event()
        self._acted = False
        self._watches: list[_Watch] = []
        self.failures: dict[str, str] = {}
        self.done: list[str] = []
        self.total = 0

    # -- what scenarios call ------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.timeline.now

    def mark(self, moment: datetime) -> None:
        self.timeline.mark(moment)

    def mark_judged(self, moment: datetime) -> None:
        self.timeline.mark_judged(moment)

    def watch_deadlines(self, exchange: Exchange, party: str) -> None:
        """Keep the exchange's deadlines (which move with clarifications) among the boundaries."""
        self._watches.append(_Watch(exchange, party))
        self._refresh_watches()

    async def at(self, moment: datetime, *, coarse: bool = False) -> None:
        if not self.timeline.virtual:
            return  # real time mode: scheduled actions happen as soon as possible
        if moment <= self.now:
            return
        self.mark(moment)
        await self._block(_Waiter(self._future(), moment, coarse=coarse))

    async def wait_for(self, match: Match, *, until: datetime, coarse: bool = False) -> Observed | None:
        """The first journal message matching, or None once the network time reaches `until`."""
        for message in self.timeline.ledger.messages():
            if match(message):
                return message
        if not self.timeline.virtual:
            until = min(until, self._real_time_end())
        if until <= self.now:
            return None
        self.mark(until)
        return await self._block(_Waiter(self._future(), until, match, coarse))

    # -- the loop -----------------------------------------------------------------------------

    async def run(self, scenarios: Iterable[tuple[str, Callable[[], Awaitable[None]]]]) -> None:
        tasks = []
        for name, body in scenarios:
            self._running += 1
            tasks.append(asyncio.create_task(self._guard(name, body), name=name))
        self.total = len(tasks)
        if not tasks:
            return
        try:
            await self._loop()
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        timeline = self.timeline
        while True:
            await self._idle.wait()
            if self._acted:
                self._acted = False
                if timeline.touched_since_fetch:
                    await timeline.settle(after_actions=True)
                    fresh = await timeline.fetch()
                else:
                    fresh = []  # the woken scenarios only waited again: nothing new at this instant
                if self._dispatch(fresh):
                    continue
            if not self._waiters and (timeline.virtual or timeline.now >= self._real_time_end()):
                return
            if timeline.virtual:
                target = timeline.next_boundary(timeline.now + self._step())
                if timeline.may_defer(target):
                    timeline.defer_to(target)  # moved before the first call a woken scenario makes, if any
                    self._dispatch([])
                    self._progress(self._status())
                    continue
                await timeline.advance_to(target)
                await timeline.settle()
            else:
                await timeline.real_tick(0.5)
            self._dispatch(await timeline.fetch())
            self._progress(self._status())

    def _real_time_end(self) -> datetime:
        """Real time mode: the SUT is watched until --real-wait seconds after the start, even when no scenario
        waits any more (one that only sent something still has its copies and records to be seen)."""
        return self.timeline.started_at + timedelta(seconds=self.settings.real_mode_wait)

    def _step(self) -> timedelta:
        """The longest move allowed now: coarse when only long-horizon waits remain, longer when the SUT's
        agenda names its next action (then the maximum step is only a safety net). When only long-horizon waits
        remain and the agenda names every action of the SUT's (`agenda_steps`), their ends and the agenda's next
        action are the only moments anything happens: the clock goes straight to the first of them."""
        if all(w.coarse for w in self._waiters):
            return timedelta(days=366) if self.timeline.agenda_steps else timedelta(days=30)
        if self.timeline.agenda_trusted:
            return max(self.settings.max_step, self.settings.max_step_with_agenda)
        return self.settings.max_step

    def _status(self) -> str:
        return f"{len(self.done)}/{self.total} scenarios done"

    def _dispatch(self, fresh: list[Observed]) -> bool:
        self._refresh_watches()
        woke = False
        for waiter in list(self._waiters):
            if waiter.future.done():
                self._waiters.remove(waiter)
                continue
            hit = next((m for m in fresh if waiter.match is not None and waiter.match(m)), None)
            if hit is not None:
                self._wake(waiter, hit)
                woke = True
            elif waiter.wake_at is not None and waiter.wake_at <= self.now:
                self._wake(waiter, None)
                woke = True
        return woke

    def _refresh_watches(self) -> None:
        if self.timeline.agenda_steps:
            return  # deadlines are no boundaries while the agenda names every action; computed once they are again
        for watch in self._watches:
            message = self.timeline.ledger.get(watch.exchange.message_id)
            received = (message.delivered_at(watch.party) if message else None) or watch.exchange.sent_at
            if received is None:
                continue
            basis = _marks_basis(watch.exchange, received)
            if basis == watch.basis:
                continue
            watch.basis = basis
            for moment in deadline_marks(watch.exchange, received, self.settings):
                if moment not in watch.marked:
                    watch.marked.add(moment)
                    self.mark_judged(moment)

    # -- bookkeeping --------------------------------------------------------------------------

    def _future(self) -> asyncio.Future[Observed | None]:
        return asyncio.get_running_loop().create_future()

    async def _block(self, waiter: _Waiter) -> Observed | None:
        self._waiters.append(waiter)
        self._stopped()
        return await waiter.future

    def _wake(self, waiter: _Waiter, value: Observed | None) -> None:
        self._waiters.remove(waiter)
        self._started()
        waiter.future.set_result(value)

    def _started(self) -> None:
        self._running += 1
        self._acted = True
        self._idle.clear()

    def _stopped(self) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def _guard(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        self._acted = True
        try:
            await body()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a scenario that breaks must not stop the others
            self.failures[name] = f"{type(exc).__name__}: {exc}"
            self.timeline.ledger.notes.append(
                f"scenario {name} stopped at {self.now.isoformat()}: {exc}\n{traceback.format_exc(limit=4)}"
            )
        finally:
            self.done.append(name)
            self._stopped()
