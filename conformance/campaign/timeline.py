"""The campaign's single network timeline: moving the clock and waiting for the SUT to settle.

One virtual timeline per campaign. Every scenario is injected into the same network timeline, so
that days of network time pass in seconds: the harness sets the simulators' virtual clock (which
stays frozen between moves), the SUT follows it (`PUT /sut/v1/clock`), and after every move the
harness waits until the SUT has settled before it looks at what happened.

Step boundaries. The clock moves from one boundary to the next, and the boundaries are the union of
- every scheduled harness action (a request sent on a Saturday at 02:00, a clarification answered
  two days later, a judicial authorisation granted, a SIENA outage window opening or closing) and the
  end of every wait of a scenario,
- the SUT's own next planned action (`GET /sut/v1/agenda` -> next_action_at) when it offers it,
- while the SUT's agenda does not say where all its actions lie (see below): every legal deadline of
  interest, in both readings (elapsed and Reg 1182/71), and every tolerance a check compares against
  ("immediately", "after the grant", the copy tolerance),
- and at most `max_step` (6 h by default) after the previous boundary; when the SUT offers an agenda
  that keeps up with the clock, its next action is known and the safety-net step is
  `max_step_with_agenda` (24 h by default); when only long-horizon waits remain, 30 days (or straight
  to the next boundary when the agenda names every action).

Why deadlines may have to be boundaries: the clock is frozen during a step and jumps at its end, so a
CMS action planned for some moment inside a step is carried out, and stamped, at the step's end. As
long as no step crosses a deadline, that later stamp is still at or before the deadline, so an answer
planned in time can never be stamped late: the move of the clock can delay a stamp but never turn an
in-time answer into a late one (a wrong verdict). A planned action after the deadline stays after it.
Equality counts as in time ("at the latest within"). A SUT that offers the quiescence signal and an
agenda that keeps up with the clock names its next action itself, and the clock never passes it: no
action of its lies inside a step, and the deadlines need not be boundaries (`agenda_steps`). Should
it send something at a moment its agenda did not name (and no delivery to it at that instant explains
it), the harness notes it and makes the deadlines and tolerances boundaries again.

No move where nothing can happen. When the SUT's agenda names no action at or before the next
boundary (and names every action), only the harness can act there: the campaign's time goes there and
the scenarios waiting for it wake, but the network clock is moved only before their first call of the
network or the SUT (`defer_to`). Scenarios that only wait again cost no move and no settle.

Settling on the SUT's signal. After each move, and after the harness acted, the harness asks the SUT
for its quiescence signal (`GET /sut/v1/agenda?wait=`), which answers once the SUT has nothing due at
or before the current network time and no received message unprocessed. The SUT has settled when it
said so at the current network time and every delivery to it at this instant in the channels' journal
read after that answer (the channels' record, not the SUT's word) had been acknowledged, hence was in
its hands, before it was asked; whatever else it did at this instant is in that read. A delivery still
unacknowledged is waited for (briefly, looking again) before the SUT is asked. The clock does not
move while the SUT reports work due: the harness waits up to `settle_timeout` real seconds, then
notes a settle timeout (counted in results.json and described in the run's notes), and after three
such steps in a row stops trusting the agenda.
Right after a clock move at which nothing was stamped and the SUT's next action still lies ahead,
there is nothing to ask; right after a move to an action the agenda named, the journal is read only
after the answer. None of this depends on how fast the machine is, only on what the SUT says.

Settling on a quiet period (the fallback, for a SUT without the signal; reported as the weaker mode
`quiet-period` in results.json). The harness polls the journal messages stamped at the current
network time (with their delivery acknowledgements) and the SUT's agenda (`next_action_at`,
`pending`) when offered. The SUT has settled when nothing changed for a short quiet period, every
message addressed to the SUT at this instant is acknowledged, and the agenda's next action lies after
now. A due action or an unacknowledged delivery holds a step only for a bounded real time (an agenda
that keeps reporting due actions that never happen is distrusted after three steps), and a real-time
timeout bounds every wait; both are noted in the ledger. Without an agenda the quiet period is longer
and the clock moves in `max_step` increments. A SUT slower than the quiet period on a loaded machine
can make this mode's verdicts depend on the load: hence the signal.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from conformance.actors import NetworkControl
from conformance.ledger import Ledger, Observed
from conformance.settings import CampaignSettings
from conformance.sut import ReportedAgenda, SutClient

__all__ = ["QUIET_PERIOD", "SIGNAL", "Timeline"]

_POLL = 0.015
_UNACKED_LIMIT = 3.0  # real seconds an unacknowledged delivery to the SUT may hold up a step
_NO_AGENDA_QUIET = 0.4  # quiet period when the SUT offers no agenda (nothing positive to wait for)
_AGENDA_HOLD = 3.0  # real seconds a due action in the SUT's agenda may hold up a step
_SIGNAL_WAIT = 3.0  # real seconds one quiescence request may be held by the SUT
_UNACKED_POLL = 0.005  # real seconds between looks at a delivery to the SUT still in flight
SIGNAL = "quiescence-signal"
QUIET_PERIOD = "quiet-period"
_CLOCK_PROBE_SECONDS = 2.0  # real time mode: how long the network clock may stand still at the start
_CLOCK_STALL_SECONDS = 30.0  # real time mode: how long it may stand still while the campaign waits for it
_WAIT_LINE_SECONDS = 15.0  # real time mode: how often a long wait says what it waits for


class Timeline:
    """Owns the network clock during a campaign."""

    def __init__(
        self,
        network: NetworkControl,
        sut: SutClient,
        ledger: Ledger,
        settings: CampaignSettings,
        *,
        virtual: bool = True,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.network = network
        self.say = say
        self.sut = sut
        self.ledger = ledger
        self.settings = settings
        self.virtual = virtual
        self.now = settings.start_utc
        self.started_at = settings.start_utc
        self._boundaries: list[datetime] = []
        # Deadlines and tolerances a check judges against: boundaries only while the SUT's agenda does not say
        # where its actions lie (see `agenda_steps`).
        self._judged: list[datetime] = []
        # False once the SUT acted at a moment its agenda had not named: from then on its agenda alone does not
        # keep its stamps from being moved across a deadline.
        self._agenda_complete = True
        self._last_fetch: datetime | None = None
        self.agenda: ReportedAgenda | None = None
        self.steps = 0
        self.settle_timeouts = 0
        self._agenda_trusted = True
        self._stuck_steps = 0
        self._signal: bool | None = None  # whether the SUT offers the quiescence signal (None: not asked yet)
        self._real_still_since: float | None = None  # real time mode: since when the network clock stood still
        # The settle's last read of the journal, taken as `fetch` would take it; the fetch right after the settle
        # (the engine's, with nothing in between) uses it instead of reading the same messages again.
        self._settled_read: list[Observed] | None = None
        self._clock_set = False  # whether this timeline set the virtual clock (then `now` is the network's time)
        self._calls_at_fetch = -1  # the harness's calls (network and SUT) made when the journal was last fetched
        self._deferred: datetime | None = None  # the network time `now` stands at, the clock not yet moved there
        self._mover: asyncio.Task[None] | None = None

    # -- boundaries -------------------------------------------------------------------------

    @property
    def agenda_trusted(self) -> bool:
        """The SUT offers an agenda that has kept up with the network clock."""
        return self.agenda is not None and self._agenda_trusted

    @property
    def agenda_steps(self) -> bool:
        """The SUT's agenda says where all its actions lie: it offers the quiescence signal, its agenda has kept up
        with the clock and it never acted at a moment the agenda had not named. Then no SUT action lies inside a
        step, and the deadlines and tolerances need not be boundaries."""
        return bool(self._signal) and self.agenda_trusted and self._agenda_complete

    def mark(self, moment: datetime) -> None:
        """Make `moment` a step boundary (a scheduled harness action, the end of a wait)."""
        _insert(self._boundaries, moment, self.now)

    def mark_judged(self, moment: datetime) -> None:
        """A moment a check judges against (a deadline, a tolerance): a step boundary unless `agenda_steps`."""
        _insert(self._judged, moment, self.now)

    def next_boundary(self, horizon: datetime) -> datetime:
        """The next moment the clock may move to, at most `horizon`."""
        candidates = [horizon]
        for boundaries in (self._boundaries,) if self.agenda_steps else (self._boundaries, self._judged):
            index = bisect.bisect_right(boundaries, self.now)
            if index < len(boundaries):
                candidates.append(boundaries[index])
        agenda = self.agenda
        planned = agenda.next_action_at if agenda is not None and self._agenda_trusted else None
        if planned is not None and planned > self.now:
            candidates.append(planned)
        return min(candidates)

    # -- moving -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self.virtual:
            network_now = await self.network.clock()
            if network_now > self.settings.start_utc:
                raise RuntimeError(
                    f"the network clock is already at {network_now.isoformat()}, after the campaign start "
                    f"{self.settings.start_utc.isoformat()}, and it cannot go back: start the simulators with "
                    f"`spoc-harness serve --clock virtual --start` at or before that time and a fresh --data directory"
                )
            self.now = await self.network.set_clock(self.settings.start_utc)
            self._clock_set = True
            self.network.caller.before = self.sut.caller.before = self.moved
        else:
            self.now = await self._running_clock()
        self.started_at = self.now
        self.ledger.clock_steps.append(self.now)

    @property
    def set_network_time(self) -> datetime | None:
        """The network time as this timeline set the virtual clock; None before it did, and in real time mode."""
        return self.now if self._clock_set else None

    async def advance_to(self, moment: datetime) -> None:
        if moment <= self.now:
            return
        self._settled_read = None
        self._deferred = None  # a move deferred to an earlier moment is overtaken by this one
        if self.virtual:
            self.now = await self.network.set_clock(moment)
        else:
            await self._wait_in_real_time(moment)
        self.steps += 1
        self.ledger.clock_steps.append(self.now)

    def may_defer(self, moment: datetime) -> bool:
        """Whether the move to `moment` may wait for the harness's next call: the SUT's agenda names every action
        of the SUT's (`agenda_steps`) and none at or before `moment`. Only the harness could act there then."""
        planned = self.agenda.next_action_at if self.agenda is not None else None
        return self.virtual and self.agenda_steps and moment > self.now and (planned is None or planned > moment)

    def defer_to(self, moment: datetime) -> None:
        """Let the campaign's time reach `moment`, and move the network clock there only before the harness's
        next call of the network or the SUT (`HttpCaller.before`). Scenarios woken there that only wait again
        cost no move, no settle and no look at the journal: nothing can have happened at that instant."""
        self.now = moment
        self._deferred = moment
        self._settled_read = None

    async def moved(self) -> None:
        """Move the network clock to the deferred moment, if any, before a call; once for every call waiting."""
        if self._deferred is None or asyncio.current_task() is self._mover:
            return
        if self._mover is None:
            self._mover = asyncio.get_running_loop().create_task(self._move_deferred(), name="deferred-clock-move")
        await asyncio.shield(self._mover)

    async def _move_deferred(self) -> None:
        try:
            moment = self._deferred
            if moment is not None:
                self.now = await self.network.set_clock(moment)
                self.steps += 1
                self.ledger.clock_steps.append(self.now)
        finally:
            self._deferred, self._mover = None, None

    async def _running_clock(self) -> datetime:
        """Real time mode: the network time, once the network clock was seen running; refused if it stands still.

        Channels on a virtual clock (`serve --clock virtual` without `--rate`) stand still between moves, and
        in real time mode nobody moves them: every wait of the campaign would last for ever.
        """
        first = await self.network.clock()
        began = time.monotonic()
        while time.monotonic() - began < _CLOCK_PROBE_SECONDS:
            await asyncio.sleep(0.1)
            now = await self.network.clock()
            if now > first:
                return now
        raise RuntimeError(
            f"--time-mode real needs a running network clock, but the channels' clock stood still at "
            f"{_z(first)} for {_CLOCK_PROBE_SECONDS:g} s (a virtual clock, which only the harness moves): start "
            "the channels with `spoc-harness serve --clock system` (or `--clock virtual --rate 1`), or run "
            "this campaign with --time-mode virtual or declared and `serve --clock virtual --start`"
        )

    async def _wait_in_real_time(self, moment: datetime) -> None:
        """Real time mode: wait for the network clock to reach `moment`, saying so, and never for ever."""
        began = last_line = time.monotonic()
        moved_at, seen = began, await self.network.clock()
        while True:
            self.now = await self.network.clock()
            if self.now >= moment:
                return
            wall = time.monotonic()
            if self.now > seen:
                moved_at, seen = wall, self.now
            elif wall - moved_at > _CLOCK_STALL_SECONDS:
                raise RuntimeError(
                    f"the network clock stopped at {_z(self.now)} ({wall - moved_at:.0f} s without moving) while the "
                    f"campaign waited in real time for {_z(moment)}: was the channel server restarted on a "
                    "virtual clock?"
                )
            if self.say is not None and wall - last_line >= _WAIT_LINE_SECONDS:
                last_line = wall
                self.say(f"waiting in real time for network time {_z(moment)} (now {_z(self.now)}, "
                         f"{(moment - self.now).total_seconds():.0f} s to go; waited {wall - began:.0f} s)")
            await asyncio.sleep(min(0.5, max((moment - self.now).total_seconds(), 0.01)))

    async def real_tick(self, seconds: float) -> None:
        """Real-time mode: let real time pass and read the network clock."""
        self._settled_read = None
        await asyncio.sleep(seconds)
        now = await self.network.clock()
        wall = time.monotonic()
        if now > self.now or self._real_still_since is None:
            self._real_still_since = wall
        elif wall - self._real_still_since > _CLOCK_STALL_SECONDS:
            raise RuntimeError(
                f"the network clock stopped at {_z(now)} ({wall - self._real_still_since:.0f} s without moving) "
                "during a real time campaign: was the channel server restarted on a virtual clock?"
            )
        self.now = now

    # -- settling ---------------------------------------------------------------------------

    @property
    def settling(self) -> str:
        """How steps are settled: on the SUT's quiescence signal, or on a quiet period (the weaker fallback)."""
        return SIGNAL if self._signal and self._agenda_trusted else QUIET_PERIOD

    async def settle(self, *, after_actions: bool = False) -> bool:
        """Wait until the SUT has settled at the current network time; False when it only timed out."""
        if self._signal is not False and self._agenda_trusted:
            planned = self.agenda.next_action_at if self.agenda is not None else None
            settled = await self._settle_on_signal(after_actions=after_actions)
            if settled is not None:
                if not after_actions:
                    self._check_announced(planned)
                return settled
            self._signal = False
            self.ledger.notes.append(
                f"{_z(self.now)}: the SUT offers no quiescence signal (GET /sut/v1/agenda?wait=); steps are settled "
                f"on a quiet period of {self.settings.quiet_period:g} s, a weaker mode whose verdicts may depend on "
                "the machine's load"
            )
        return await self._settle_on_quiet(after_actions=after_actions)

    def _deliveries(self, at_now: list[Observed]) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
        """The deliveries to the SUT at this instant (message, party), and those of them not yet acknowledged.

        A delivery an outage the harness set holds back is not on its way: waiting for it would only cost time."""
        sut = self.ledger.sut_parties
        deliveries: set[tuple[str, str]] = set()
        unacked: set[tuple[str, str]] = set()
        for message in at_now:
            for party in message.recipients:
                if party in sut and not self.network.holds_back(message.channel, party):
                    deliveries.add((message.message_id, party))
                    if not message.acknowledged_by(party):
                        unacked.add((message.message_id, party))
        return frozenset(deliveries), frozenset(unacked)

    # Long: one loop of ask and look, whose exits (settled, stuck, timed out, no signal) share its state.
    async def _settle_on_signal(self, *, after_actions: bool) -> bool | None:
        """Settle on the SUT's word that it is idle at this network time; None when it does not offer the signal.

        Settled once the SUT said it was idle and every delivery to it at this instant in the journal read after
        that answer had been acknowledged (so was in its hands) before it was asked: its answer covers them, and
        whatever else it did is in that read. Right after a move to an action the agenda named, the journal is not
        read before asking: nothing can have been delivered at an instant the harness has not acted at yet but what
        the read after the answer shows."""
        began = time.monotonic()
        planned = self.agenda.next_action_at if self.agenda is not None else None
        due = planned is not None and planned <= self.now
        at_now: list[Observed] | None = None
        if not (self._signal and not after_actions and due):
            at_now = await self._at_now()
            if self._signal and not after_actions and not at_now and not due:
                return True  # nothing stamped at this instant and the SUT's next action lies ahead: nothing to ask
        covered: frozenset[tuple[str, str]] | None = None  # acknowledged before the SUT last said it was idle
        acked: frozenset[tuple[str, str]] = frozenset()
        while True:
            waited = time.monotonic() - began
            deliveries = unacked = frozenset[tuple[str, str]]()
            if at_now is not None:
                deliveries, unacked = self._deliveries(at_now)
                acked = deliveries - unacked
                if covered is not None and (deliveries <= covered or (waited >= _UNACKED_LIMIT
                                                                      and deliveries - covered <= unacked)):
                    if unacked:
                        self.ledger.notes.append(
                            f"{_z(self.now)}: {len(unacked)} delivery(ies) to the SUT still unacknowledged after "
                            f"{_UNACKED_LIMIT:g} s of real time while the SUT said it was idle; the step ended anyway"
                        )
                    self._note_stuck(False)
                    return True
            if waited > self.settings.settle_timeout:
                self._note_stuck(covered is None)  # three steps in a row with work due that never happened: distrusted
                return self._timed_out(len(at_now or ()), len(unacked))
            if unacked and waited < _UNACKED_LIMIT:
                # A delivery to the SUT still on its way: the SUT's answer would not cover it. Look again shortly.
                await asyncio.sleep(_UNACKED_POLL)
                at_now = await self._at_now()
                continue
            agenda = await self.sut.quiescence(min(_SIGNAL_WAIT, self.settings.settle_timeout - waited + 0.01))
            if agenda is None:
                return None
            self._signal, self.agenda = True, agenda
            # `agenda.now` is the SUT's word on its time: one that does not follow the network clock still says
            # when it is idle, and is judged on what it recorded (its checks fail), not held here.
            covered = acked if agenda.idle else None
            at_now = await self._at_now()

    def _check_announced(self, planned: datetime | None) -> None:
        """After a move (before the harness acted): did the SUT send something at this instant that neither its agenda
        named nor a delivery to it at this instant explains? Then its agenda does not name every action, and the
        deadlines and tolerances become step boundaries again (an action inside a step is stamped at its end)."""
        if not self._agenda_complete or (planned is not None and planned <= self.now) or self._settled_read is None:
            return
        sut = set(self.ledger.sut_parties)
        at_now = [m for m in self._settled_read if m.created_at >= self.now]
        if any(m.sender not in sut and sut.intersection(m.recipients) for m in at_now):
            return  # a delivery to the SUT at this instant: what it sent may answer it
        unannounced = [m.message_id for m in at_now if m.sender in sut]
        if unannounced:
            self._agenda_complete = False
            self.ledger.notes.append(
                f"{_z(self.now)}: the SUT sent {', '.join(unannounced)} at a moment its agenda did not name (its next "
                f"action was {_z(planned) if planned else 'none'}); from here on every deadline and tolerance is a "
                "step boundary again"
            )

    def _timed_out(self, at_now: int, unacked: int) -> bool:
        self.settle_timeouts += 1
        self.ledger.notes.append(
            f"{_z(self.now)}: the SUT had not settled after {self.settings.settle_timeout:g} s "
            f"(messages at this instant: {at_now}, unacknowledged: {unacked}, agenda: "
            f"{self.agenda.model_dump(mode='json') if self.agenda else 'not offered'})"
        )
        return False

    async def _settle_on_quiet(self, *, after_actions: bool = False) -> bool:
        """Wait until the SUT is quiet at the current network time; False when it only timed out.

        Right after a clock move with nothing stamped at the new instant and the SUT's next action still
        ahead (its agenda), there is nothing to wait for. After the harness acted (a message, a fault
        cleared, a decision) the quiet period is always waited for, since the effects may still be on
        their way.
        """
        began = time.monotonic()
        quiet = self.settings.quiet_period
        last: tuple[object, ...] | None = None
        stable_since = began
        agenda_stuck = False
        while True:
            at_now = await self._at_now()
            unacked = sum(
                1 for m in at_now
                for p in m.recipients if p in self.ledger.sut_parties and not m.acknowledged_by(p)
            )
            self.agenda = await self.sut.agenda()
            if self.agenda is None:
                quiet = max(quiet, _NO_AGENDA_QUIET)
            waited = time.monotonic() - began
            acting = (
                self.agenda is not None
                and self.agenda.next_action_at is not None
                and self.agenda.next_action_at <= self.now
                and self._agenda_trusted
            )
            if last is None and not after_actions and not at_now and not acting and self.agenda_trusted:
                # Nothing happened at this instant and the SUT's next action lies ahead: nothing to wait for.
                self._note_stuck(False)
                return True
            # A due action may hold the step only for a while: a CMS whose agenda does not move with
            # the network clock would otherwise hold every step until the timeout.
            agenda_stuck = acting and waited > _AGENDA_HOLD
            holding = (acting and not agenda_stuck) or (unacked > 0 and waited < _UNACKED_LIMIT)
            signature = (
                len(at_now), unacked,
                self.agenda.next_action_at if self.agenda else None, self.agenda.pending if self.agenda else None,
            )
            now = time.monotonic()
            if signature != last or holding:
                last, stable_since = signature, now
            elif now - stable_since >= quiet:
                self._note_stuck(agenda_stuck)
                return True
            if waited > self.settings.settle_timeout:
                self.settle_timeouts += 1
                self._note_stuck(agenda_stuck)
                self.ledger.notes.append(
                    f"{_z(self.now)}: the SUT had not settled after {self.settings.settle_timeout:g} s "
                    f"(messages at this instant: {len(at_now)}, unacknowledged: {unacked}, agenda: "
                    f"{self.agenda.model_dump(mode='json') if self.agenda else 'not offered'})"
                )
                return False
            await asyncio.sleep(_POLL)

    def _note_stuck(self, stuck: bool) -> None:
        self._stuck_steps = self._stuck_steps + 1 if stuck else 0
        if self._stuck_steps >= 3 and self._agenda_trusted:
            self._agenda_trusted = False
            self.ledger.notes.append(
                f"{_z(self.now)}: the SUT's agenda kept reporting due actions that did not happen for three "
                "steps in a row; from here on the harness settles on quiet traffic alone (does the SUT follow "
                "the network clock?)"
            )

    def _fetch_start(self) -> datetime | None:
        return self._last_fetch - timedelta(seconds=1) if self._last_fetch else None

    async def _at_now(self) -> list[Observed]:
        """The journal messages stamped at the current network time.

        Read as `fetch` reads (every message since its last read, a superset) and kept: a settle ends on the
        journal's state once the SUT is idle, which is what the fetch right after it would read again."""
        read = await self.network.traffic(since=self._fetch_start())
        self._settled_read = read
        return [m for m in read if m.created_at >= self.now]  # the channels' own `since` test, on the same stamps

    async def fetch(self) -> list[Observed]:
        """New journal messages since the last fetch, merged into the ledger (fresh ones returned)."""
        messages, self._settled_read = self._settled_read, None
        if messages is None:
            messages = await self.network.traffic(since=self._fetch_start())
        self._last_fetch = self.now
        self._calls_at_fetch = self._calls()
        return self.ledger.observe(messages)

    def _calls(self) -> int:
        return self.network.caller.calls + self.sut.caller.calls

    @property
    def touched_since_fetch(self) -> bool:
        """Whether the harness called the network or the SUT since the journal was last fetched (after a settle):
        scenarios that woke and only waited again changed nothing the SUT must settle on, nor the journal."""
        return self._calls() != self._calls_at_fetch

    async def fetch_all(self) -> None:
        """The whole journal, so that every message carries its final acknowledgement state.

        In real time mode the network clock is read afresh after it: `now` is otherwise only read while the
        engine waits, and a phase whose scenarios never had to wait would end (and export) at a stale time,
        before messages it observed.
        """
        self.ledger.observe(await self.network.traffic())
        if not self.virtual:
            self.now = max(self.now, await self.network.clock())


def _insert(boundaries: list[datetime], moment: datetime, now: datetime) -> None:
    if moment > now:
        index = bisect.bisect_left(boundaries, moment)
        if index == len(boundaries) or boundaries[index] != moment:
            boundaries.insert(index, moment)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
