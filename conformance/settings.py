"""The settings of one conformance campaign, and the profile that selects its requirements.

Every legal reading the catalogue marks as unverified or as the harness's own interpretation is a
setting here (shown in results.json under `settings`), so that an evaluator can see it and a
corrected reading changes one value, not the checks:
- `deadline_reading`: how "calendar days" are counted (elapsed time, or Reg 1182/71; catalogue §5);
- `siena_obligation_date`: from when the SIENA obligations of Art 13 bind (R-57: 12 June 2027,
  the tie of that date to Art 13 is unverified); before it a non-SIENA exchange is a warning;
- `copy_tolerance`: what "at the same time" means for the copies of Arts 4(1), 5(3), 7(3) and 8;
- `immediately`: the tolerance for "immediately" (Art 5(2) delay notice, Art 6(3) clarification);
- `after_grant_tolerance`: "as soon as possible after" the judicial authorisation (Art 5(2));
- `retention_review_within`: the first retention review (Art 16(4), 6 months, unverified).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from conformance.catalogue import Catalogue
from simulators.model.deadlines import DeadlineMode
from simulators.model.parties import state as state_of

__all__ = [
    "DEFAULT_SEED",
    "CampaignSettings",
    "Profile",
    "ProfileError",
    "SutKind",
    "TimeMode",
]

DEFAULT_SEED = 20230977


class TimeMode(StrEnum):
    """How the campaign handles time (see conformance.campaign)."""

    VIRTUAL = "virtual"  # the SUT follows the network clock, which the harness moves
    REAL = "real"  # the SUT keeps the wall clock; the campaign is shortened and waits in real time
    DECLARED = "declared"  # times are judged from the CMS's own records (its received_at, its stamps)


class SutKind(StrEnum):
    REFERENCE = "reference"
    VENDOR = "vendor"


class ProfileError(ValueError):
    """A profile selector that names nothing in the catalogue."""


_REQUIREMENT_ID = re.compile(r"^R-\d{2,3}$", re.IGNORECASE)
_CHAPTER = re.compile(r"^(?:chapter|ch)[\s:_-]*([IVX]+)$", re.IGNORECASE)


class Profile(BaseModel):
    """Which requirements a campaign covers: `all`, or chapters, articles and requirement IDs.

    Selectors (comma-separated on the command line): `all`; `R-10`; `chapter:II`; an article in either
    spelling, `Art 5`, `Art 5(1)(a)` or `art-5-1-a`, which selects every requirement of that provision
    and of its sub-provisions.
    """

    model_config = ConfigDict(frozen=True)

    selectors: tuple[str, ...] = ("all",)

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> Profile:
        parts = [text] if isinstance(text, str) else list(text)
        selectors = tuple(s.strip() for part in parts for s in part.split(",") if s.strip())
        return cls(selectors=selectors or ("all",))

    @property
    def is_all(self) -> bool:
        return any(s.lower() == "all" for s in self.selectors)

    def __str__(self) -> str:
        return ",".join(self.selectors)

    def resolve(self, catalogue: Catalogue) -> list[str]:
        """The selected requirement IDs, in catalogue order; ProfileError for a selector matching nothing."""
        requirements = catalogue.all()
        if self.is_all:
            return [r.id for r in requirements]
        chosen: set[str] = set()
        for selector in self.selectors:
            matched = _select(selector, catalogue)
            if not matched:
                raise ProfileError(
                    f"profile selector {selector!r} selects no requirement: use 'all', an ID such as R-10, "
                    "a chapter such as chapter:II, or an article such as 'Art 5(1)' or art-5-1"
                )
            chosen |= matched
        return [r.id for r in requirements if r.id in chosen]


def _select(selector: str, catalogue: Catalogue) -> set[str]:
    if _REQUIREMENT_ID.match(selector):
        return {r.id for r in catalogue.all() if r.id == selector.upper()}
    chapter = _CHAPTER.match(selector)
    if chapter:
        return {r.id for r in catalogue.all() if r.chapter.upper() == chapter.group(1).upper()}
    try:
        return {r.id for r in catalogue.by_article(selector)}
    except ValueError:
        return set()


class CampaignSettings(BaseModel):
    """Everything that decides what a campaign does; the same settings and seed replay the same run."""

    model_config = ConfigDict(frozen=True)

    seed: int = DEFAULT_SEED
    sut_state: str = Field(default="AT", description="Member state whose SPOC the SUT is")
    start_local: datetime = Field(
        default=datetime(2026, 3, 27, 10, 0),
        description="Naive local time (SUT state) at which the network clock starts: Friday before the "
        "29 March 2026 DST change and the Easter holidays (3 and 6 April 2026)",
    )
    public_holidays: tuple[date, ...] = Field(
        default=(date(2026, 4, 3), date(2026, 4, 6)),
        description="Public holidays on which requests are injected (R-68); Good Friday and Easter Monday",
    )
    time_mode: TimeMode = TimeMode.VIRTUAL
    deadline_reading: DeadlineMode = DeadlineMode.ELAPSED
    profile: Profile = Profile()
    copy_tolerance: timedelta = Field(default=timedelta(seconds=1), description="'at the same time'")
    duration_tolerance: timedelta = Field(
        default=timedelta(seconds=1), description="How far a duration the SUT recorded (e.g. a suspension) may lie "
        "from the span the harness observed: the SUT timestamps with its own resolution")
    immediately: timedelta = Field(default=timedelta(hours=1), description="'immediately' (Arts 5(2), 6(3))")
    after_grant_tolerance: timedelta = Field(default=timedelta(hours=4), description="Art 5(2) after the grant")
    delay_update_within: timedelta = Field(
        default=timedelta(days=2), description="Art 5(2): longest silence between delay notice updates"
    )
    retention_review_within: timedelta = Field(default=timedelta(days=183), description="Art 16(4): 6 months")
    siena_obligation_date: date = Field(default=date(2027, 6, 12), description="R-57: Art 13 applies from")
    max_step: timedelta = Field(default=timedelta(hours=6), description="Longest single move of the clock")
    max_step_with_agenda: timedelta = Field(
        default=timedelta(hours=24), description="Longest move while the SUT's agenda names its next action"
    )
    quiet_period: float = Field(default=0.04, description="Real seconds without traffic that mean 'settled'")
    settle_timeout: float = Field(default=10.0, description="Real seconds to wait for the SUT to settle")
    manual_timeout: float = Field(default=0.0, description="Real seconds to wait for a person; 0 = do not ask")
    real_mode_wait: float = Field(default=120.0, description="Real seconds the SUT is watched for in real time mode")
    real_mode_receipt_slack: timedelta = Field(
        default=timedelta(seconds=30), description="Real time mode: how long after the channel's delivery a SUT "
        "may stamp its receipt, as long as it had not acknowledged the delivery yet (a push reaching it late)")
    declared_clock_tolerance: timedelta = Field(
        default=timedelta(seconds=5), description="Declared time mode: how far the times the SUT recorded for "
        "its receipts and its own messages may lie from the network's times of the same messages before its "
        "clock counts as one of its own, whose times are not set against network times")
    report_dir: Path = Path("reports-out")

    @property
    def zone(self) -> ZoneInfo:
        return state_of(self.sut_state).zone

    @property
    def timezone(self) -> str:
        return state_of(self.sut_state).timezone

    @property
    def start_utc(self) -> datetime:
        return self.start_local.replace(tzinfo=self.zone).astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def real_time_note(self) -> str | None:
        """What real time mode cannot observe; said with every judgement the end of the campaign cut short."""
        if self.time_mode is not TimeMode.REAL:
            return None
        return (f"real time mode: everything was sent at once and the SUT was watched for only "
                f"{self.real_mode_wait:g} s of wall clock (--real-wait), so what is due hours or days later, "
                "and night, weekend and holiday timing, cannot be observed")

    def siena_binding_on(self, moment: datetime) -> bool:
        return self.local(moment).date() >= self.siena_obligation_date

    def shown(self) -> dict[str, str]:
        """The settings as results.json shows them (every configurable reading named)."""
        return {
            "seed": str(self.seed),
            "sut_state": self.sut_state,
            "start_local": f"{self.start_local.isoformat()} {self.timezone}",
            "time_mode": self.time_mode.value,
            "deadline_reading": self.deadline_reading.value,
            "profile": str(self.profile),
            "copy_tolerance": f"{self.copy_tolerance.total_seconds():g} s ('at the same time', interpretation)",
            "duration_tolerance": f"{self.duration_tolerance.total_seconds():g} s (recorded durations against the "
            "observed span)",
            "immediately": f"{self.immediately.total_seconds() / 3600:g} h ('immediately', interpretation)",
            "after_grant_tolerance": f"{self.after_grant_tolerance.total_seconds() / 3600:g} h (Art 5(2))",
            "retention_review_within": f"{self.retention_review_within.days} days (Art 16(4), unverified)",
            "siena_obligation_date": f"{self.siena_obligation_date.isoformat()} (R-57, tie to Art 13 unverified)",
            "max_step": f"{self.max_step.total_seconds() / 3600:g} h",
        } | ({"declared_clock_tolerance": f"{self.declared_clock_tolerance.total_seconds():g} s (declared mode: the "
              "SUT's recorded times against the network's)"} if self.time_mode is TimeMode.DECLARED else {})
