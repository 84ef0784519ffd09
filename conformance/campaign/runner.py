"""One campaign: select the scenarios, load their fixtures, run them on one timeline, collect exports.

Phase 1 runs every selected scenario on the shared timeline and ends with a snapshot of the SUT's
exports (cases, audit log, statistics); phase 2 (the retention review) then lets months of network
time pass and takes the exports again, since a CMS that erases concluded cases would no longer
export what the other checks need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from conformance.actors import NetworkControl
from conformance.campaign.engine import Engine
from conformance.campaign.http import HttpCaller
from conformance.campaign.timeline import Timeline
from conformance.ledger import Ledger
from conformance.scenarios.base import Scenario, ScenarioContext
from conformance.scenarios.data import ScenarioData
from conformance.settings import CampaignSettings, TimeMode
from conformance.sut import ExportedAuditEntry, ExportedCaseRecord, ManualStepNotDone, SutClient, SutInfo

__all__ = ["CampaignResult", "Endpoints", "Exports", "Progress", "run_campaign"]


@dataclass(frozen=True)
class Endpoints:
    channels_url: str
    control_token: str
    sut_url: str
    sut_token: str | None = None


@dataclass
class Exports:
    """What the SUT exported at one moment of the campaign."""

    at: datetime
    cases: list[ExportedCaseRecord] = field(default_factory=list)
    audit: list[ExportedAuditEntry] = field(default_factory=list)
    statistics: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def case_of(self, message_id: str | None, reference: str | None = None) -> ExportedCaseRecord | None:
        if message_id:
            for case in self.cases:
                if case.communication(message_id) is not None:
                    return case
        if reference:
            return next((c for c in self.cases if c.reference == reference), None)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "cases": [c.model_dump(mode="json") for c in self.cases],
            "audit": [e.model_dump(mode="json") for e in self.audit],
            "statistics": {str(k): v for k, v in self.statistics.items()},
            "errors": self.errors,
        }


@dataclass
class CampaignResult:
    settings: CampaignSettings
    ledger: Ledger
    info: SutInfo
    scenarios: list[str]
    requirements: list[str]
    network_start: datetime
    network_end: datetime
    wall_seconds: float
    steps: int
    exports: Exports
    final_exports: Exports | None = None
    statistics_before: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    scenario_failures: dict[str, str] = field(default_factory=dict)
    settle_timeouts: int = 0
    # "quiescence-signal" (steps settled on the SUT's GET /sut/v1/agenda?wait=) or the weaker "quiet-period".
    settling: str = "quiescence-signal"
    sut_follows_clock: bool = True
    main_end: datetime | None = None  # network time when the main timeline (phase 1) ended
    # The network's verification of its journal at the end (`/control/journal/verify`): ok, entries, head.
    channel_journal: dict[str, Any] | None = None
    harness_calls: int = 0  # HTTP calls the harness made of the network and the SUT (round trips)


class Progress:
    """Receives progress reports; the CLI renders them with rich, tests ignore them."""

    def phase(self, name: str) -> None:
        """A new phase of the run began."""

    def update(self, network_time: datetime, done: int, total: int) -> None:
        """The clock moved; `done` of `total` scenarios are finished."""

    def say(self, text: str) -> None:
        """A line for a person (manual steps)."""
        print(text)


def _statistics_years(settings: CampaignSettings) -> list[int]:
    year = settings.start_utc.year
    return [year, year - 1]


async def _exports(sut: SutClient, settings: CampaignSettings, at: datetime) -> Exports:
    exports = Exports(at=at)
    try:
        exports.cases = await sut.cases()
    except Exception as exc:  # an export the SUT cannot give makes checks inconclusive, not the run
        exports.errors.append(f"cases: {exc}")
    try:
        exports.audit = await sut.audit_log()
    except Exception as exc:
        exports.errors.append(f"audit-log: {exc}")
    for year in _statistics_years(settings):
        try:
            exports.statistics[year] = await sut.statistics(year)
        except Exception as exc:
            exports.statistics[year] = None
            exports.errors.append(f"statistics {year}: {exc}")
    return exports


# Long: the campaign's phases in the order they happen, all sharing one HTTP session,
# ledger and timeline; apart, each phase would need every one of them passed in.
async def run_campaign(
    settings: CampaignSettings,
    endpoints: Endpoints,
    requirement_ids: Sequence[str],
    *,
    progress: Progress | None = None,
    command: str = "",
    scenario_names: Sequence[str] | None = None,
    journal_since_verified: bool = False,
) -> CampaignResult:
    """Run the scenarios the requirements need against the SUT and return everything observed.

    `journal_since_verified`: the network verifies only its journal's entries after those it verified last (a
    network reused run after run, whose whole journal is verified once its runs are done)."""
    progress = progress or Progress()
    began = time.monotonic()
    ledger = Ledger(seed=settings.seed, command=command)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        clock_now: Callable[[], datetime] = lambda: timeline.now  # noqa: E731
        network = NetworkControl(HttpCaller(session, endpoints.channels_url, ledger,
                                            token=endpoints.control_token, now=lambda: clock_now()))
        # Once the timeline owns the clock, every call of the SUT interface tells the network time it set
        # (docs/sut-interface.md, Clock): a CMS need not ask the channels for it first.
        owner: list[Timeline] = []
        sut = SutClient(HttpCaller(session, endpoints.sut_url, ledger, token=endpoints.sut_token,
                                   now=lambda: clock_now(),
                                   network_time=lambda: owner[0].set_network_time if owner else None),
                        manual_timeout=settings.manual_timeout, announce=progress.say)
        info = await sut.info()
        ledger.sut_parties = sorted(set(info.parties) | {f"SPOC-{settings.sut_state}"})
        virtual = settings.time_mode is not TimeMode.REAL
        timeline = Timeline(network, sut, ledger, settings, virtual=virtual, say=progress.say)
        owner.append(timeline)
        follows = True
        if virtual:
            follows = await sut.follow_network_clock()
            if not follows:
                ledger.notes.append("the SUT refused to follow the network clock (PUT /sut/v1/clock)")
        progress.phase("starting the network timeline")
        await timeline.start()
        years = _statistics_years(settings)  # read together: neither changes anything
        read = await asyncio.gather(*(sut.statistics(year) for year in years))
        statistics_before = dict(zip(years, read, strict=True))

        # Start-up time: the library (the generated plan is made on import) is imported in the background while
        # the network starts (scenarios/preparation.py); here the campaign waits for it if it must.
        from conformance.scenarios.library import scenarios_for

        chosen = [cls for cls in scenarios_for(requirement_ids)
                  if scenario_names is None or cls.name in scenario_names]
        scenarios: list[Scenario] = [cls(ScenarioData(settings.seed, cls.name)) for cls in chosen]
        records = [record for scenario in scenarios for record in scenario.fixtures()]
        if records:
            try:
                await sut.perform(
                    "fixtures|fixtures.replace", lambda: _put(sut, records),
                    instructions=f"load these {len(records)} records into the national databases: {records}",
                    evidence=_nothing,
                )
            except ManualStepNotDone as exc:
                ledger.notes.append(f"fixtures not loaded: {exc}")
        failures: dict[str, str] = {}

        async def run_phase(phase: int, label: str) -> None:
            members = [s for s in scenarios if s.phase == phase]
            if not members:
                return
            progress.phase(label)
            engine = Engine(timeline, settings, progress=lambda _: progress.update(
                timeline.now, len(engine.done), engine.total))

            def body(scenario: Scenario) -> Callable[[], Any]:
                ctx = ScenarioContext(name=scenario.name, engine=engine, network=network, sut=sut, ledger=ledger,
                                      settings=settings, info=info)
                return lambda: scenario.run(ctx)

            await engine.run([(s.name, body(s)) for s in members])
            failures.update(engine.failures)

        await run_phase(1, "running the scenarios")
        await timeline.fetch_all()
        progress.phase("collecting the SUT's exports")
        exports = await _exports(sut, settings, timeline.now)
        main_end = timeline.now
        final_exports = None
        if any(s.phase == 2 for s in scenarios):
            await run_phase(2, "retention review (months of network time)")
            await timeline.fetch_all()
            final_exports = await _exports(sut, settings, timeline.now)
        # Last: the journal the verdicts rest on, verified by the network, and its head recorded here,
        # outside the database, where a later edit of the database cannot reach it.
        progress.phase("verifying the channel journal")
        channel_journal = await network.verify_journal(since_verified=journal_since_verified)
        if not channel_journal.get("ok"):
            ledger.notes.append(f"the channel journal failed verification: {channel_journal.get('detail')}")
        return CampaignResult(
            settings=settings, ledger=ledger, info=info, scenarios=[s.name for s in scenarios],
            requirements=list(requirement_ids), network_start=timeline.started_at,
            network_end=max(timeline.now, timeline.started_at), wall_seconds=time.monotonic() - began,
            steps=timeline.steps, exports=exports, final_exports=final_exports,
            statistics_before=statistics_before, scenario_failures=failures,
            settle_timeouts=timeline.settle_timeouts, settling=timeline.settling,
            sut_follows_clock=follows, main_end=main_end, channel_journal=channel_journal,
            harness_calls=network.caller.calls + sut.caller.calls,
        )


async def _put(sut: SutClient, records: list[dict[str, Any]]) -> dict[str, Any]:
    await sut.put_fixtures(records)
    return {"records": len(records)}


async def _nothing() -> dict[str, Any] | None:
    return None


def span(result: CampaignResult) -> timedelta:
    return result.network_end - result.network_start
