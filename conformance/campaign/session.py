"""One `spoc-harness run`: pytest over the checks (in-process), then the reports and the summary."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.campaign.conformance_run import ConformanceRun
from conformance.campaign.processes import NetworkPreload
from conformance.campaign.reporting import build_results, draw_while_checking, write_reports, write_results_only
from conformance.campaign.run_options import RunOptions
from conformance.campaign.runner import Endpoints, Progress
from conformance.checks import CHECKS_DIR
from conformance.plugin import install
from conformance.scenarios.preparation import prepare_in_background
from reports.console import render_summary
from reports.results import RunResults

__all__ = ["RichProgress", "SessionOutcome", "run_session"]


@dataclass
class SessionOutcome:
    exit_code: int
    results: RunResults | None
    paths: dict[str, Path] = field(default_factory=dict)
    run: ConformanceRun | None = None


class RichProgress(Progress):
    """Phase, network time and scenarios done, on one live line (rich)."""

    def __init__(self, zone: Any) -> None:
        # Start-up time: rich's live display loads only when a progress line is shown.
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.zone = zone
        self.console = Console(file=sys.stderr)
        self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       console=self.console, transient=True)
        self.task = self.bar.add_task("starting", total=None)
        self.label = "starting"
        self.bar.start()

    def phase(self, name: str) -> None:
        self.label = name
        self.bar.update(self.task, description=name)

    def update(self, network_time: datetime, done: int, total: int) -> None:
        local = network_time.astimezone(self.zone).strftime("%a %d %b %Y %H:%M %Z")
        self.bar.update(self.task, description=f"{self.label} | network time {local}", completed=done, total=total)

    def say(self, text: str) -> None:
        self.console.print(text)

    def stop(self) -> None:
        self.bar.stop()


class _Bridge:
    """Hands the prepared ConformanceRun to the pytest session's plugin."""

    def __init__(self, run: ConformanceRun) -> None:
        self.conformance_run = run

    def pytest_configure(self, config: pytest.Config) -> None:
        install(config, self.conformance_run)


# Built-in plugins the checks do without. "unraisableexception" turns an exception raised in a finaliser into
# a pytest warning, and for that runs five full garbage collections at the end of every session: most of a
# second in a kill-matrix worker, whose heap holds its earlier runs' modules. Nothing of a verdict rests on it.
_UNNEEDED_PLUGINS = ("cacheprovider", "terminal", "unraisableexception")
# The checks are plain functions over the finished campaign: the installed pytest plugins (test tools of this
# project or of the vendor's environment) are not loaded at all, which also spares pytest reading every
# installed distribution's file list to mark them for assertion rewriting (about 0.4 s a session).
_SESSION_ENVIRONMENT = {"PYTEST_ADDOPTS": "", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def _pytest_args(work: Path) -> list[str]:
    work.mkdir(parents=True, exist_ok=True)
    ini = work / "pytest.ini"
    # Our own (empty) configuration: the checks must not pick up a project's pytest settings.
    lines = ["[pytest]"]
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = [str(CHECKS_DIR), "-c", str(ini), "--rootdir", str(CHECKS_DIR.parent), "--import-mode=importlib",
            # No output capture: the progress line and the manual steps must reach the person running it.
            "--capture=no", "-p", "conformance.plugin"]
    for plugin in _UNNEEDED_PLUGINS:
        args += ["-p", f"no:{plugin}"]
    return args


def _run_pytest(work: Path, run: ConformanceRun) -> int | pytest.ExitCode:
    """pytest over the checks, in the session's own environment (put back afterwards)."""
    previous = {name: os.environ.get(name) for name in _SESSION_ENVIRONMENT}
    os.environ.update(_SESSION_ENVIRONMENT)
    try:
        return pytest.main(_pytest_args(work), plugins=[_Bridge(run)])
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _prepare(options: RunOptions, *, report: bool) -> None:
    """What the run needs later, made in the background now: the scenario library and its Faker (mostly reading
    files) while pytest collects the checks, since the network is up by then and the campaign's first step would
    wait for them (not earlier: this thread and the main one would import the same packages at once); and for
    a run that writes the report, its template, and its pictures' process if a load section will need
    matplotlib (otherwise that starts only if the report turns out to need it)."""
    prepare_in_background()
    if report:
        # Start-up time: the report's template and pictures are prepared only for a run that writes them.
        from reports.html import prepare_in_background as prepare_report

        prepare_report(drawer=options.load_results is not None)


def run_session(
    options: RunOptions,
    *,
    quiet: bool = False,
    echo: Callable[[str], None] = print,
    write: bool = True,
    endpoints: Endpoints | None = None,
    results_only: bool = False,
    preloaded: NetworkPreload | None = None,
) -> SessionOutcome:
    """Run the checks the profile selects against the SUT; write the reports; return the verdict.

    `endpoints`: channels and SUT already running (the kill matrix's reused reference network); otherwise a
    reference SUT is started for this run and stopped after it. `results_only`: of the reports, write
    results.json alone (a kill-matrix defect run, read back only for its requirements' outcomes): no report
    page, JUnit or evidence bundle, and so no process preparing the report's pictures. `preloaded`: the
    reference network's interpreters, started before this was called; the run takes or stops them."""
    _prepare(options, report=write and not results_only)
    run = ConformanceRun(options, journal_since_verified=results_only and endpoints is not None)
    run.write_reports_at_end = False
    if write and not results_only:
        run.when_campaign_ends = lambda result: draw_while_checking(run, result)
    run.endpoints = endpoints
    run.preloaded = preloaded
    run.start_network_early()  # the reference network's processes start while pytest collects the checks
    run.stop_network_in_background = True
    progress: RichProgress | None = None
    if not quiet and sys.stderr.isatty():
        progress = RichProgress(run.settings.zone)
        run.progress = progress
    report_dir = options.report_dir or Path("reports-out")
    work = options.work_dir or report_dir / "run-data"
    try:
        try:
            code = _run_pytest(work, run)
        finally:
            if progress is not None:
                progress.stop()
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) and not run.checks:
            echo(f"the conformance checks could not run (pytest exit code {int(code)})")
            return SessionOutcome(2, None, run=run)
        run.finished_at = run.finished_at or datetime.now(UTC)
        results = build_results(run)
        paths: dict[str, Path] = {}
        if write:
            paths = write_results_only(results, report_dir) if results_only else write_reports(results, run, report_dir)
    finally:
        run.close()  # the network began stopping when the checks ended; the run ends once it has
    if not quiet or write:
        echo(render_summary(results, report_paths={k: str(v) for k, v in paths.items()},
                            public_key_sha256=run.evidence_key_sha256))
    return SessionOutcome(0 if results.verdict.conformant else 1, results, paths, run)
