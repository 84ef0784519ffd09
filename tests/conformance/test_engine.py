"""The scheduler of the shared timeline: steps stop at every boundary, scenarios wake on time and on messages.

The engine is run against an in-memory timeline that records every clock move, so that the property the
verdicts rest on can be checked directly: no step of the clock ever crosses a boundary (a deadline, a
tolerance, a scheduled action), and no step is longer than the maximum step.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.campaign.engine import Engine, deadline_marks
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.settings import CampaignSettings

START = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


class MemoryTimeline:
    """Duck-typed stand-in for conformance.campaign.timeline.Timeline (no network)."""

    virtual = True
    agenda_trusted = False
    touched_since_fetch = True  # settle after every action, as against a SUT
    agenda_steps = False

    def may_defer(self, moment: datetime) -> bool:
        return False

    def __init__(self, settings: CampaignSettings, emit: dict[datetime, list[Observed]] | None = None) -> None:
        self.settings = settings
        self.now = START
        self.started_at = START
        self.ledger = Ledger(seed=1)
        self.moves: list[datetime] = [START]
        self.marks: list[datetime] = []
        self._emit = emit or {}
        for when in self._emit:  # what the SUT will send is on its agenda, hence a boundary
            self.mark(when)

    def mark(self, moment: datetime) -> None:
        if moment > self.now and moment not in self.marks:
            bisect.insort(self.marks, moment)

    def next_boundary(self, horizon: datetime) -> datetime:
        later = [m for m in self.marks if m > self.now]
        return min([horizon, *later])

    async def advance_to(self, moment: datetime) -> None:
        self.now = moment
        self.moves.append(moment)

    async def settle(self, *, after_actions: bool = False) -> bool:
        return True

    async def fetch(self) -> list[Observed]:
        due = [m for when, messages in self._emit.items() if when <= self.now for m in messages]
        for when in [w for w in self._emit if w <= self.now]:
            del self._emit[when]
        return self.ledger.observe(due)


def _message(message_id: str, at: datetime, in_reply_to: str | None = None) -> Observed:
    return Observed(message_id=message_id, channel="SIENA", sender="SPOC-AT", to=["SPOC-DE"], created_at=at,
                    in_reply_to=in_reply_to, directive={"kind": "REPLY", "case_reference": "DE-1", "language": "en"})


def _run(engine: Engine, scenarios: list[tuple[str, object]]) -> None:
    asyncio.run(engine.run(scenarios))  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=1, max_value=10 * 24 * 60), min_size=1, max_size=8),
    marks=st.lists(st.integers(min_value=1, max_value=12 * 24 * 60), max_size=8),
)
def test_no_step_crosses_a_boundary_or_exceeds_the_maximum(offsets: list[int], marks: list[int]) -> None:
    campaign = CampaignSettings()
    timeline = MemoryTimeline(campaign)

    async def scenario_body() -> None:
        for minutes in sorted(offsets):
            await engine.at(START + timedelta(minutes=minutes))

    engine = Engine(timeline, campaign, progress=lambda _: None)  # type: ignore[arg-type]
    for minutes in marks:
        timeline.mark(START + timedelta(minutes=minutes))
    wanted = {START + timedelta(minutes=m) for m in [*offsets, *marks] if m <= max(offsets)}
    _run(engine, [("s", scenario_body)])
    moves = timeline.moves
    assert wanted <= set(moves), "every boundary before the end is a step of the clock"
    for before, after in itertools.pairwise(moves):
        assert after - before <= campaign.max_step
        assert not any(before < b < after for b in wanted), "a step jumped over a boundary"


def test_wait_for_wakes_on_the_message_and_times_out_otherwise() -> None:
    campaign = CampaignSettings()
    reply_at = START + timedelta(hours=3)
    timeline = MemoryTimeline(campaign, emit={reply_at: [_message("SIENA-2", reply_at, "SIENA-1")]})
    engine = Engine(timeline, campaign, progress=lambda _: None)  # type: ignore[arg-type]
    seen: dict[str, object] = {}

    async def waits_for_reply() -> None:
        found = await engine.wait_for(lambda m: m.in_reply_to == "SIENA-1", until=START + timedelta(hours=8))
        seen["reply"] = (found.message_id if found else None, engine.now)

    async def waits_in_vain() -> None:
        found = await engine.wait_for(lambda m: m.in_reply_to == "SIENA-9", until=START + timedelta(hours=5))
        seen["none"] = (found, engine.now)

    _run(engine, [("a", waits_for_reply), ("b", waits_in_vain)])
    assert seen["reply"] == ("SIENA-2", reply_at)
    assert seen["none"] == (None, START + timedelta(hours=5))


def test_a_failing_scenario_is_recorded_and_does_not_stop_the_others() -> None:
    campaign = CampaignSettings()
    timeline = MemoryTimeline(campaign)
    engine = Engine(timeline, campaign, progress=lambda _: None)  # type: ignore[arg-type]
    finished: list[str] = []

    async def breaks() -> None:
        await engine.at(START + timedelta(hours=1))
        raise RuntimeError("the SUT refused the stimulus")

    async def goes_on() -> None:
        await engine.at(START + timedelta(hours=2))
        finished.append("goes_on")

    _run(engine, [("breaks", breaks), ("goes_on", goes_on)])
    assert finished == ["goes_on"]
    assert "the SUT refused the stimulus" in engine.failures["breaks"]
    assert any("breaks" in note for note in timeline.ledger.notes)


def test_deadline_marks_cover_both_readings_both_limits_and_the_suspension() -> None:
    campaign = CampaignSettings()
    received = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)  # the night before the DST change in Vienna
    exchange = Exchange(key="k", scenario="s", requirements=["R-10"], kind=ExchangeKind.INCOMING_REQUEST,
                        title="t", urgent=True)
    marks = deadline_marks(exchange, received, campaign)
    assert received + timedelta(hours=8) in marks
    assert received + timedelta(days=3) in marks
    assert any(m > received + timedelta(hours=8) and m < received + timedelta(hours=10) for m in marks)
    exchange.add_event("clarification_requested", received + timedelta(hours=1))
    exchange.add_event("clarification_received", received + timedelta(days=2, hours=1))
    assert received + timedelta(days=2, hours=8) in deadline_marks(exchange, received, campaign)
