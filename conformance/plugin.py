"""pytest plugin of the conformance campaign (registered as the pytest11 entry point `spoc_conformance`).

Inert in ordinary pytest runs: it only adds its options and the `requirement` marker. It comes alive
when the conformance checks (conformance/checks) are collected, when one of its `--spoc-*` options is
given, or when `spoc-harness run` hands it a prepared `ConformanceRun`. Then it
- keeps only the checks of the requirements the profile selects;
- runs the campaign once per session (conformance/checks/conftest.py asks `ConformanceRun.campaign`),
  injecting only the scenarios those checks need;
- turns each check's findings (conformance.verdicts.Judge) into a CheckResult: failed checks fail in
  pytest with their explanation, inconclusive and not-applicable ones are reported as skipped, passed
  and warning ones pass;
- at the end writes results.json, junit.xml, report.html and the evidence bundle if a report
  directory was given.
"""

from __future__ import annotations

import asyncio
import secrets
import shlex
import tempfile
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHECKS_DIR", "ConformanceRun", "RunOptions", "check_id", "get_run"]

CHECKS_DIR = (Path(__file__).parent / "checks").resolve()
# Where a vendor's fresh channel server starts its virtual clock: at or before the campaign start of every
# state (Friday 27 March 2026, 10:00 local time), as docs/conformance-campaign.md says.
FRESH_NETWORK_START = "2026-03-27T00:00:00Z"
_KEY = pytest.StashKey["ConformanceRun"]()


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

    def command(self, profile: str | None = None) -> str:
        """The command line that repeats this run (optionally for other requirements)."""
        from conformance.settings import DEFAULT_SEED

        parts = ["spoc-harness", "run", "--sut", self.sut]
        if self.sut != "reference":
            # This run's channel server has moved its clock past the campaign start, and its data directory may
            # be gone: a replay needs a fresh one, so the line names its data directory, not this run's files.
            parts += ["--channels", self.channels or "URL", "--credentials", "NET/credentials.json"]
        for defect in self.defects:
            parts += ["--defect", defect]
        parts += ["--profile", profile or self.profile, "--seed", str(self.seed or DEFAULT_SEED)]
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


def check_id(item: pytest.Item) -> str:
    """'conformance/checks/art05_time_limits.py::test_urgent_direct' -> 'art05_time_limits.urgent_direct'."""
    module = Path(str(item.path)).stem
    name = item.name.removeprefix("test_")
    return f"{module}.{name}"


