"""The locustfile of the whole EU: each state's operators drive its own CMS (`spoc-harness load --sut eu`).

    SPOC_LOAD_CREDENTIALS=net/credentials.json SPOC_LOAD_SUTS=AT=http://127.0.0.1:8801,BE=http://127.0.0.1:8802 \\
        locust -f load/eu_locustfile.py --host http://127.0.0.1:8700

Settings come from the environment (load/settings.py; `SPOC_LOAD_SUTS` names every state's SUT
interface). At test start the master loads each CMS's national databases (the fixtures every request
class is judged against) and makes it follow the network clock, unless `SPOC_LOAD_SUTS_PREPARED` says
that was done (`spoc-harness load` does it before locust starts: thirty CMSs take seconds, which a
load shape would count as load time). With `SPOC_LOAD_DURATION` set, a
constant `SPOC_LOAD_USERS` users (or a named profile, `SPOC_LOAD_PROFILE`) run for that many seconds.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import locust.runners
from locust import User, events
from locust.runners import WorkerRunner

from load.operators import StateOperatorUser
from load.settings import LoadSettings, LoadSettingsError
from load.shapes import make_shape
from load.traffic import EU_CLASSES, prepare_suts

_log = logging.getLogger("load")
_settings = LoadSettings.from_env()
if len(_settings.suts) < 2:
    raise LoadSettingsError("SPOC_LOAD_SUTS: name at least two states' SUT interfaces (STATE=URL,...)")
if not any(_settings.mix.get(name, 0) > 0 for name in EU_CLASSES):
    raise LoadSettingsError(f"SPOC_LOAD_MIX: the whole EU exchanges only {', '.join(EU_CLASSES)}")

locust.runners.HEARTBEAT_LIVENESS = 30  # as in load/locustfile.py: a starved worker is not a lost one

StateOperator: type[User] = type("StateOperator", (StateOperatorUser,), {"abstract": False, "__module__": __name__})

_profile = _settings.profile or ("constant" if os.environ.get("SPOC_LOAD_DURATION") else None)
if _profile:
    LoadShape = make_shape(
        _profile, ordinary=[StateOperator], surge=None, speed=_settings.speed, peak_factor=_settings.peak_factor,
        pacing=_settings.pacing, duration=float(os.environ.get("SPOC_LOAD_DURATION", "60")),
    )


def _prepare_suts(environment: Any, **_kwargs: Any) -> None:
    """Load every CMS's national databases and make it follow the network clock (once, on the master)."""
    if isinstance(environment.runner, WorkerRunner) or os.environ.get("SPOC_LOAD_SUTS_PREPARED"):
        return  # `spoc-harness load` prepared them before locust started (load/runner.py)
    prepare_suts(_settings.suts, _settings.seed)
    _log.info("%d CMSs: fixtures loaded, following the network clock", len(_settings.suts))


events.test_start.add_listener(_prepare_suts)  # type: ignore[no-untyped-call]
