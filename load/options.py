"""The choices of one `spoc-harness load` run (load/command.py fills them; load/runner.py runs them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LoadOptions"]


@dataclass
class LoadOptions:
    report_dir: Path
    sut: str = "reference"
    state: str = "AT"
    channels_url: str | None = None
    credentials: Path | None = None
    profile: str | None = None
    users: int | None = 10  # None with a profile: the base follows from the yearly volume (load/shapes.py)
    duration: float = 30.0
    speed: float = 600.0
    workers: int = 0
    chaos: bool = False
    seed: int = 1
    pacing: float = 2.0
    peak_factor: float = 1.0
    mix: str | None = None
    defects: list[str] = field(default_factory=list)
    drain_timeout: float = 120.0
    cms_processes: int = 2  # --sut eu: how many processes host the states' CMSs

    @property
    def eu(self) -> bool:
        return self.sut == "eu"
