"""Named load profiles, as locust `LoadTestShape`s (docs/load.md gives the figures and their sources).

The base rate is the SUT state's share of the EU's yearly SIENA volume, in network time, brought to
wall time by the scaled clock's speed and multiplied by a settable peak factor:

    exchanges per wall second = yearly messages / states / seconds per year x speed x peak factor

(1.5 million a year, 26 states, speed 600, factor 1: about 1.1 exchanges a wall second). A user sends
one exchange per `pacing` wall seconds, so users = rate x pacing. `SPOC_LOAD_USERS` fixes the base
number of users instead. Each profile then shapes that base over the run (`SPOC_LOAD_DURATION` wall
seconds), in network time where the profile follows the clock of a working week. `constant` (what
`spoc-harness load` uses without --profile) keeps the base: a shape, not locust's --run-time, so the
run's time starts when the users do, after a distributed master has all its workers.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simulators.model.parties import member_states

if TYPE_CHECKING:
    from locust import LoadTestShape, User

__all__ = ["PROFILES", "ShapePlan", "base_users", "make_shape", "profile_factor"]

YEARLY_SIENA_MESSAGES = 1_500_000  # order of magnitude of Europol's published yearly figures (docs/load.md)
_SECONDS_PER_YEAR = 365 * 24 * 3600
# The network week starts on a Monday at 00:00 UTC, so the profiles' hours are network hours.
_WEEK_START = datetime(2026, 3, 2)


def base_users(*, speed: float, peak_factor: float, pacing: float) -> int:
    fixed = os.environ.get("SPOC_LOAD_USERS")
    if fixed:
        return max(1, int(fixed))
    yearly = float(os.environ.get("SPOC_LOAD_YEARLY_MESSAGES", YEARLY_SIENA_MESSAGES))
    states = max(1, len(member_states(bound_only=True)) - 1)
    rate = yearly / states / _SECONDS_PER_YEAR * speed * peak_factor
    return max(1, round(rate * pacing))


def _working_week(network_seconds: float) -> float:
    """Busy office hours on working days, quiet nights, a lighter weekend (mean about 1)."""
    moment = _WEEK_START + timedelta(seconds=network_seconds)
    if moment.weekday() >= 5:
        return 0.6
    return 1.6 if 8 <= moment.hour < 18 else 0.5


def _major_incident(share: float) -> float:
    """Ordinary until 15% of the run, then a surge (x8) decaying with a half-life of 20% of the run."""
    if share < 0.15:
        return 1.0
    return 1.0 + 8.0 * math.pow(0.5, (share - 0.15) / 0.20)


def _holiday_weekend(share: float) -> float:
    """Half the ordinary traffic, with one evening peak (a border stop) from 60% to 70% of the run."""
    return 2.0 if 0.6 <= share < 0.7 else 0.5


def profile_factor(profile: str, *, run_seconds: float, duration: float, speed: float) -> float:
    """The multiple of the base number of users the profile asks for at `run_seconds`."""
    share = run_seconds / duration if duration > 0 else 0.0
    if profile == "constant":
        return 1.0
    if profile == "ordinary-week":
        return _working_week(run_seconds * speed)
    if profile == "major-incident":
        return _major_incident(share)
    if profile == "holiday-weekend":
        return _holiday_weekend(share)
    raise ValueError(f"unknown load profile {profile!r}; choose from {', '.join(PROFILES)}")


PROFILES: dict[str, str] = {
    "ordinary-week": "the traffic of a working week in network time: office hours x1.6, nights x0.5, weekend x0.6",
    "major-incident": "ordinary traffic, then a surge of urgent requests from many states (x9 at its height) "
                      "decaying with a half-life of 20% of the run",
    "holiday-weekend": "half the ordinary traffic, with one evening peak (x2) from 60% to 70% of the run",
}


class ShapePlan:
    """The users a profile asks for over one run, timed from the first tick (when the users start: locust's
    own run time also counts the wait of a distributed master for its workers). Pure: no locust here."""

    def __init__(self, profile: str, *, speed: float, peak_factor: float, pacing: float, duration: float) -> None:
        if profile not in PROFILES and profile != "constant":
            raise ValueError(f"unknown load profile {profile!r}; choose from {', '.join(PROFILES)}")
        self.profile = profile
        self.speed = speed
        self.duration = duration
        self.base = base_users(speed=speed, peak_factor=peak_factor, pacing=pacing)
        self._began: float | None = None

    def tick(self, now: float) -> tuple[int, bool] | None:
        """(users, with the surge users) at monotonic time `now`, or None when the run is over."""
        if self._began is None:
            self._began = now
        run = now - self._began
        if run >= self.duration:
            return None
        factor = profile_factor(self.profile, run_seconds=run, duration=self.duration, speed=self.speed)
        return max(1, round(self.base * factor)), self.profile == "major-incident" and factor > 1.5


def make_shape(
    profile: str, *, ordinary: list[type[User]], surge: type[User] | None, speed: float, peak_factor: float,
    pacing: float, duration: float,
) -> type[LoadTestShape]:
    """A LoadTestShape class for `profile`; the major incident adds the urgent `surge` users.

    Only the locustfile calls this: importing locust patches the process for gevent (never in the
    harness's own asyncio processes)."""
    # Only the locustfile calls this: importing locust patches the process for gevent.
    from locust import LoadTestShape

    plan = ShapePlan(profile, speed=speed, peak_factor=peak_factor, pacing=pacing, duration=duration)

    def tick(self: LoadTestShape) -> tuple[int, float, list[type[User]]] | None:
        step = plan.tick(time.monotonic())
        if step is None:
            return None
        users, with_surge = step
        return users, float(users), [*ordinary, *([surge] if with_surge and surge is not None else [])]

    name = "".join(part.title() for part in profile.split("-")) + "Shape"
    doc = f"{profile}: {PROFILES.get(profile, 'the base number of users for the whole run')}."
    shape: Callable[..., type[LoadTestShape]] = type
    return shape(name, (LoadTestShape,), {"tick": tick, "__doc__": doc, "__module__": __name__})
