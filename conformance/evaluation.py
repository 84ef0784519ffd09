"""The conformance checks evaluated outside pytest, for the Gherkin scenarios (features/).

The pytest suite (conformance/checks, through conformance.plugin) and the behave steps must reach the
same verdicts from the same code: both call the same check functions, `check(campaign, judge)`,
on the same campaign (`conformance.campaign.conformance_run.ConformanceRun`, which starts the reference network or
connects to a vendor's, and runs the campaign once). This module finds those functions by their
`@pytest.mark.requirement` marker, runs them on a `CampaignView` and answers the questions a
scenario asks: which findings concern these exchanges, and does requirement R-xx hold for them.

`GherkinRun` is the whole behave session: options from behave's user data (`-D sut=...`), the
requirements of the selected scenarios, the campaign run lazily on first use, the check verdicts
cached per requirement, and `close()` to stop what was started.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from conformance.campaign.conformance_run import ConformanceRun
from conformance.campaign.run_options import RunOptions
from conformance.campaign.view import CampaignView
from conformance.checks import CHECKS_DIR
from conformance.gherkin import requirement_tags
from conformance.ledger import Exchange
from conformance.verdicts import Finding, Judge
from reports.results import Outcome, combine_outcomes
from simulators.reference_cms.defects import DEFECTS

__all__ = [
    "CheckFunction",
    "GherkinRun",
    "RequirementVerdict",
    "UserDataError",
    "check_functions",
    "evaluate",
    "options_from_userdata",
]

CheckBody = Callable[[CampaignView, Judge], None]


@dataclass(frozen=True)
class CheckFunction:
    """One conformance check: the function the pytest suite runs, with its marker's requirements."""

    check_id: str  # as conformance.campaign.conformance_run.check_id names it: "<module>.<name without test_>"
    title: str
    requirements: tuple[str, ...]
    article: str
    function: CheckBody


def check_functions(checks_dir: Path = CHECKS_DIR) -> list[CheckFunction]:
    """Every check function of conformance/checks/art*.py, in module and source order."""
    found: list[CheckFunction] = []
    for path in sorted(checks_dir.glob("art*.py")):
        module = importlib.import_module(f"conformance.checks.{path.stem}")
        functions = [
            value
            for name, value in vars(module).items()
            if name.startswith("test_") and inspect.isfunction(value) and value.__module__ == module.__name__
        ]
        for function in sorted(functions, key=lambda f: f.__code__.co_firstlineno):
            marks = [m for m in getattr(function, "pytestmark", []) if m.name == "requirement"]
            if not marks:
                continue
            if any(m.name == "parametrize" for m in getattr(function, "pytestmark", [])):
                # A parametrised check needs pytest to expand it; none exists, and guessing would be wrong.
                raise TypeError(f"{module.__name__}.{function.__name__} is parametrised; the steps cannot call it")
            doc = (function.__doc__ or "").strip()
            found.append(
                CheckFunction(
                    check_id=f"{path.stem}.{function.__name__.removeprefix('test_')}",
                    title=doc.splitlines()[0] if doc else function.__name__,
                    requirements=tuple(str(a) for a in marks[0].args),
                    article=str(marks[0].kwargs.get("article", "")),
                    function=function,
                )
            )
    return found


def evaluate(
    view: CampaignView,
    checks: Iterable[CheckFunction],
    *,
    reproduce: Callable[[Sequence[str]], str] = lambda ids: "",
) -> list[Judge]:
    """Run each check on the campaign, as the pytest suite does; a check that raises is inconclusive."""
    judges: list[Judge] = []
    for check in checks:
        judge = Judge(
            check_id=check.check_id,
            title=check.title,
            requirements=check.requirements,
            article=check.article,
            settings=view.settings,
            command=reproduce(check.requirements),
        )
        try:
            check.function(view, judge)
        except Exception as exc:  # the same rule as the plugin: a broken check cannot pass
            judge.inconclusive(
                "check",
                rule=check.title,
                observed=f"the harness could not evaluate this check: {type(exc).__name__}: {exc}",
            )
        judges.append(judge)
    return judges


def _concerns(instance: str, keys: Sequence[str], part: str | None) -> bool:
    """Check instances are an exchange key or a message id, optionally followed by '[part]' or ':id'."""
    if part is not None:
        return any(instance.endswith(f"[{part}]") and instance.startswith(key) for key in keys)
    return any(instance == key or instance.startswith((f"{key}[", f"{key}:")) for key in keys)


