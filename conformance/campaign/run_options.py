"""The choices of a conformance run, as `spoc-harness run` and the pytest plugin's `--spoc-*` options give them.

Apart from the run's state (conformance_run) so that reading options, and refusing bad ones, does not
load the campaign.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from conformance.campaign.processes import NetworkPlan
from conformance.settings import DEFAULT_SEED, CampaignSettings, Profile, TimeMode
from simulators.model.deadlines import DeadlineMode

__all__ = ["FRESH_NETWORK_START", "RunOptions"]

# Where a vendor's fresh channel server starts its virtual clock: at or before the campaign start of every
# state (Friday 27 March 2026, 10:00 local time), as docs/conformance-campaign.md says.
FRESH_NETWORK_START = "2026-03-27T00:00:00Z"


@dataclass
class RunOptions:
    """The choices of a run, as `spoc-harness run` and the `--spoc-*` options give them."""

    sut: str = "reference"
    channels: str | None = None
    credentials: Path | None = None
    control_token: str | None = None
    sut_token: str | None = None
    defects: list[str] = field(default_factory=list)
    profile: str = "all"
    # Only these of the scenarios the profile selects (None: all of them); a kill-matrix defect run names the
    # scenarios its defect shows in (conformance/campaign/revealing.py).
    scenarios: list[str] | None = None
    time_mode: str = "virtual"
    deadline_reading: str = "elapsed"
    seed: int | None = None
    manual_timeout: float = 0.0
    report_dir: Path | None = None
    siena_obligation_date: date | None = None
    work_dir: Path | None = None
    real_wait: float | None = None
    signing_key: Path | None = None  # the lab's key file (`keys new`); None: an ephemeral key, labelled so
    deviations: Path | None = None
    load_results: Path | None = None  # a load run's load-results.json, shown in the report's load section

    def campaign_settings(self) -> CampaignSettings:
        """The campaign's settings these options choose (the others at their defaults)."""
        fields: dict[str, Any] = {
            "profile": Profile.parse(self.profile),
            "time_mode": TimeMode(self.time_mode),
            "deadline_reading": DeadlineMode(self.deadline_reading),
            "manual_timeout": self.manual_timeout,
        }
        if self.seed is not None:
            fields["seed"] = self.seed
        if self.report_dir is not None:
            fields["report_dir"] = self.report_dir
        if self.siena_obligation_date is not None:
            fields["siena_obligation_date"] = self.siena_obligation_date
        if self.real_wait is not None:
            fields["real_mode_wait"] = self.real_wait
        return CampaignSettings(**fields)

    def network_plan(self, base: Path) -> NetworkPlan:
        """The reference network a run with these options starts, its data under `base`."""
        settings = self.campaign_settings()
        return NetworkPlan(work_dir=base / "reference-network", state=settings.sut_state, start=settings.start_utc,
                           defects=tuple(self.defects), keep=self.work_dir is not None,
                           virtual=settings.time_mode.value != "real")

    def command(self, profile: str | None = None) -> str:
        """The command line that repeats this run (optionally for other requirements)."""
        parts = ["spoc-harness", "run", "--sut", self.sut]
        if self.sut != "reference":
            # This run's channel server has moved its clock past the campaign start, and its data directory may
            # be gone: a replay needs a fresh one, so the line names its data directory, not this run's files.
            parts += ["--channels", self.channels or "URL", "--credentials", "NET/credentials.json"]
        for defect in self.defects:
            parts += ["--defect", defect]
        parts += ["--profile", profile or self.profile, "--seed", str(self.seed or DEFAULT_SEED)]
        if self.scenarios is not None and profile is None:
            parts += ["--scenarios", ",".join(self.scenarios)]
        if self.time_mode != "virtual":
            parts += ["--time-mode", self.time_mode]
        if self.deadline_reading != "elapsed":
            parts += ["--deadline-reading", self.deadline_reading]
        if self.siena_obligation_date is not None:
            parts += ["--siena-obligation-date", self.siena_obligation_date.isoformat()]
        command = " ".join(shlex.quote(p) for p in parts)
        if self.sut == "reference":
            return command  # starts its own network
        clock = "--clock system" if self.time_mode == "real" else f"--clock virtual --start {FRESH_NETWORK_START}"
        return (f"{command}  # against a fresh channel server: `spoc-harness serve {clock} --data NET` (a new NET "
                "directory) with the CMS connected to it")
