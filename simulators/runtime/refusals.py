"""How many refused attempts of one caller the journal records one by one.

Every refused access is evidence and goes to the journal, durably, before the answer: a write and an
fsync shared with everybody's sends. A caller refused over and over (2,000 forbidden sends in a loop)
would fill the journal and slow every other party. So each caller (a party, or the control token
acting as one) has a budget of `limit` journaled refusals per `window_seconds` of wall time. The
refusal that exhausts it is journaled once more, saying a burst began; every further one in that
window is answered 429 with Retry-After, and not journaled (the server log counts them when the
window ends). Wall time, not network time: a virtual network clock may stand still.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_REFUSAL_LIMIT", "DEFAULT_REFUSAL_WINDOW_SECONDS", "RefusalBudget", "RefusalDecision"]

DEFAULT_REFUSAL_LIMIT = 30
DEFAULT_REFUSAL_WINDOW_SECONDS = 60.0
_log = logging.getLogger("simulators.refusals")


class RefusalDecision(enum.Enum):
    JOURNAL = "journal"  # within the budget: journal it and answer as usual
    BURST = "burst"  # the budget is exhausted now: journal it as the start of a burst
    QUIET = "quiet"  # within a burst: answer 429, journal nothing


@dataclass
class _Window:
    started: float
    journaled: int = 0
    quiet: int = 0


class RefusalBudget:
    """Per-caller budget of journaled refusals; `judge(caller)` says what to do with one more."""

    def __init__(self, limit: int = DEFAULT_REFUSAL_LIMIT, window_seconds: float = DEFAULT_REFUSAL_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("the refusal limit and its window must be positive")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def forget(self) -> None:
        """Start every caller's budget afresh (a network reset)."""
        self._windows.clear()

    def judge(self, caller: str) -> RefusalDecision:
        now = self._clock()
        window = self._windows.get(caller)
        if window is None or now - window.started >= self.window_seconds:
            if window is not None and window.quiet:
                _log.warning("%s: %d further refusals in a burst were answered 429 without journaling",
                             caller, window.quiet)
            window = self._windows[caller] = _Window(started=now)
        if window.journaled < self.limit:
            window.journaled += 1
            return RefusalDecision.JOURNAL
        if window.journaled == self.limit:
            window.journaled += 1
            return RefusalDecision.BURST
        window.quiet += 1
        return RefusalDecision.QUIET

    def retry_after(self, caller: str) -> int:
        """Whole seconds until `caller`'s window ends (at least 1)."""
        window = self._windows.get(caller)
        if window is None:
            return 1
        return max(1, int(window.started + self.window_seconds - self._clock() + 0.999))
