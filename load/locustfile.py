"""The locustfile: foreign parties sending the SUT realistic traffic on the channels.

    SPOC_LOAD_CREDENTIALS=.spoc-network/credentials.json SPOC_LOAD_SUT=http://127.0.0.1:8800 \\
        locust -f load/locustfile.py --host http://127.0.0.1:8700

Settings come from the environment (load/settings.py). `spoc-harness load` runs this file headless,
starts the network and the SUT, and reconciles the result; plain locust (web UI, distributed mode)
works the same way. With `SPOC_LOAD_PROFILE` set, the named load shape (load/shapes.py) drives the
number of users for `SPOC_LOAD_DURATION` wall seconds; with only `SPOC_LOAD_DURATION` set, a constant
`SPOC_LOAD_USERS` users do.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import locust.runners
from locust import User, events
from locust.runners import WorkerRunner

from load.http import JsonClient
from load.settings import LoadSettings
from load.shapes import make_shape
from load.traffic import CLASSES, fixture_records, fixture_subjects, foreign_states, locale_faker
from load.users import (
    DesignatedAuthorityUser,
    ForeignSpocUser,
    InterpolNcbUser,
    SireneBureauUser,
    UrgentSurgeUser,
)

_log = logging.getLogger("load")
_settings = LoadSettings.from_env()

# A master counts a worker missing after 3 heartbeats (3 s) without news, and drops its users. On a
# machine shared with other work a worker can be starved of CPU that long while it still runs: allow 30.
locust.runners.HEARTBEAT_LIVENESS = 30

# Build every state's Faker now, before a worker connects to its master: built while users spawn, they
# would hold the event loop long enough for the master to count the worker as missing. A master of workers
# runs no users: it needs only the SUT state's (for the fixtures), and would spend seconds of CPU on the rest.
if "--master" not in sys.argv:
    for _state in foreign_states(_settings.state):
        locale_faker(_state, 0)
for _cls in CLASSES.values():
    fixture_subjects(_settings.state, _settings.seed, _cls)


def _concrete(base: type[User], name: str, surge_share: int = 0) -> type[User] | None:
    """A runnable user class for `base`, weighted by its request classes' share of the mix (None: no share)."""
    names: tuple[str, ...] = getattr(base, "request_classes", ())
    weight = surge_share or sum(_settings.mix.get(n, 0) for n in names)
    if weight <= 0:
        return None
    return type(name, (base,), {"abstract": False, "weight": weight, "__module__": __name__})


_ordinary = [c for c in (
    _concrete(ForeignSpocUser, "ForeignSpoc"),
    _concrete(DesignatedAuthorityUser, "DesignatedAuthority"),
    _concrete(SireneBureauUser, "SireneBureau"),
    _concrete(InterpolNcbUser, "InterpolNcb"),
) if c is not None]
# Locust runs the User classes it finds in this module's namespace: each one once, under its own name.
globals().update({user.__name__: user for user in _ordinary})

_profile = _settings.profile or ("constant" if os.environ.get("SPOC_LOAD_DURATION") else None)
if _profile:
    # In a surge, four in five users are SPOCs sending urgent requests (the major incident's profile).
    # Only under its own name in the namespace: locust would run a second reference as a second class.
    globals().update({"UrgentSurge": _concrete(UrgentSurgeUser, "UrgentSurge", surge_share=4 * sum(
        int(getattr(u, "weight", 1)) for u in _ordinary))} if _profile == "major-incident" else {})
    LoadShape = make_shape(
        _profile, ordinary=_ordinary, surge=globals().get("UrgentSurge"), speed=_settings.speed,
        peak_factor=_settings.peak_factor, pacing=_settings.pacing,
        duration=float(os.environ.get("SPOC_LOAD_DURATION", "60")),
    )


def _prepare_sut(environment: Any, **_kwargs: Any) -> None:
    """Load the SUT's national databases and make it follow the network clock (once, on the master)."""
    if isinstance(environment.runner, WorkerRunner) or not _settings.sut_url:
        return
    sut = JsonClient(_settings.sut_url)
    records = fixture_records(_settings.state, _settings.seed)
    sut.call("PUT", "/sut/v1/fixtures", body={"records": records})
    sut.call("PUT", "/sut/v1/clock", body={"follow_network_clock": True})
    _log.info("SUT %s: %d fixture records, following the network clock; classes %s", sut.base_url, len(records),
              ", ".join(n for n in CLASSES if _settings.mix.get(n, 0) > 0))


events.test_start.add_listener(_prepare_sut)  # type: ignore[no-untyped-call]