class ConformanceRun:
    """The state of one conformance session: options, the campaign, the check results."""

    def __init__(self, options: RunOptions) -> None:
        from conformance.catalogue import load_catalogue
        from conformance.settings import CampaignSettings, Profile, TimeMode
        from simulators.model.deadlines import DeadlineMode

        self.options = options
        self.catalogue = load_catalogue()
        fields: dict[str, Any] = {
            "profile": Profile.parse(options.profile),
            "time_mode": TimeMode(options.time_mode),
            "deadline_reading": DeadlineMode(options.deadline_reading),
            "manual_timeout": options.manual_timeout,
        }
        if options.seed is not None:
            fields["seed"] = options.seed
        if options.report_dir is not None:
            fields["report_dir"] = options.report_dir
        if options.siena_obligation_date is not None:
            fields["siena_obligation_date"] = options.siena_obligation_date
        if options.real_wait is not None:
            fields["real_mode_wait"] = options.real_wait
        self.settings = CampaignSettings(**fields)
        self.selected = set(self.settings.profile.resolve(self.catalogue))
        self.checks: list[Any] = []  # reports.results.CheckResult
        self.errors: list[str] = []
        self.result: Any = None  # conformance.campaign.runner.CampaignResult
        self.started_at = datetime.now(UTC)
        self.finished_at: datetime | None = None
        self.aborted: str | None = None
        self.needed: set[str] = set()
        self.endpoints: Any = None  # conformance.campaign.runner.Endpoints, when given by the caller
        self.progress: Any = None
        self.sut_url = ""
        self.write_reports_at_end = True  # `spoc-harness run` writes them itself
        # `spoc-harness run` lets the network stop while it writes the reports (they need nothing of it), and
        # waits for the stop before it returns (`close`).
        self.stop_network_in_background = False
        self._stopping: threading.Thread | None = None
        self.evidence_key_sha256: str | None = None
        self._network: Any = None

    # -- the campaign ---------------------------------------------------------------------------

    def campaign(self) -> Any:
        """Run the campaign once (for the requirements of the selected checks) and return its view."""
        from conformance.campaign.view import CampaignView

        if self.result is None and self.aborted is None:
            try:
                self.result = asyncio.run(self._run())
            except Exception as exc:
                self.aborted = f"the campaign could not run: {type(exc).__name__}: {exc}"
                raise
        if self.result is None:
            raise RuntimeError(self.aborted or "the campaign did not run")
        return CampaignView(self.result)

    async def _run(self) -> Any:
        from conformance.campaign.runner import run_campaign
        from conformance.scenarios.base import prepare_in_background

        prepare_in_background()  # while the network's processes start
        endpoints = self.endpoints
        if endpoints is None:
            endpoints = self._endpoints()
        self.sut_url = endpoints.sut_url
        requirements = sorted(self.needed or self.selected)
        return await run_campaign(self.settings, endpoints, requirements, progress=self.progress,
                                  command=self.options.command())

    def _endpoints(self) -> Any:
        from conformance.campaign.processes import started
        from conformance.campaign.runner import Endpoints

        options = self.options
        if options.sut == "reference":
            base = options.work_dir or Path(tempfile.mkdtemp(prefix="spoc-run-"))
            self._network = started(base / "reference-network", state=self.settings.sut_state,
                                    start=self.settings.start_utc, defects=options.defects,
                                    keep=options.work_dir is not None,
                                    virtual=self.settings.time_mode.value != "real",
                                    sut_token=options.sut_token or secrets.token_urlsafe(24))
            network = self._network.__enter__()
            assert network.simulators is not None
            assert network.cms is not None
            # The reference CMS runs with a token of the run's own, so every campaign exercises the
            # documented bearer-token path of the SUT interface.
            return Endpoints(network.simulators.url, network.simulators.control_token, network.cms.url,
                             network.cms.sut_token)
        if not options.channels or not (options.credentials or options.control_token):
            raise pytest.UsageError("a vendor SUT needs --spoc-channels URL and --spoc-credentials FILE")
        token = options.control_token or _control_token(options.credentials)
        return Endpoints(options.channels, token, options.sut.rstrip("/"), options.sut_token)

    def close(self) -> None:
        """Stop the network this run started (and wait for a stop begun in the background)."""
        if self._stopping is not None:
            self._stopping.join()
            self._stopping = None
        if self._network is not None:
            self._network.__exit__(None, None, None)
            self._network = None

    def close_in_background(self) -> None:
        """Begin stopping the network in a thread; `close` waits for it."""
        if self._network is not None and self._stopping is None:
            network, self._network = self._network, None
            self._stopping = threading.Thread(target=network.__exit__, args=(None, None, None),
                                              name="network-stop", daemon=False)
            self._stopping.start()

    def reproduce(self, requirements: Sequence[str]) -> str:
        return self.options.command(",".join(requirements))


def _control_token(path: Path | None) -> str:
    import json

    if path is None:
        raise pytest.UsageError("no credentials file given")
    return str(json.loads(path.read_text(encoding="utf-8"))["control"])


def get_run(config: pytest.Config) -> ConformanceRun:
    """The session's ConformanceRun, created from the --spoc-* options on first use."""
    run = config.stash.get(_KEY, None)
    if run is None:
        run = ConformanceRun(_options(config))
        config.stash[_KEY] = run
    return run


def install(config: pytest.Config, run: ConformanceRun) -> None:
    config.stash[_KEY] = run


def _options(config: pytest.Config) -> RunOptions:
    def get(name: str) -> Any:
        return config.getoption(name)

    obligation = get("spoc_siena_obligation_date")
    return RunOptions(
        sut=get("spoc_sut") or "reference", channels=get("spoc_channels"),
        credentials=Path(get("spoc_credentials")) if get("spoc_credentials") else None,
        defects=list(get("spoc_defect") or []), profile=get("spoc_profile") or "all",
        time_mode=get("spoc_time_mode") or "virtual", deadline_reading=get("spoc_deadline_reading") or "elapsed",
        seed=get("spoc_seed"), manual_timeout=float(get("spoc_manual_timeout") or 0.0),
        report_dir=Path(get("spoc_report_dir")) if get("spoc_report_dir") else None,
        siena_obligation_date=date.fromisoformat(obligation) if obligation else None,
    )


