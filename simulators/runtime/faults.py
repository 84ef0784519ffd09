"""Faults the harness injects into the network, per channel and party (`PUT /control/faults`).

| type            | effect                                                                            |
|-----------------|-----------------------------------------------------------------------------------|
| `outage`        | the party's requests to the channel fail (`mode` "503", or "refuse": the          |
|                 | connection is dropped without an answer); pushes to the party are held back.      |
| `latency`       | every answer to the party is delayed by `ms`, or uniformly in `min_ms..max_ms`     |
|                 | (seeded, so a run can be replayed). Real time: latency is a network property.      |
| `lost_ack`      | a send is journaled and delivered, but the sender gets a 503 (`mode` "503"), no   |
|                 | answer within `timeout_seconds` ("timeout") or a reset connection ("reset").       |
|                 | `every`: only every n-th send of the party loses its answer.                       |
| `duplicate`     | each delivery reaches the recipient `copies` times (same delivery id).             |
| `reorder`       | deliveries reach the recipient out of order: mailbox pages are reversed in        |
|                 | windows of `window`; pushes are held until `window` are due, then sent reversed.   |
| `slow_consumer` | the network waits only `timeout_ms` for the party's webhook: a consumer slower   |
|                 | than that is counted as failed and redelivered later (at-least-once).              |

A fault with `party` null applies to every party; with `channel` null to every channel.
"""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulators.model.directive import ChannelName

__all__ = [
    "DuplicateParams",
    "Fault",
    "FaultList",
    "FaultSet",
    "FaultType",
    "LatencyParams",
    "LostAckParams",
    "OutageParams",
    "ReorderParams",
    "SlowConsumerParams",
]


class FaultType(StrEnum):
    OUTAGE = "outage"
    LATENCY = "latency"
    LOST_ACK = "lost_ack"
    DUPLICATE = "duplicate"
    REORDER = "reorder"
    SLOW_CONSUMER = "slow_consumer"


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutageParams(_Params):
    mode: Literal["503", "refuse"] = "503"
    retry_after_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None


class LatencyParams(_Params):
    ms: Annotated[float, Field(ge=0, le=60_000)] | None = None
    min_ms: Annotated[float, Field(ge=0, le=60_000)] | None = None
    max_ms: Annotated[float, Field(ge=0, le=60_000)] | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _one_form(self) -> LatencyParams:
        if self.ms is None and (self.min_ms is None or self.max_ms is None):
            raise ValueError("give either ms, or both min_ms and max_ms")
        if self.min_ms is not None and self.max_ms is not None and self.min_ms > self.max_ms:
            raise ValueError("min_ms must not exceed max_ms")
        return self


class LostAckParams(_Params):
    mode: Literal["503", "timeout", "reset"] = "503"
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 5.0
    every: Annotated[int, Field(ge=1)] = 1


class DuplicateParams(_Params):
    copies: Annotated[int, Field(ge=2, le=10)] = 2


class ReorderParams(_Params):
    window: Annotated[int, Field(ge=2, le=1000)] = 2
    hold_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0


class SlowConsumerParams(_Params):
    timeout_ms: Annotated[float, Field(gt=0, le=600_000)] = 200.0


_PARAMS: dict[FaultType, type[_Params]] = {
    FaultType.OUTAGE: OutageParams,
    FaultType.LATENCY: LatencyParams,
    FaultType.LOST_ACK: LostAckParams,
    FaultType.DUPLICATE: DuplicateParams,
    FaultType.REORDER: ReorderParams,
    FaultType.SLOW_CONSUMER: SlowConsumerParams,
}


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: ChannelName | None = Field(default=None, description="null: every channel")
    party: str | None = Field(default=None, description="Party id; null: every party")
    type: FaultType
    params: dict[str, Any] = Field(default_factory=dict, description="Type-specific; see the module table")

    @model_validator(mode="after")
    def _params_fit_type(self) -> Fault:
        try:
            typed = _PARAMS[self.type].model_validate(self.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "params"
            raise ValueError(f"params.{where}: {first['msg']} (for a {self.type.value} fault)") from None
        self.params = typed.model_dump(exclude_none=True)
        if self.party is not None:
            self.party = self.party.upper()
        return self

    def typed(self) -> _Params:
        return _PARAMS[self.type].model_validate(self.params)


class FaultList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    faults: list[Fault] = Field(default_factory=list, max_length=1000)


class _Active:
    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.params = fault.typed()
        self.hits = 0
        seed = self.params.seed if isinstance(self.params, LatencyParams) else 0
        self.random = random.Random(seed)


class FaultSet:
    """The faults in force; looked up on every request, so kept in memory (and journaled on change)."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._active = [_Active(f) for f in faults or []]

    @property
    def faults(self) -> list[Fault]:
        return [a.fault for a in self._active]

    @property
    def any(self) -> bool:
        """True when some fault is in force (the usual answer is no: then nothing else is looked up)."""
        return bool(self._active)

    def replace(self, faults: list[Fault]) -> None:
        self._active = [_Active(f) for f in faults]

    def _find(self, kind: FaultType, channel: ChannelName | None, party: str | None) -> _Active | None:
        for active in self._active:
            f = active.fault
            if f.type is kind and f.channel in (None, channel) and f.party in (None, party):
                return active
        return None

    def outage(self, channel: ChannelName, party: str | None) -> OutageParams | None:
        found = self._find(FaultType.OUTAGE, channel, party)
        return found.params if found and isinstance(found.params, OutageParams) else None

    def latency_seconds(self, channel: ChannelName, party: str | None) -> float:
        found = self._find(FaultType.LATENCY, channel, party)
        if found is None or not isinstance(found.params, LatencyParams):
            return 0.0
        p = found.params
        ms = p.ms if p.ms is not None else found.random.uniform(p.min_ms or 0.0, p.max_ms or 0.0)
        return ms / 1000.0

    def lost_ack(self, channel: ChannelName, party: str | None) -> LostAckParams | None:
        found = self._find(FaultType.LOST_ACK, channel, party)
        if found is None or not isinstance(found.params, LostAckParams):
            return None
        found.hits += 1
        return found.params if found.hits % found.params.every == 0 else None

    def copies(self, channel: ChannelName, party: str) -> int:
        found = self._find(FaultType.DUPLICATE, channel, party)
        return found.params.copies if found and isinstance(found.params, DuplicateParams) else 1

    def reorder(self, channel: ChannelName, party: str) -> ReorderParams | None:
        found = self._find(FaultType.REORDER, channel, party)
        return found.params if found and isinstance(found.params, ReorderParams) else None

    def push_timeout(self, channel: ChannelName, party: str, default: float) -> float:
        found = self._find(FaultType.SLOW_CONSUMER, channel, party)
        if found and isinstance(found.params, SlowConsumerParams):
            return found.params.timeout_ms / 1000.0
        return default
