"""The CMS's clock: its own system clock, or the network's clock when told to follow it.

In a test deployment the channels may run a virtual clock that the harness moves in jumps. The CMS
then has to live in that time: every timestamp it records and every action it plans must use
network time, and a planned action fires when network time reaches it, never after a real-time
sleep. The follower is told of every move: it holds a long poll `GET /clock?after=<last seen>` open
on the channels, which answers the moment the clock moves past that time (see
simulators.clock_stream). It also takes every `X-Network-Time` it sees on a channel response or push,
keeping the latest (time never goes back). Given only a plain reader (no long poll), or on a network
running on the system clock (which moves all the time), it polls every `poll_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

__all__ = ["CmsClock", "parse_network_time"]

_log = logging.getLogger("reference_cms.clock")
NetworkReader = Callable[[], Awaitable[tuple[datetime, str]]]
# The network time once it is later than the given one (a long poll); the same time when it did not move for a while.
NetworkWatcher = Callable[[datetime], Awaitable[tuple[datetime, str]]]


def parse_network_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"network time {text!r} has no UTC offset")
    return moment.astimezone(UTC)


def _system_now() -> datetime:
    # The one place the reference CMS reads the machine's clock: its own clock when not following.
    return datetime.now(UTC)


class CmsClock:
    """Clock-protocol compatible (`mode`, `now()`, `sleep_until()`), plus following and wake-ups."""

    def __init__(
        self,
        read_network: NetworkReader,
        *,
        poll_interval: float = 0.025,
        ignore_network: bool = False,
        watch_network: NetworkWatcher | None = None,
    ) -> None:
        self._read_network = read_network
        self._watch_network = watch_network
        self._poll_interval = poll_interval
        # The defect "ignores-harness-clock": say yes to following, keep the system clock.
        self._ignore_network = ignore_network
        self._following = False
        self._network_mode = "system"
        self._seen: datetime | None = None
        self._seen_monotonic = 0.0
        self._last_reported: datetime | None = None
        self._changed = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    @property
    def mode(self) -> str:
        return "network" if self.following else "system"

    @property
    def following(self) -> bool:
        return self._following

    def now(self) -> datetime:
        if not self._following or self._ignore_network or self._seen is None:
            return _system_now()
        moment = self._seen
        if self._network_mode == "system":
            # A network on the system clock keeps running between polls.
            moment += timedelta(seconds=time.monotonic() - self._seen_monotonic)
        if self._last_reported is not None and moment < self._last_reported:
            return self._last_reported
        self._last_reported = moment
        return moment

    def observe(self, moment: datetime, mode: str | None = None) -> None:
        """Take a network time seen on the wire; the latest one wins."""
        if mode is not None:
            self._network_mode = mode
        moment = moment.astimezone(UTC)
        if self._seen is None or moment > self._seen:
            self._seen = moment
            self._seen_monotonic = time.monotonic()
            if self._following:
                self._wake()

    def observe_header(self, value: str | None) -> None:
        if value:
            with contextlib.suppress(ValueError):
                self.observe(parse_network_time(value))

    async def follow(self) -> None:
        """Start following the network clock; returns once the current network time is known."""
        moment, mode = await self._read_network()
        self.observe(moment, mode)
        self._following = True
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="network-clock-poller")
        self._wake()

    async def stop_following(self) -> None:
        self._following = False
        await self.close()
        self._wake()

    async def close(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def _poll(self) -> None:
        while True:
            told = False
            try:
                # A running clock (system, or scaled for load tests) is later at every look: a long poll would
                # answer at once, again and again. It is read every poll interval instead.
                if self._watch_network is not None and self._seen is not None \
                        and self._network_mode not in ("system", "scaled"):
                    moment, mode = await self._watch_network(self._seen)
                    told = True
                else:
                    moment, mode = await self._read_network()
                self.observe(moment, mode)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the channels may be briefly away; keep the last time seen
                _log.debug("network clock not read: %s", exc)
                told = False
            if not told:
                await asyncio.sleep(self._poll_interval)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def nudge(self) -> None:
        """Wake every waiter (e.g. a new action was planned) without a change of time."""
        self._wake()

    async def wait_for_change(self, until: datetime | None, *, max_real_wait: float = 1.0) -> None:
        """Wait until time may have reached `until`, or a nudge. Never longer than `max_real_wait`.

        Following the network, only an observed change of network time (or a nudge) ends the wait:
        the real seconds that pass mean nothing for a virtual network clock.
        """
        changed = self._changed
        timeout = max_real_wait
        if (not self._following or self._ignore_network) and until is not None:
            timeout = min(max_real_wait, max((until - self.now()).total_seconds(), 0.0))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)

    async def sleep_until(self, moment: datetime) -> None:
        while self.now() < moment:
            await self.wait_for_change(moment)