# -- hooks ---------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spoc-conformance", "conformance campaign of Directive (EU) 2023/977")
    group.addoption("--spoc-sut", help="'reference' (started here) or the vendor's SUT test interface URL")
    group.addoption("--spoc-channels", help="Channel simulators URL (vendor SUT)")
    group.addoption("--spoc-credentials", help="credentials.json of the channel simulators (vendor SUT)")
    group.addoption("--spoc-defect", action="append", help="Named defect of the reference CMS (repeatable)")
    group.addoption("--spoc-profile", help="all, or requirement IDs, chapters and articles, comma-separated")
    group.addoption("--spoc-time-mode", choices=["virtual", "real", "declared"])
    group.addoption("--spoc-deadline-reading", choices=["elapsed", "reg1182"])
    group.addoption("--spoc-seed", type=int)
    group.addoption("--spoc-manual-timeout", type=float)
    group.addoption("--spoc-report-dir", help="Write results.json, junit.xml, report.html and evidence here")
    group.addoption("--spoc-siena-obligation-date", help="From when Art 13 binds (R-57), YYYY-MM-DD")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(*ids, article): the catalogue requirement IDs and the article a conformance check judges",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    # The check modules are named for their article group (art05_time_limits.py), not test_*.py.
    if file_path.suffix == ".py" and file_path.name.startswith("art") and file_path.parent == CHECKS_DIR:
        module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
        return module
    return None


def _is_check(item: pytest.Item) -> bool:
    try:
        return Path(str(item.path)).resolve().parent == CHECKS_DIR.resolve()
    except OSError:
        return False


def _markers(item: pytest.Item) -> tuple[tuple[str, ...], str]:
    marker = item.get_closest_marker("requirement")
    if marker is None:
        return (), ""
    return tuple(str(a) for a in marker.args), str(marker.kwargs.get("article", ""))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    checks = [item for item in items if _is_check(item)]
    if not checks:
        return
    run = get_run(config)
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if not _is_check(item):
            keep.append(item)
            continue
        ids, _ = _markers(item)
        if not ids:
            raise pytest.UsageError(f"conformance check {item.nodeid} has no @pytest.mark.requirement marker")
        (keep if set(ids) & run.selected else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    run.needed = {rid for item in keep if _is_check(item) for rid in _markers(item)[0]}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    if not _is_check(item):
        return
    report: pytest.TestReport = outcome.get_result()
    if call.when == "setup" and call.excinfo is not None:
        _record(item, report, None, error=f"the check could not start: {call.excinfo.exconly()}")
        return
    if call.when != "call":
        return
    error = call.excinfo.exconly() if call.excinfo is not None else None
    judge = item.funcargs.get("judge") if hasattr(item, "funcargs") else None
    _record(item, report, judge, error=error)


def _record(item: pytest.Item, report: pytest.TestReport, judge: Any, *, error: str | None) -> None:
    from conformance.verdicts import Judge
    from reports.results import CheckResult, InstanceFinding, Outcome, Reproduce, VirtualTime, excerpt

    run = get_run(item.config)
    ids, article = _markers(item)
    title = _title(item)
    if error is not None or not isinstance(judge, Judge):
        outcome = Outcome.INCONCLUSIVE
        message = (f"{', '.join(ids)} {article}: INCONCLUSIVE - {title}\nthe harness could not evaluate this "
                   f"check: {error or 'it recorded no finding'}")
        if run.aborted:
            message += f"\n{run.aborted}"
        rule = expected = observed = None
        evidence: list[Any] = []
        curl: list[str] = []
        instances: list[InstanceFinding] = []
    else:
        outcome = judge.outcome
        message = judge.message()
        notable = next((f for f in judge.findings if f.outcome is outcome), None)
        rule = notable.rule if notable else None
        expected = notable.expected if notable else None
        observed = notable.observed if notable else judge.not_applicable_reason
        evidence = judge.evidence()
        curl = judge.curl() or _replay(run, [f.instance for f in judge.findings if f.outcome is outcome])
        # Each instance on its own, so that the report links a late exchange to its timeline.
        instances = [InstanceFinding(instance=f.instance, outcome=f.outcome, observed=excerpt(f.observed, 2000) or "",
                                     expected=f.expected, rule=f.rule)
                     for f in judge.findings if f.outcome is not Outcome.PASSED]
    broken = _broken_scenarios(run, ids)
    if broken and outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.WARNING):
        outcome = Outcome.INCONCLUSIVE
        message += "\nINCONCLUSIVE: scenarios this check relies on stopped early: " + "; ".join(
            f"{name}: {why}" for name, why in broken.items())
    span = None
    if run.result is not None:
        span = VirtualTime.between(run.result.network_start, run.result.network_end,
                                   "virtual" if run.settings.time_mode.value != "real" else "system")
    result = CheckResult(
        id=check_id(item), title=title, requirements=list(ids), articles=[article] if article else [],
        outcome=outcome, message=excerpt(message, 20_000) or "", expected=expected, observed=observed, rule=rule,
        basis_status=_basis(run, ids), evidence=evidence,
        reproduce=Reproduce(seed=run.settings.seed, command=run.reproduce(ids), curl=curl),
        duration_seconds=max(report.duration, 0.0), virtual_time=span, instances=instances,
    )
    run.checks.append(result)
    if outcome is Outcome.FAILED:
        report.outcome = "failed"
        report.longrepr = message
    elif outcome in (Outcome.INCONCLUSIVE, Outcome.NOT_APPLICABLE):
        first = message.splitlines()[1] if len(message.splitlines()) > 1 else message
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"{outcome.value}: {first}")
    else:
        report.outcome = "passed"
        report.longrepr = None
    report.user_properties.append(("conformance_outcome", outcome.value))


