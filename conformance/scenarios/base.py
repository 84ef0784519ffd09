"""What a scenario is, what it may do, and the registry the campaign selects from.

A scenario sets up national-database fixtures, then acts on the shared timeline: it sends messages
as foreign or domestic parties, gives the SUT stimuli and operator decisions, sets faults, and
reacts to what the SUT emits. It records what it set up and expects as `Exchange`s in the ledger, all of
its `flow`; checks judge those. Which requirements judge an exchange is the applicability model's to say
(conformance.selection): a scenario declares in `requirements` only what the model cannot see, and says in
`planned_profile` what it fixes before it runs, so that a profile selecting some requirements runs only the
scenarios their checks need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from conformance.actors import NetworkControl
from conformance.applicability import Profile
from conformance.campaign.engine import Engine, Match
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.scenarios.data import ScenarioData
from conformance.settings import CampaignSettings
from conformance.sut import SutClient, SutInfo

__all__ = [
    "SCENARIOS",
    "Scenario",
    "ScenarioContext",
    "register",
    "replying_to",
]


class ScenarioContext:
    """What a running scenario can use: the timeline, the actors, the SUT, the ledger."""

    def __init__(
        self,
        *,
        name: str,
        engine: Engine,
        network: NetworkControl,
        sut: SutClient,
        ledger: Ledger,
        settings: CampaignSettings,
        info: SutInfo,
    ) -> None:
        self.name = name
        self.engine = engine
        self.network = network
        self.sut = sut
        self.ledger = ledger
        self.settings = settings
        self.info = info

    # -- time -------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.engine.now

    @property
    def start(self) -> datetime:
        return self.settings.start_utc

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """The UTC instant of a local wall-clock time in the SUT's state (DST handled by the zone)."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.settings.zone).astimezone(UTC)

    async def at(self, moment: datetime, *, coarse: bool = False) -> None:
        await self.engine.at(moment, coarse=coarse)

    async def after(self, delay: timedelta) -> None:
        await self.engine.at(self.now + delay)

    async def wait_for(self, match: Match, *, until: datetime, coarse: bool = False) -> Observed | None:
        return await self.engine.wait_for(match, until=until, coarse=coarse)

    def mark(self, moment: datetime) -> None:
        self.engine.mark(moment)

    def mark_judged(self, moment: datetime) -> None:
        """A tolerance or deadline a check compares against (not a harness action)."""
        self.engine.mark_judged(moment)

    # -- parties ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.settings.sut_state

    @property
    def spoc(self) -> str:
        return f"SPOC-{self.state}"

    def sut_operates(self, party: str) -> bool:
        return party in self.info.parties

    # -- record keeping -----------------------------------------------------------------------

    def exchange(
        self,
        key: str,
        *,
        kind: ExchangeKind,
        title: str,
        requirements: Iterable[str],
        **fields: Any,
    ) -> Exchange:
        registered = SCENARIOS.get(self.name)
        if registered is not None and kind is not registered.flow:
            # Selection and scenarios_for read the scenario's flow: an exchange of another kind would escape both.
            raise ValueError(f"scenario {self.name!r} of flow {registered.flow.value} records a {kind.value} exchange")
        return self.ledger.add_exchange(
            Exchange(key=key, scenario=self.name, kind=kind, title=title, requirements=list(requirements), **fields)
        )

    def watch_deadlines(self, exchange: Exchange) -> None:
        self.engine.watch_deadlines(exchange, str(exchange.facts.get("recipient") or self.spoc))

    def sut_messages(self, match: Match) -> list[Observed]:
        return [m for m in self.ledger.from_sut() if match(m)]


def replying_to(message_id: str, *kinds: str) -> Match:
    """A SUT message answering `message_id`, optionally of the given directive kinds."""

    def match(message: Observed) -> bool:
        return message.in_reply_to == message_id and (not kinds or message.kind in kinds)

    return match


class Scenario:
    """A piece of the campaign; subclasses set `name`, `title`, `flow` (and `requirements`) and implement `run`."""

    name: ClassVar[str]
    title: ClassVar[str]
    flow: ClassVar[ExchangeKind]  # the kind of every exchange it records
    # Only what the applicability model cannot see (conformance.selection); checked when the library is imported.
    requirements: ClassVar[frozenset[str]] = frozenset()
    # The value its exchanges have on each dimension it fixes in code (urgency, roles, availability), so that a
    # profile run leaves it out when it cannot give evidence; tests/conformance/test_selection.py compares it with
    # the profiles a run records. A dimension left out is open.
    plan: ClassVar[Mapping[str, str]] = {}
    phase: ClassVar[int] = 1  # 2 = after the main timeline and the exports snapshot (retention review)

    def __init__(self, data: ScenarioData) -> None:
        self.data = data

    @classmethod
    def planned_profile(cls) -> Profile:
        """The values its exchanges will have on the dimensions it fixes before running (its `plan`): a dimension
        left open never keeps the scenario out of a profile run."""
        return {name: frozenset({value}) for name, value in cls.plan.items()}

    def fixtures(self) -> list[dict[str, Any]]:
        """National-database records this scenario needs (loaded once, before the timeline starts)."""
        return []

    async def run(self, ctx: ScenarioContext) -> None:
        raise NotImplementedError


SCENARIOS: dict[str, type[Scenario]] = {}


def register(cls: type[Scenario]) -> type[Scenario]:
    if cls.name in SCENARIOS:
        raise ValueError(f"scenario {cls.name!r} registered twice")
    SCENARIOS[cls.name] = cls
    return cls
