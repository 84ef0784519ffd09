"""The stepping protocol against a scripted network and SUT: what an idle answer covers, which moments are
boundaries, and when the network clock is moved.

The network's journal and the SUT's answers are scripted, so that each test fixes the order of events a
loaded machine could produce (a delivery acknowledged only after the SUT said it was idle).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.campaign.timeline import Timeline
from conformance.ledger import Ledger, Observed
from conformance.settings import CampaignSettings
from conformance.sut import ReportedAgenda

START = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
SUT = "SPOC-AT"


class ScriptedCaller:
    calls = 0
    before: Any = None


class ScriptedNetwork:
    """The journal as successive reads return it (the last read repeats), and the clock moves asked for."""

    def __init__(self, reads: Sequence[list[Observed]] = ()) -> None:
        self.caller = ScriptedCaller()
        self.reads = list(reads)
        self.moves: list[datetime] = []
        self.events: list[str] = []

    async def clock(self) -> datetime:
        return START

    async def set_clock(self, moment: datetime) -> datetime:
        self.moves.append(moment)
        self.events.append("move")
        return moment

    async def traffic(self, *, since: datetime | None = None) -> list[Observed]:
        self.events.append("read")
        return self.reads.pop(0) if len(self.reads) > 1 else list(self.reads[0] if self.reads else [])

    def holds_back(self, channel: str, party: str) -> bool:
        return False


class ScriptedSut:
    """Answers every quiescence request idle at once, with the agenda given."""

    def __init__(self, network: ScriptedNetwork, next_action_at: datetime | None = None) -> None:
        self.caller = ScriptedCaller()
        self.network = network
        self.next_action_at = next_action_at

    async def quiescence(self, wait: float) -> ReportedAgenda:
        self.network.events.append("ask")
        return ReportedAgenda(next_action_at=self.next_action_at, pending=0, idle=True)


def _delivery(at: datetime, *, acked: bool, message_id: str = "SIENA-1") -> Observed:
    acks = [{"party": SUT, "status": "DELIVERED"}] if acked else []
    return Observed(message_id=message_id, channel="SIENA", sender="SPOC-DE", to=[SUT], created_at=at, acks=acks)


def _sent_by_sut(at: datetime, message_id: str = "SIENA-2") -> Observed:
    return Observed(message_id=message_id, channel="SIENA", sender=SUT, to=["SPOC-DE"], created_at=at)


async def _timeline(network: ScriptedNetwork, sut: ScriptedSut) -> Timeline:
    timeline = Timeline(network, sut, Ledger(seed=1, sut_parties=[SUT]), CampaignSettings())  # type: ignore[arg-type]
    await timeline.start()
    network.events.clear()
    network.moves.clear()
    return timeline


def test_an_idle_answer_covers_only_deliveries_acknowledged_before_it_was_asked() -> None:
    async def scenario() -> list[str]:
        network = ScriptedNetwork([[_delivery(START, acked=False)], [_delivery(START, acked=True)]])
        timeline = await _timeline(network, ScriptedSut(network))
        assert await timeline.settle(after_actions=True)
        return network.events

    # The delivery still in flight is waited for before the SUT is asked: an idle answer given before the SUT held
    # the message would not cover it (its planned answer would be missing from the agenda the clock steps on).
    assert asyncio.run(scenario()) == ["read", "read", "ask", "read"]


def test_after_a_move_to_an_action_the_agenda_named_the_journal_is_read_once_after_the_answer() -> None:
    async def scenario() -> list[str]:
        network = ScriptedNetwork([[_sent_by_sut(START + timedelta(hours=1))]])
        sut = ScriptedSut(network)
        timeline = await _timeline(network, sut)
        timeline.agenda = ReportedAgenda(next_action_at=START + timedelta(hours=1), pending=1)
        timeline._signal = True
        await timeline.advance_to(START + timedelta(hours=1))
        assert await timeline.settle()
        return network.events

    assert asyncio.run(scenario()) == ["move", "ask", "read"]


def test_deadlines_are_boundaries_only_while_the_agenda_does_not_name_every_action() -> None:
    async def scenario() -> tuple[datetime, datetime, datetime]:
        network = ScriptedNetwork([[]])
        timeline = await _timeline(network, ScriptedSut(network))
        deadline, action = START + timedelta(hours=8), START + timedelta(hours=10)
        timeline.mark_judged(deadline)
        horizon = START + timedelta(days=1)
        without_agenda = timeline.next_boundary(horizon)
        timeline.agenda = ReportedAgenda(next_action_at=action, pending=1)
        timeline._signal = True
        with_agenda = timeline.next_boundary(horizon)
        timeline._agenda_complete = False
        incomplete = timeline.next_boundary(horizon)
        return without_agenda, with_agenda, incomplete

    without_agenda, with_agenda, incomplete = asyncio.run(scenario())
    assert without_agenda == START + timedelta(hours=8)
    assert with_agenda == START + timedelta(hours=10)  # the clock never passes the SUT's action: no deadline stop
    assert incomplete == START + timedelta(hours=8)


def test_a_sut_acting_at_a_moment_its_agenda_did_not_name_gets_the_deadline_boundaries_back() -> None:
    async def scenario() -> tuple[bool, list[str]]:
        moment = START + timedelta(hours=2)
        network = ScriptedNetwork([[_sent_by_sut(moment)]])
        timeline = await _timeline(network, ScriptedSut(network, START + timedelta(hours=5)))
        timeline.agenda = ReportedAgenda(next_action_at=START + timedelta(hours=5), pending=1)
        timeline._signal = True
        await timeline.advance_to(moment)
        assert await timeline.settle()
        return timeline.agenda_steps, timeline.ledger.notes

    agenda_steps, notes = asyncio.run(scenario())
    assert not agenda_steps
    assert any("its agenda did not name" in note for note in notes)


def test_a_deferred_move_happens_once_before_the_first_call_and_not_at_all_without_one() -> None:
    async def scenario() -> tuple[list[datetime], list[datetime], datetime]:
        network = ScriptedNetwork([[]])
        timeline = await _timeline(network, ScriptedSut(network))
        timeline.agenda = ReportedAgenda(next_action_at=None, pending=0)
        timeline._signal = True
        quiet, acted = START + timedelta(hours=1), START + timedelta(hours=2)
        assert timeline.may_defer(quiet)
        timeline.defer_to(quiet)
        assert timeline.now == quiet
        timeline.defer_to(acted)  # nobody called at `quiet`: the clock never went there
        moves_before_call = list(network.moves)
        await asyncio.gather(timeline.moved(), timeline.moved())  # two scenarios calling at once
        return moves_before_call, network.moves, timeline.now

    before_call, moves, now = asyncio.run(scenario())
    assert before_call == []
    assert moves == [START + timedelta(hours=2)]
    assert now == START + timedelta(hours=2)
