"""What every part of the reference CMS shares: its state, store, clock, channels, defects, settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from simulators.model.parties import state as state_of
from simulators.reference_cms.audit import AuditTrail
from simulators.reference_cms.channels import ChannelsClient
from simulators.reference_cms.clock_follower import CmsClock
from simulators.reference_cms.defects import ActiveDefects
from simulators.reference_cms.policy import PolicySettings
from simulators.reference_cms.store import Store

__all__ = ["Context"]


@dataclass
class Context:
    state: str
    store: Store
    clock: CmsClock
    channels: ChannelsClient
    defects: ActiveDefects
    settings: PolicySettings
    audit: AuditTrail
    # One case engine step at a time: receipts, planned actions and operator decisions never interleave.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def spoc(self) -> str:
        return f"SPOC-{self.state}"

    @property
    def languages(self) -> list[str]:
        return list(state_of(self.state).languages) or ["en"]

    @property
    def timezone(self) -> str:
        return state_of(self.state).timezone

    def party(self, prefix: str) -> str:
        return f"{prefix}-{self.state}"

    def now(self) -> datetime:
        return self.clock.now()