@dataclass
class RequirementVerdict:
    """What the checks of one requirement say, overall or about some exchanges."""

    requirement: str
    article: str
    judges: list[Judge]
    exchanges: tuple[str, ...] = ()
    findings: list[tuple[Judge, Finding]] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        if not self.findings:
            return Outcome.NOT_APPLICABLE
        combined = combine_outcomes(f.outcome for _, f in self.findings)
        return combined if combined is not None else Outcome.NOT_APPLICABLE

    @property
    def holds(self) -> bool:
        return self.outcome in (Outcome.PASSED, Outcome.WARNING)

    def message(self) -> str:
        """Requirement, article, outcome, and every finding that is not a pass (all of them if none)."""
        shown = ", ".join(self.exchanges) if len(self.exchanges) <= 3 else f"{len(self.exchanges)} exchanges"
        scope = f" for {shown}" if self.exchanges else ""
        titles = "; ".join(dict.fromkeys(j.title for j in self.judges)) or "no check judges it"
        lines = [f"{self.requirement} {self.article}: {self.outcome.value.upper()}{scope} - {titles}"]
        if not self.findings:
            reasons = [j.not_applicable_reason for j in self.judges if j.not_applicable_reason]
            lines.append(
                "; ".join(r for r in reasons if r)
                or "the campaign produced no finding on it (the exchange was not judged by this requirement)"
            )
            return "\n".join(lines)
        notable = [(j, f) for j, f in self.findings if f.outcome is not Outcome.PASSED]
        lines += [finding.text() for _, finding in (notable or self.findings)]
        commands = dict.fromkeys(j.command for j, _ in notable if j.command)
        seeds = {j.settings.seed for j, _ in notable if j.settings is not None}
        lines += [f"reproduce: {c}" + (f" (seed {min(seeds)})" if seeds else "") for c in commands]
        return "\n".join(lines)


class UserDataError(ValueError):
    """behave -D user data that cannot describe a run; names the key and what is allowed."""


_USERDATA_KEYS = {
    "sut": "'reference' (default) or the vendor's SUT test interface URL",
    "defect": "reference CMS defect name(s), comma-separated (see `spoc-harness defects`)",
    "seed": "an integer seed for the generated data",
    "channels": "vendor SUT: URL of the channel simulators",
    "credentials": "vendor SUT: the simulators' credentials.json",
    "time_mode": "virtual (default), real or declared",
    "deadline_reading": "elapsed (default) or reg1182",
    "manual_timeout": "seconds to wait for a person doing a step the SUT does not automate",
    "siena_obligation_date": "YYYY-MM-DD from which Art 13 binds",
    "work_dir": "keep the reference network's data here",
}


def options_from_userdata(userdata: Mapping[str, str]) -> RunOptions:
    """RunOptions from behave's `-D key=value` user data (the same choices as `spoc-harness run`)."""
    unknown = sorted(set(userdata) - set(_USERDATA_KEYS))
    if unknown:
        allowed = "; ".join(f"{k}: {v}" for k, v in _USERDATA_KEYS.items())
        raise UserDataError(f"unknown -D key(s) {', '.join(unknown)}; allowed: {allowed}")
    sut = (userdata.get("sut") or "reference").strip().rstrip("/")
    vendor = sut != "reference"
    if vendor and not sut.startswith(("http://", "https://")):
        raise UserDataError(f"-D sut={sut!r}: give 'reference' or the SUT test interface URL")
    defects = [d.strip() for d in (userdata.get("defect") or "").split(",") if d.strip()]
    if vendor and defects:
        raise UserDataError("-D defect=... works with the reference CMS only")
    if vendor and not (userdata.get("channels") and userdata.get("credentials")):
        raise UserDataError("a vendor SUT needs -D channels=URL and -D credentials=FILE")
    if defects:
        wrong = [d for d in defects if d not in DEFECTS]
        if wrong:
            raise UserDataError(f"unknown defect(s) {', '.join(wrong)}; see `spoc-harness defects`")
    try:
        seed = int(userdata["seed"]) if userdata.get("seed") else None
        timeout = float(userdata.get("manual_timeout") or 0.0)
        obligation = userdata.get("siena_obligation_date")
        obligation_date = date.fromisoformat(obligation) if obligation else None
    except ValueError as exc:
        raise UserDataError(f"-D seed, manual_timeout or siena_obligation_date: {exc}") from None
    time_mode = userdata.get("time_mode") or "virtual"
    reading = userdata.get("deadline_reading") or "elapsed"
    if time_mode not in ("virtual", "real", "declared") or reading not in ("elapsed", "reg1182"):
        raise UserDataError(f"-D time_mode={time_mode!r} / deadline_reading={reading!r}: {_USERDATA_KEYS['time_mode']}")
    return RunOptions(
        sut=sut,
        channels=userdata.get("channels"),
        credentials=Path(userdata["credentials"]) if userdata.get("credentials") else None,
        defects=defects,
        time_mode=time_mode,
        deadline_reading=reading,
        seed=seed,
        manual_timeout=timeout,
        siena_obligation_date=obligation_date,
        work_dir=Path(userdata["work_dir"]) if userdata.get("work_dir") else None,
    )


