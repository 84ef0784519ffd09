"""The network's clock. Everything that depends on time takes a `Clock`; nobody calls datetime.now().

`VirtualClock` lets the harness make days pass in seconds: the control API sets or advances it and
every timestamp, timer and retry of the simulators follows. Waiters (`sleep_until`) wake when the
virtual time they wait for is reached, whether by the passing of real time or by an advance.

`ScaledClock` is the load tests' clock: network time runs at `speed` times wall time from the start
(at 600, an 8-hour limit passes in 48 s), monotonic, and still movable by the control API like the
virtual clock (a load run drains by moving it on).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from simulators.runtime.encoding import db_time

__all__ = ["LATEST_NETWORK_TIME", "Clock", "ScaledClock", "SystemClock", "VirtualClock", "ensure_aware"]

# The latest time the network may be set to. Deadlines, retention periods, retries and review delays
# are computed forward from the network time (years at most), and datetime ends with year 9999: a
# clock beyond this leaves them no room, and later sends would fail (OverflowError).
LATEST_NETWORK_TIME = datetime(3000, 1, 1, tzinfo=UTC)


def ensure_aware(moment: datetime, what: str = "datetime") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} {moment.isoformat()} has no UTC offset; give one, e.g. 2026-03-29T01:30:00+01:00")
    return moment.astimezone(UTC)


class Clock(Protocol):
    @property
    def mode(self) -> str: ...

    def now(self) -> datetime:
        """The current network time, timezone-aware UTC."""
        ...

    def now_text(self) -> str:
        """`db_time(self.now())`: the network time as every answer's header gives it."""
        ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once the network time has reached `moment`."""
        ...


class SystemClock:
    mode = "system"
    _second = -1  # the second `_prefix` was written for
    _prefix = ""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_text(self) -> str:
        # Stamped on every answer: the date and time of day are written once per second only.
        seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
        if seconds != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
            self._second = seconds
        return f"{self._prefix}.{nanoseconds // 1000:06d}Z"

    async def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class VirtualClock:
    """A clock the harness moves. Between moves it runs at `rate` times real time (0 = frozen)."""

    mode = "virtual"

    def __init__(self, start: datetime | None = None, *, rate: float = 0.0) -> None:
        self._anchor_virtual = ensure_aware(start or datetime.now(UTC), "start")
        if self._anchor_virtual >= LATEST_NETWORK_TIME:
            raise ValueError(f"the network clock must start before {LATEST_NETWORK_TIME.isoformat()}")
        self._anchor_real = time.monotonic()
        self._rate = rate
        self._moved = asyncio.Event() if _has_loop() else None
        self._text_of: datetime | None = None
        self._text = ""

    def _real(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        if not self._rate:
            return self._anchor_virtual
        return self._anchor_virtual + timedelta(seconds=(self._real() - self._anchor_real) * self._rate)

    def now_text(self) -> str:
        # Stamped on every answer: while the clock stands (rate 0), its moment is formatted once.
        moment = self.now()
        if moment is not self._text_of:
            self._text, self._text_of = db_time(moment), moment
        return self._text

    def set(self, moment: datetime) -> None:
        moment = ensure_aware(moment, "clock time")
        if moment < self.now():
            raise ValueError(f"the network clock cannot go back (now {self.now().isoformat()})")
        if moment >= LATEST_NETWORK_TIME:
            raise ValueError(f"the network clock must stay before {LATEST_NETWORK_TIME.isoformat()}, "
                             "to leave room for the deadlines and retention computed from it")
        self._anchor_virtual = moment
        self._anchor_real = self._real()
        self._notify()

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the network clock cannot go back")
        self.set(self.now() + timedelta(seconds=seconds))
        return self.now()

    def restart_at(self, moment: datetime) -> None:
        """Put the clock at `moment`, earlier than now if need be: only for a reset, which starts a new
        journal segment whose history begins there (nothing journaled in a segment goes back in time)."""
        moment = ensure_aware(moment, "clock time")
        if moment >= LATEST_NETWORK_TIME:
            raise ValueError(f"the network clock must stay before {LATEST_NETWORK_TIME.isoformat()}, "
                             "to leave room for the deadlines and retention computed from it")
        self._anchor_virtual = moment
        self._anchor_real = self._real()
        self._notify()

    def _notify(self) -> None:
        if self._moved is not None:
            self._moved.set()
            self._moved = asyncio.Event()

    async def sleep_until(self, moment: datetime) -> None:
        while self.now() < moment:
            if self._moved is None:
                self._moved = asyncio.Event()
            moved = self._moved
            # With a running rate, also wake up on real time passing; otherwise only on a move.
            timeout = None
            if self._rate:
                timeout = max((moment - self.now()).total_seconds() / self._rate, 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), timeout)


class ScaledClock(VirtualClock):
    """Network time at `speed` times wall time, never frozen; a move jumps it and it runs on from there."""

    mode = "scaled"

    def __init__(self, start: datetime | None = None, *, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"a scaled clock needs a speed above 0 (got {speed})")
        super().__init__(start, rate=speed)

    @property
    def speed(self) -> float:
        return self._rate


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
