"""`--chaos`: faults while the users send, on a timetable of the run's own length.

| share of the run | what happens |
|---|---|
| from the start | every delivery to the SUT's SPOC arrives twice (fault `duplicate`, same delivery id) |
| 20% to 35% | SIENA outage for the SUT's SPOC (fault `outage`, 503): its sends and reads fail |
| 50% | `kill -9` of the channel server, restarted on the same port and journal |
| 70% | the reference CMS stopped and started again on the same port and store |

With `--sut eu` every state's CMS is a SUT: every delivery to every party arrives twice, the outage
takes SIENA from every third state's SPOC (the others keep exchanging with them: their sends are
accepted and wait, pushes to them are held back), and at 70% the processes hosting the CMSs are
restarted one after the other (each on its installations' own ports and stores), so half the EU is
away for a moment while the other half keeps sending to it.

Faults go through the channel server's control API (docs/channels-api.md); restarts happen only to
processes the harness started (`--sut reference` or `eu`), and are logged as skipped otherwise. The
reconciliation must still show nothing lost and no duplicate case.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from load.http import JsonClient, LoadHttpError
from load.network import ChannelServer, Restartable
from simulators.model.parties import PartyKind, party_id

__all__ = ["Chaos"]


class Chaos:
    """The faults of one run. `states`: the SUTs' states (one, or every state with `--sut eu`); `cms`: the
    processes hosting them that the harness started, each with the SUT interfaces it serves."""

    def __init__(
        self, control: JsonClient, *, server: ChannelServer | None, cms: Mapping[Restartable, Sequence[str]],
        states: Sequence[str], duration: float, echo: Callable[[str], None],
    ) -> None:
        self.control = control
        self.server = server
        self.cms = dict(cms)
        self.whole_eu = len(states) > 1
        # Where the outage strikes: the one SUT's SPOC, or every third state's of the whole EU.
        self.out = [party_id(PartyKind.SPOC, state) for state in (sorted(states)[::3] if self.whole_eu else states)]
        self.duration = duration
        self.echo = echo
        self.log: list[dict[str, Any]] = []
        self._done: set[str] = set()
        self._faults: list[dict[str, Any]] = []

    def _note(self, at: float, event: str, detail: str) -> None:
        self.log.append({"at_seconds": round(at, 2), "event": event, "detail": detail})
        self.echo(f"load: chaos at {at:5.1f} s: {event}: {detail}")

    def _put_faults(self) -> None:
        self.control.call("PUT", "/control/faults", body={"faults": self._faults})

    def _once(self, name: str, at_share: float, elapsed: float) -> bool:
        if name in self._done or elapsed < at_share * self.duration:
            return False
        self._done.add(name)
        return True

    def step(self, elapsed: float) -> None:
        """Called often by the runner while locust runs; does what is due by `elapsed` wall seconds."""
        # The whole EU: every party a CMS reads for is a SUT's (party null: every party).
        duplicate = {"type": "duplicate", "party": None if self.whole_eu else self.out[0], "params": {"copies": 2}}
        outages = [{"type": "outage", "channel": "SIENA", "party": party, "params": {"mode": "503"}}
                   for party in self.out]
        try:
            if self._once("duplicate", 0.0, elapsed):
                self._faults = [duplicate]
                self._put_faults()
                self._note(elapsed, "duplicate deliveries",
                           "every delivery twice" if self.whole_eu else f"every delivery to {self.out[0]} twice")
            if self._once("outage", 0.20, elapsed):
                self._faults = [duplicate, *outages]
                self._put_faults()
                self._note(elapsed, "outage", f"SIENA unavailable to {', '.join(self.out)} (503)")
            if self._once("outage-end", 0.35, elapsed):
                self._faults = [duplicate]
                self._put_faults()
                self._note(elapsed, "outage over", "SIENA available again")
            if self._once("kill-channels", 0.50, elapsed):
                self._kill_channels(elapsed)
            if self._once("restart-cms", 0.70, elapsed):
                self._restart_cms(elapsed)
        except LoadHttpError as exc:
            self._note(elapsed, "chaos step failed", str(exc))

    def _kill_channels(self, elapsed: float) -> None:
        if self.server is None:
            self._note(elapsed, "kill -9 of the channel server skipped", "not started by the harness")
            return
        began = time.monotonic()
        self.server.kill_hard()
        self.server.restart()
        self._put_faults()  # as they were: a restarted server is not asked to remember them
        self._note(elapsed, "kill -9 of the channel server", f"restarted in {time.monotonic() - began:.1f} s")

    def _restart_cms(self, elapsed: float) -> None:
        if not self.cms:
            self._note(elapsed, "restart of the CMS skipped", "a vendor SUT is restarted by the vendor")
            return
        # One process after the other: the states of the others keep sending to those that are away.
        started = time.monotonic()
        for process, sut_urls in self.cms.items():
            began = time.monotonic()
            process.stop()
            process.restart()
            for url in sut_urls:
                JsonClient(url).call("PUT", "/sut/v1/clock", body={"follow_network_clock": True})
            what = "the reference CMS" if len(sut_urls) == 1 else f"the host of {len(sut_urls)} states' CMSs"
            self._note(elapsed + began - started, f"restart of {what}", f"back in {time.monotonic() - began:.1f} s")

    def finish(self) -> None:
        try:
            self.control.call("DELETE", "/control/faults")
        except LoadHttpError as exc:
            self._note(self.duration, "faults not cleared", str(exc))