class GherkinRun:
    """One behave session against one SUT: the campaign (once) and the check verdicts (cached)."""

    def __init__(self, options: RunOptions, requirements: Iterable[str]) -> None:
        self.options = options
        self.requirements = sorted(set(requirements), key=lambda r: int(r.removeprefix("R-")))
        profile = ",".join(self.requirements) or "all"
        self.run = ConformanceRun(RunOptions(**{**vars(options), "profile": profile}))
        self.run.needed = set(self.requirements)
        self._view: CampaignView | None = None
        self._error: str | None = None
        self._checks: list[CheckFunction] | None = None
        self._judges: dict[str, list[Judge]] = {}

    @property
    def view(self) -> CampaignView:
        """The campaign, run on first use; the same error for every scenario if it cannot run."""
        if self._error is not None:
            raise RuntimeError(self._error)
        if self._view is None:
            try:
                self._view = self.run.campaign()
            except Exception as exc:
                self._error = f"the campaign could not run: {type(exc).__name__}: {exc}"
                raise RuntimeError(self._error) from exc
        return self._view

    def judges(self, requirement: str) -> list[Judge]:
        """The evaluated checks of a requirement (every check whose marker names it)."""
        if requirement not in self._judges:
            if self._checks is None:
                self._checks = check_functions()
            chosen = [c for c in self._checks if requirement in c.requirements]
            self._judges[requirement] = evaluate(self.view, chosen, reproduce=self.run.reproduce)
        return self._judges[requirement]

    def article(self, requirement: str) -> str:
        return self.run.catalogue.get(requirement).article

    def cited(self, tags: Iterable[str]) -> str:
        """'R-06 Art 4(4), R-08 Art 4(6)' for the requirement tags among `tags` (for messages)."""
        return ", ".join(f"{r} {self.article(r)}" for r in requirement_tags(tags)) or "no requirement"

    def verdict(
        self, requirement: str, exchanges: Sequence[Exchange] | None = None, *, part: str | None = None
    ) -> RequirementVerdict:
        """The verdict on a requirement, over the whole campaign or only about the given exchanges.

        A finding concerns an exchange when its instance is the exchange's key or the id of one of its
        messages (checks that judge single messages, e.g. the channel used, name them by message id).
        `part` narrows to findings on one aspect, e.g. 'notice' for '<key>[notice]'.
        """
        judges = self.judges(requirement)
        keys: tuple[str, ...] = ()
        if exchanges is not None:
            ids = [m.message_id for e in exchanges for m in self.view.ledger.of_exchange(e)]
            keys = tuple(dict.fromkeys([*(e.key for e in exchanges), *ids]))
        findings = [
            (judge, finding)
            for judge in judges
            for finding in judge.findings
            if (exchanges is None and (part is None or finding.instance.endswith(f"[{part}]")))
            or (exchanges is not None and _concerns(finding.instance, keys, part))
        ]
        shown = tuple(e.key for e in exchanges) if exchanges is not None else ()
        return RequirementVerdict(requirement, self.article(requirement), judges, shown, findings)

    def close(self) -> None:
        self.run.close()

    def describe(self) -> dict[str, Any]:
        """What this run is, for the behave log."""
        return {
            "sut": self.options.sut,
            "defects": self.options.defects,
            "seed": self.run.settings.seed,
            "requirements": self.requirements,
        }
