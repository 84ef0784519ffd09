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

from collections.abc import Generator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy
import pytest

from conformance.checks import CHECKS_DIR

if TYPE_CHECKING:
    from conformance.campaign.conformance_run import ConformanceRun
    from conformance.campaign.run_options import RunOptions

__all__ = ["get_run", "install"]

_KEY = pytest.StashKey["ConformanceRun"]()


def get_run(config: pytest.Config) -> ConformanceRun:
    """The session's ConformanceRun, created from the --spoc-* options on first use."""
    run = config.stash.get(_KEY, None)
    if run is None:
        # Imported here, not at the top: pytest loads this plugin in every session (it is an entry point),
        # and the campaign's modules (aiohttp, pydantic models, the catalogue) would slow every one of them.
        from conformance.campaign.conformance_run import ConformanceRun

        run = ConformanceRun(_options(config))
        config.stash[_KEY] = run
    return run


def install(config: pytest.Config, run: ConformanceRun) -> None:
    config.stash[_KEY] = run


def _options(config: pytest.Config) -> RunOptions:
    from conformance.campaign.run_options import RunOptions  # as in get_run: start-up time

    def text(name: str) -> str | None:
        value = config.getoption(name)
        return None if value is None else str(value)

    obligation = text("spoc_siena_obligation_date")
    credentials = text("spoc_credentials")
    report_dir = text("spoc_report_dir")
    seed = config.getoption("spoc_seed")
    return RunOptions(
        sut=text("spoc_sut") or "reference", channels=text("spoc_channels"),
        credentials=Path(credentials) if credentials else None,
        defects=[str(d) for d in config.getoption("spoc_defect") or []], profile=text("spoc_profile") or "all",
        time_mode=text("spoc_time_mode") or "virtual", deadline_reading=text("spoc_deadline_reading") or "elapsed",
        seed=int(seed) if seed is not None else None, manual_timeout=float(text("spoc_manual_timeout") or 0.0),
        report_dir=Path(report_dir) if report_dir else None,
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
    return _in_checks_dir(str(item.path))


@cache
def _in_checks_dir(path: str) -> bool:
    """Whether the module at `path` is one of the conformance checks (once per module: every hook of every
    test asks, and resolving a path reads each of its directories)."""
    try:
        return Path(path).resolve().parent == CHECKS_DIR
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
    known = {requirement.id for requirement in run.catalogue.all()}
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if not _is_check(item):
            keep.append(item)
            continue
        ids, _ = _markers(item)
        if not ids:
            raise pytest.UsageError(f"conformance check {item.nodeid} has no @pytest.mark.requirement marker")
        # The marker is the one place a check names its requirements: a misspelt ID fails here, at collection.
        unknown = [rid for rid in ids if rid not in known]
        if unknown:
            raise pytest.UsageError(f"conformance check {item.nodeid} names requirements the catalogue does not "
                                    f"hold: {', '.join(unknown)}")
        (keep if set(ids) & run.selected else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    run.needed = {rid for item in keep if _is_check(item) for rid in _markers(item)[0]}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                               ) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
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


def _record(item: pytest.Item, report: pytest.TestReport, judge: object, *, error: str | None) -> None:
    # Imported when a check has run, not when pytest loads the plugin (start-up time, as in get_run).
    from conformance.campaign.check_results import CheckIdentity, check_result
    from conformance.campaign.conformance_run import check_id
    from conformance.verdicts import Judge
    from reports.results import Outcome

    run = get_run(item.config)
    ids, article = _markers(item)
    identity = CheckIdentity(id=check_id(item), title=_title(item), requirements=ids, article=article)
    result, message = check_result(run, identity, judge if isinstance(judge, Judge) else None, error=error,
                                   duration_seconds=report.duration)
    run.checks.append(result)
    outcome = result.outcome
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


def _title(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else item.name


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(_KEY, None)
    if run is None:
        return
    run.finished_at = datetime.now(UTC)
    try:
        if run.options.report_dir is not None and run.checks and run.write_reports_at_end:
            # Only a conformance session with a report directory writes reports (start-up time, as in get_run).
            from conformance.campaign.reporting import build_results, write_reports

            results = build_results(run)
            write_reports(results, run, run.options.report_dir)
    finally:
        if run.stop_network_in_background:
            run.close_in_background()
        else:
            run.close()
