"""`--chaos`: faults while the users send, on a timetable of the run's own length.

| share of the run | what happens |
|---|---|
| from the start | every delivery to the SUT's SPOC arrives twice (fault `duplicate`, same delivery id) |
| 15% to 30% | SIENA outage for the SUT's SPOC (fault `outage`, 503): its sends and reads fail |
| 40% | `kill -9` of the reference CMS in the middle of a send, restarted on the same port and store |
| 55% | `kill -9` of the channel server, restarted on the same port and journal |
| 70% | the reference CMS stopped and started again on the same port and store |

The CMS is killed mid-send on purpose, not at a random moment (which would mostly fall between two
steps): the channel holds the answers to the CMS's sends (fault `lost_ack`, mode `timeout`: the message is
journaled and delivered, the answer waits), and once the journal holds a message the CMS sent under the
hold, the hold is lifted and the process killed while it still waits for that answer. Its restart must
neither send that message a second time nor leave unanswered the request it was answering.

A restarted CMS's new interpreter has its imports done while the old process still serves (as a
supervisor keeping a warm spare would): what the others see away is the stop and the start of its
servers, not seconds of an interpreter's start-up on a busy machine.

With `--sut eu` every state's CMS is a SUT: every delivery to every party arrives twice, from 15% to
25% the outage takes SIENA from every third state's SPOC (the others keep exchanging with them: their
sends are accepted and wait, pushes to them are held back), at 30% the first process hosting CMSs is
killed in the middle of a send of one of its states, at 40% the channel server is killed, and from 50%
the processes hosting the CMSs are restarted one after the other (each on its installations' own ports and
stores), so half the EU is away for a while the other half keeps sending to it. Earlier than for one CMS:
a process of fifteen installations takes seconds to stop and start again, and its restart must fall in
the load.

The faults run one after the other on a thread of their own (the runner and locust go on meanwhile);
each is logged at the moment it began.

Faults go through the channel server's control API (docs/channels-api.md); restarts happen only to
processes the harness started (`--sut reference` or `eu`), and are logged as skipped otherwise. The
reconciliation must still show nothing lost and no duplicate case.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from conformance.campaign.processes import ProcessError
from load.http import JsonClient, LoadHttpError
from load.network import CMS_MODULES, ChannelServer, Restartable
from simulators.model.parties import PartyKind, all_parties, party_id

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
        # The whole EU: every party a CMS reads for is a SUT's (party null: every party).
        self._duplicate_fault = {"type": "duplicate", "party": None if self.whole_eu else self.out[0],
                                 "params": {"copies": 2}}
        # (name, share of the run, action): the module's table; the whole EU's restarts take longer (two
        # processes of fifteen installations each), so its faults come earlier and the restarts fall in the load.
        shares = (0.0, 0.15, 0.25, 0.30, 0.40, 0.50) if self.whole_eu else (0.0, 0.15, 0.30, 0.40, 0.55, 0.70)
        actions: list[tuple[str, Callable[[float], None]]] = [
            ("duplicate", self._duplicate), ("outage", self._outage), ("outage-end", self._outage_end),
            ("kill-cms", self.kill_cms), ("kill-channels", self._kill_channels), ("restart-cms", self._restart_cms)]
        self._timetable = [(name, share, action) for (name, action), share in zip(actions, shares, strict=True)]
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chaos")
        self._pending: list[Future[None]] = []
        self._began = 0.0
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

    def _elapsed(self) -> float:
        return time.monotonic() - self._began

    def step(self, elapsed: float) -> None:
        """Called often by the runner while locust runs; starts what is due by `elapsed` wall seconds.

        The faults run one after the other on a thread of their own, so that a restart taking seconds holds up
        neither the runner nor the faults' timetable; each is logged at the moment it began."""
        if not self._began:
            self._began = time.monotonic() - elapsed
        for name, at_share, action in self._timetable:
            if self._once(name, at_share, elapsed):
                self._pending.append(self._worker.submit(self._run, action))

    def _run(self, action: Callable[[float], None]) -> None:
        began = self._elapsed()
        try:
            action(began)
        except (LoadHttpError, ProcessError) as exc:
            self._note(began, "chaos step failed", str(exc))

    def _duplicate(self, elapsed: float) -> None:
        self._faults = [self._duplicate_fault]
        self._put_faults()
        self._note(elapsed, "duplicate deliveries",
                   "every delivery twice" if self.whole_eu else f"every delivery to {self.out[0]} twice")

    def _outage(self, elapsed: float) -> None:
        self._faults = [self._duplicate_fault, *({"type": "outage", "channel": "SIENA", "party": party,
                                                  "params": {"mode": "503"}} for party in self.out)]
        self._put_faults()
        self._note(elapsed, "outage", f"SIENA unavailable to {', '.join(self.out)} (503)")

    def _outage_end(self, elapsed: float) -> None:
        self._faults = [self._duplicate_fault]
        self._put_faults()
        self._note(elapsed, "outage over", "SIENA available again")

    def _kill_channels(self, elapsed: float) -> None:
        if self.server is None:
            self._note(elapsed, "kill -9 of the channel server skipped", "not started by the harness")
            return
        began = time.monotonic()
        self.server.kill_hard()
        self.server.restart()
        self._put_faults()  # as they were: a restarted server is not asked to remember them
        self._note(elapsed, "kill -9 of the channel server", f"restarted in {time.monotonic() - began:.1f} s")

    def kill_cms(self, elapsed: float = 0.0) -> None:
        """`kill -9` of the (first) process hosting CMSs while it waits for the answer to a send, then its restart."""
        if not self.cms:
            self._note(elapsed, "kill -9 of the CMS skipped", "a vendor SUT is killed by the vendor")
            return
        process, sut_urls = next(iter(self.cms.items()))
        held: list[str] = []
        began = time.monotonic()
        process.restart_warm(CMS_MODULES, hard=True, before_stop=lambda: held.extend(self._hold_a_send(process)))
        for url in sut_urls:
            JsonClient(url).call("PUT", "/sut/v1/clock", body={"follow_network_clock": True})
        what = "the reference CMS" if len(sut_urls) == 1 else f"the host of {len(sut_urls)} states' CMSs"
        during = (f"while the channel held the answer to its {held[0]}" if held
                  else "(no send of it was under way: killed between two steps)")
        self._note(elapsed, f"kill -9 of {what}", f"{during}; restarted in {time.monotonic() - began:.1f} s")

    def _hold_a_send(self, process: Restartable, patience: float = 8.0) -> list[str]:
        """Hold the answers to the sends of `process`'s parties until one of its messages is journaled; that
        message's description, or none if it sent nothing within `patience` seconds. The hold is lifted before
        this returns: the send under way still waits (the channel decided when it took it), later ones do not."""
        states = set(process.states)
        parties = sorted(pid for pid, found in all_parties().items() if found.state in states)
        own = set(parties)
        hold = [{"type": "lost_ack", "channel": None, "party": party,
                 "params": {"mode": "timeout", "timeout_seconds": 10}} for party in parties]
        self.control.call("PUT", "/control/faults", body={"faults": [*self._faults, *hold]})
        try:
            since = str(self.control.get("/clock")["now"])  # what is journaled from now on was sent under the hold
            give_up = time.monotonic() + patience
            while time.monotonic() < give_up:
                journaled = self.control.get("/control/traffic", since=since, limit="100000")["messages"]
                mine = [m for m in journaled if str(m.get("sender")) in own]
                if mine:
                    message = mine[0]
                    kind = (message.get("directive") or {}).get("kind") or message.get("kind")
                    return [f"{kind} {message['message_id']} from {message['sender']}"]
                time.sleep(0.1)
            return []
        finally:
            self._put_faults()

    def _restart_cms(self, elapsed: float) -> None:
        if not self.cms:
            self._note(elapsed, "restart of the CMS skipped", "a vendor SUT is restarted by the vendor")
            return
        # One process after the other: the states of the others keep sending to those that are away.
        started = time.monotonic()
        for process, sut_urls in self.cms.items():
            began = time.monotonic()
            process.restart_warm(CMS_MODULES)
            for url in sut_urls:
                JsonClient(url).call("PUT", "/sut/v1/clock", body={"follow_network_clock": True})
            what = "the reference CMS" if len(sut_urls) == 1 else f"the host of {len(sut_urls)} states' CMSs"
            self._note(elapsed + began - started, f"restart of {what}", f"back in {time.monotonic() - began:.1f} s")

    def finish(self) -> None:
        """Wait for the faults still under way (a restart), then clear the faults."""
        for pending in self._pending:
            pending.result()
        self._worker.shutdown()
        try:
            self.control.call("DELETE", "/control/faults")
        except LoadHttpError as exc:
            self._note(self.duration, "faults not cleared", str(exc))