def _replay(run: ConformanceRun, instances: Sequence[str], limit: int = 12) -> list[str]:
    """curl lines of the harness's calls in the scenarios behind these findings (tokens left as variables)."""
    if run.result is None:
        return []
    ledger = run.result.ledger
    scenarios = []
    for instance in instances:
        key = next((k for k in ledger.exchanges if instance == k or instance.startswith((k + ":", k + "["))), None)
        if key is not None and ledger.exchanges[key].scenario not in scenarios:
            scenarios.append(ledger.exchanges[key].scenario)
    lines: list[str] = []
    for name in scenarios:
        for action in ledger.actions_of(name):
            if action.what in ("send", "stimulus", "decision", "fault"):
                if len(lines) == limit:  # rendering the rest only to cut it cost a passed check's every scenario
                    return lines
                lines.append(action.curl("$CONTROL_TOKEN" if action.actor != "sut" else "$SUT_TOKEN"))
    return lines


def _broken_scenarios(run: ConformanceRun, ids: Sequence[str]) -> dict[str, str]:
    """Scenarios serving these requirements that raised instead of running to their end."""
    if run.result is None or not run.result.scenario_failures:
        return {}
    from conformance.scenarios.base import SCENARIOS

    wanted = set(ids)
    return {name: why for name, why in run.result.scenario_failures.items()
            if name in SCENARIOS and SCENARIOS[name].requirements & wanted}


def _title(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else item.name


def _basis(run: ConformanceRun, ids: Sequence[str]) -> Any:
    from reports.results import BasisStatus, weakest_basis

    bases = []
    for rid in ids:
        try:
            bases.append(BasisStatus(run.catalogue.get(rid).basis.value))
        except (KeyError, ValueError):
            bases.append(BasisStatus.UNVERIFIED)
    return weakest_basis(bases)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(_KEY, None)
    if run is None:
        return
    run.finished_at = datetime.now(UTC)
    try:
        if run.options.report_dir is not None and run.checks and run.write_reports_at_end:
            from conformance.campaign.reporting import build_results, write_reports

            results = build_results(run)
            write_reports(results, run, run.options.report_dir)
    finally:
        if run.stop_network_in_background:
            run.close_in_background()
        else:
            run.close()
