"""The state of one conformance session: its options, the campaign it runs once, and the checks' results.

The pytest plugin (conformance/plugin.py) keeps one ConformanceRun per session and only hooks into
pytest; `spoc-harness run` (conformance/campaign/session.py) prepares one and hands it over; the reports
(conformance/campaign/reporting.py) are written from it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.campaign.processes import NetworkPreload, started
from conformance.campaign.run_options import RunOptions
from conformance.campaign.runner import CampaignResult, Endpoints, Progress, run_campaign
from conformance.campaign.view import CampaignView
from conformance.catalogue import load_catalogue
from conformance.scenarios.preparation import prepare_in_background
from reports.evidence_table import EvidenceTable
from reports.results import CheckResult, ExchangeTimeline

__all__ = ["ConformanceRun", "check_id"]

def check_id(item: pytest.Item) -> str:
    """'conformance/checks/art05_time_limits.py::test_urgent_direct' -> 'art05_time_limits.urgent_direct'."""
    module = Path(str(item.path)).stem
    name = item.name.removeprefix("test_")
    return f"{module}.{name}"


class ConformanceRun:
    """The state of one conformance session: options, the campaign, the check results."""

    def __init__(self, options: RunOptions, *, journal_since_verified: bool = False) -> None:
        """`journal_since_verified`: a defect run on a reused network (the kill matrix's), which verifies only the
        channel journal's entries since the network's previous run; the worker verifies it all at the end."""
        self.options = options
        self.catalogue = load_catalogue()
        self.settings = options.campaign_settings()
        self.selected = set(self.settings.profile.resolve(self.catalogue))
        self.checks: list[CheckResult] = []
        self.evidence_table = EvidenceTable()  # the steps and curl lines the checks cite, each once
        # Called once the campaign has run, before the checks: `spoc-harness run` starts the report's pictures.
        self.when_campaign_ends: Callable[[CampaignResult], None] | None = None
        self.timelines: list[ExchangeTimeline] | None = None  # the campaign's, once built for the report
        self.errors: list[str] = []
        self.result: CampaignResult | None = None
        self.started_at = datetime.now(UTC)
        self.finished_at: datetime | None = None
        self.aborted: str | None = None
        self.needed: set[str] = set()
        self.endpoints: Endpoints | None = None  # when given by the caller; else from the options
        self.progress: Progress | None = None
        self.sut_url = ""
        self.write_reports_at_end = True  # `spoc-harness run` writes them itself
        self.journal_since_verified = journal_since_verified
        # `spoc-harness run` lets the network stop while the checks run and it writes the reports (they need
        # nothing of it), and waits for the stop before it returns (`close`).
        self.stop_network_in_background = False
        self._stopping: threading.Thread | None = None
        self.evidence_key_sha256: str | None = None
        self._network: started | None = None
        # The reference network's interpreters when started before this run (`spoc-harness run`), to be taken.
        self.preloaded: NetworkPreload | None = None
        self._early: tuple[threading.Thread, list[Endpoints | BaseException]] | None = None

    # -- the campaign ---------------------------------------------------------------------------

    def campaign(self) -> CampaignView:
        """Run the campaign once (for the requirements of the selected checks) and return its view."""
        if self.result is None and self.aborted is None:
            try:
                asyncio.run(self._run_and_keep())
            except Exception as exc:
                self.aborted = f"the campaign could not run: {type(exc).__name__}: {exc}"
                raise
            if self.stop_network_in_background and self.result is not None:
                # The checks judge the finished campaign (its ledger, the exports, the journal it verified) and
                # never call the network: it stops while they run.
                self.close_in_background()
            if self.when_campaign_ends is not None and self.result is not None:
                self.when_campaign_ends(self.result)
        if self.result is None:
            raise RuntimeError(self.aborted or "the campaign did not run")
        return CampaignView(self.result)

    async def _run_and_keep(self) -> None:
        # The result is kept here, not returned: asyncio.run's SIGINT handler names the main task, and in the
        # main thread Python 3.11 formats that handler's repr (the finished task's result, the whole campaign
        # with its ledger) twice on the way out, a fifth of a second of CPU per run.
        self.result = await self._run()

    async def _run(self) -> CampaignResult:
        prepare_in_background()  # while the network's processes start
        endpoints = self.endpoints
        if endpoints is None:
            endpoints = self._endpoints()
        self.sut_url = endpoints.sut_url
        requirements = sorted(self.needed or self.selected)
        return await run_campaign(self.settings, endpoints, requirements, progress=self.progress,
                                  command=self.options.command(), scenario_names=self.options.scenarios,
                                  journal_since_verified=self.journal_since_verified)

    def start_network_early(self) -> None:
        """Begin starting the reference network now, in a thread: its processes then start while pytest
        collects the checks, and the campaign takes the network as soon as it is up (`_endpoints`)."""
        if self.options.sut != "reference" or self.endpoints is not None or self._early is not None:
            return
        answer: list[Endpoints | BaseException] = []

        def start() -> None:
            try:
                answer.append(self._reference_endpoints())
            except BaseException as exc:  # handed to the campaign, which reports it as it would its own
                answer.append(exc)

        thread = threading.Thread(target=start, name="network-start", daemon=True)
        thread.start()
        self._early = (thread, answer)

    def _endpoints(self) -> Endpoints:
        options = self.options
        if options.sut == "reference" and self._early is not None:
            thread, answer = self._early
            self._early = None
            thread.join()
            if isinstance(answer[0], BaseException):
                raise answer[0]
            return answer[0]
        if options.sut == "reference":
            return self._reference_endpoints()
        if not options.channels or not (options.credentials or options.control_token):
            raise pytest.UsageError("a vendor SUT needs --spoc-channels URL and --spoc-credentials FILE")
        token = options.control_token or _control_token(options.credentials)
        return Endpoints(options.channels, token, options.sut.rstrip("/"), options.sut_token)

    def _reference_endpoints(self) -> Endpoints:
        options = self.options
        base = options.work_dir or Path(tempfile.mkdtemp(prefix="spoc-run-"))
        plan = options.network_plan(base)
        preloaded, self.preloaded = self.preloaded, None
        taken = preloaded.take(plan) if preloaded is not None else None  # started already, for this very plan
        if taken is not None:
            self._network = network = taken
        else:
            if preloaded is not None and not preloaded.usable_for(plan):
                preloaded.stop()  # started for another network: of no use here
                preloaded = None
            self._network = started(plan.work_dir, state=plan.state, start=plan.start, defects=plan.defects,
                                    keep=plan.keep, virtual=plan.virtual,
                                    sut_token=options.sut_token or secrets.token_urlsafe(24), preloaded=preloaded)
            network = self._network.__enter__()
        assert network.simulators is not None
        assert network.cms is not None
        # The reference CMS runs with a token of the run's own, so every campaign exercises the
        # documented bearer-token path of the SUT interface.
        return Endpoints(network.simulators.url, network.simulators.control_token, network.cms.url,
                         network.cms.sut_token)

    def close(self) -> None:
        """Stop the network this run started (and wait for a stop begun in the background)."""
        if self._early is not None:  # started early, and no campaign took it: it is stopped below, once up
            self._early[0].join()
            self._early = None
        if self._stopping is not None:
            self._stopping.join()
            self._stopping = None
        if self._network is not None:
            self._network.__exit__(None, None, None)
            self._network = None
        if self.preloaded is not None:  # no campaign took it
            self.preloaded.stop()
            self.preloaded = None

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
    if path is None:
        raise pytest.UsageError("no credentials file given")
    return str(json.loads(path.read_text(encoding="utf-8"))["control"])
