"""What a load process is told, through its environment (so plain `locust -f load/locustfile.py` works too).

| variable | meaning | default |
|---|---|---|
| `SPOC_LOAD_CREDENTIALS` | credentials.json written by `spoc-harness serve` (the parties' own tokens) | required |
| `SPOC_LOAD_STATE` | the SUT's state (whose SPOC, SIRENE bureau and NCB receive the traffic) | `AT` |
| `SPOC_LOAD_SUT` | the SUT interface's base URL: fixtures and clock following are set at test start | unset |
| `SPOC_LOAD_SEED` | seed of the generated traffic | `1` |
| `SPOC_LOAD_PACING` | wall seconds between two exchanges of one user | `2` |
| `SPOC_LOAD_MIX` | `class=weight,...` to override the ordinary mix (load/traffic.py `CLASSES`) | unset |
| `SPOC_LOAD_PROFILE` | a load shape of load/shapes.py (`ordinary-week`, `major-incident`, `holiday-weekend`) | unset |
| `SPOC_LOAD_SPEED` | network seconds per wall second of the scaled clock (the shapes' time base) | `600` |
| `SPOC_LOAD_PEAK_FACTOR` | multiplies the profile's rates | `1` |
| `SPOC_LOAD_LOG_DIR` | where each process writes what it sent and saw (JSON lines) for the reconciliation | unset |
| `SPOC_LOAD_SUTS` | `--sut eu` (load/eu_locustfile.py): each state's SUT interface, `AT=http://...,BE=...` | unset |
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from load.traffic import CLASSES

__all__ = ["LoadSettings", "LoadSettingsError", "parse_mix", "parse_suts"]


class LoadSettingsError(ValueError):
    """A load setting that cannot be used; the message names the variable."""


def parse_mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in CLASSES:
            raise LoadSettingsError(f"SPOC_LOAD_MIX: unknown class {name!r}; choose from {', '.join(CLASSES)}")
        try:
            mix[name] = int(weight or "1")
        except ValueError:
            raise LoadSettingsError(f"SPOC_LOAD_MIX: weight of {name!r} must be an integer") from None
    return mix


@dataclass(frozen=True)
class LoadSettings:
    credentials: Path
    tokens: dict[str, str]
    state: str = "AT"
    sut_url: str | None = None
    seed: int = 1
    pacing: float = 2.0
    mix: dict[str, int] = field(default_factory=lambda: {c.name: c.weight for c in CLASSES.values()})
    profile: str | None = None
    speed: float = 600.0
    peak_factor: float = 1.0
    log_dir: Path | None = None
    suts: dict[str, str] = field(default_factory=dict)  # the whole EU: state -> its CMS's SUT interface

    @staticmethod
    @functools.cache
    def from_env() -> LoadSettings:
        env = os.environ
        path = env.get("SPOC_LOAD_CREDENTIALS")
        if not path:
            raise LoadSettingsError("set SPOC_LOAD_CREDENTIALS to the credentials.json of `spoc-harness serve`")
        try:
            tokens = dict(json.loads(Path(path).read_text(encoding="utf-8"))["parties"])
        except (OSError, ValueError, KeyError) as exc:
            raise LoadSettingsError(f"SPOC_LOAD_CREDENTIALS: cannot read party tokens from {path}: {exc}") from None
        log_dir = Path(env["SPOC_LOAD_LOG_DIR"]) if env.get("SPOC_LOAD_LOG_DIR") else None
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
        return LoadSettings(
            credentials=Path(path), tokens=tokens, state=env.get("SPOC_LOAD_STATE", "AT").upper(),
            sut_url=env.get("SPOC_LOAD_SUT") or None, seed=int(env.get("SPOC_LOAD_SEED", "1")),
            pacing=float(env.get("SPOC_LOAD_PACING", "2")),
            mix=parse_mix(env["SPOC_LOAD_MIX"]) if env.get("SPOC_LOAD_MIX") else
            {c.name: c.weight for c in CLASSES.values()},
            profile=env.get("SPOC_LOAD_PROFILE") or None, speed=float(env.get("SPOC_LOAD_SPEED", "600")),
            peak_factor=float(env.get("SPOC_LOAD_PEAK_FACTOR", "1")), log_dir=log_dir,
            suts=parse_suts(env.get("SPOC_LOAD_SUTS", "")),
        )


def parse_suts(text: str) -> dict[str, str]:
    """`AT=http://127.0.0.1:8801,BE=http://127.0.0.1:8802` -> {"AT": "http://...", ...}."""
    suts: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        code, _, url = part.partition("=")
        if not url.startswith("http"):
            raise LoadSettingsError(f"SPOC_LOAD_SUTS: {part!r} is not STATE=URL")
        suts[code.strip().upper()] = url.strip().rstrip("/")
    return suts
