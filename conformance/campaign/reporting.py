"""Turning a conformance session into results.json, junit.xml, report.html and the evidence bundle.

Everything derived (requirement and article verdicts, coverage, declarations, traceability) comes
from the catalogue, the checks' markers and the Gherkin scenario tags, through reports.assemble.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from conformance.campaign.timelines import build_timelines
from conformance.campaign.view import CampaignView
from conformance.catalogue import PACKAGED_SOURCE
from conformance.coverage import coverage_matrix
from conformance.gherkin import scenario_index
from reports.assemble import assemble_results
from reports.deviations import apply_deviations, load_deviations
from reports.drawing import draw_late_early, start_drawing
from reports.evidence import MANIFEST_NAME, write_bundle
from reports.formats import REPORT_FORMATS, RESULTS_JSON, write_report_files
from reports.load_run import load_run_from_file
from reports.private_files import private_dir, write_private_text
from reports.results import (
    BasisStatus,
    ChannelJournal,
    JournalHead,
    KillRow,
    RequirementMeta,
    RunResults,
    RunSettings,
    SignerInfo,
    SystemUnderTest,
    VirtualTime,
)
from reports.signing import ephemeral_signing_key, load_signing_key

if TYPE_CHECKING:
    from conformance.campaign.conformance_run import ConformanceRun
    from conformance.campaign.runner import CampaignResult
    from conformance.catalogue import Catalogue

__all__ = ["FEATURES_DIR", "build_results", "draw_while_checking", "gherkin_scenarios", "requirement_meta",
           "write_reports", "write_results_only"]

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"


def requirement_meta(catalogue: Catalogue) -> list[RequirementMeta]:
    return [
        RequirementMeta(
            id=r.id, article=r.article, title=r.title, basis=BasisStatus(r.basis.value),
            declaration_only=r.declaration_only, not_tested_reason=r.not_testable_reason,
        )
        for r in catalogue.all()
    ]


def gherkin_scenarios(features_dir: Path = FEATURES_DIR) -> dict[str, list[str]]:
    """Requirement ID -> Gherkin scenarios citing it (empty when the features are not installed)."""
    if not features_dir.is_dir():
        return {}

    try:
        index = scenario_index(features_dir)
    except Exception:  # a malformed feature file must not cost the run its results
        return {}
    return {
        rid: [f"{ref.feature}:{ref.line} {ref.scenario}" + (f" [{ref.examples}]" if ref.examples else "")
              for ref in refs]
        for rid, refs in index.items()
    }


def _harness_version() -> str | None:
    try:
        return version("spoc-harness")
    except PackageNotFoundError:
        return None


def _catalogue_digest() -> str:
    source = Path(__file__).resolve().parents[2] / PACKAGED_SOURCE
    return hashlib.sha256(source.read_bytes()).hexdigest()


# Long: every field of results.json gathered in one place, in the order of the schema;
# its parts share the run's settings, span and catalogue.
def build_results(run: ConformanceRun, *, kill_matrix: Sequence[KillRow] | None = None) -> RunResults:
    settings = run.settings
    result = run.result
    if result is not None:
        span = VirtualTime.between(result.network_start, result.network_end,
                                   "system" if settings.time_mode.value == "real" else "virtual")
    else:
        span = VirtualTime.between(settings.start_utc, settings.start_utc)
    shown: dict[str, Any] = dict(settings.shown())
    shown.pop("profile", None)
    shown.pop("time_mode", None)
    shown.pop("deadline_reading", None)
    shown.pop("seed", None)
    if result is not None:
        shown |= {
            "campaign_wall_clock_seconds": round(result.wall_seconds, 3),
            "campaign_network_span_seconds": span.span_seconds,
            "campaign_network_span_days": round(span.span_seconds / 86400, 3),
            "main_timeline_days": round(((result.main_end or result.network_end) - result.network_start)
                                        .total_seconds() / 86400, 3),
            "clock_steps": result.steps,
            "settle_timeouts": result.settle_timeouts,
            "settling": result.settling,
            "scenarios": result.scenarios,
        }
        if result.scenario_failures:
            shown["scenario_failures"] = result.scenario_failures
        clock = CampaignView(result).times.declared_clock
        if clock is not None:  # declared mode: whether the SUT's recorded times are on the network's clock
            shown["declared_clock"] = clock.summary()
    info = result.info if result is not None else None
    finished = run.finished_at or datetime.now(UTC)
    # A profile run answers for the requirements it selected; the rest of the catalogue was not asked.
    meta = [m for m in requirement_meta(run.catalogue) if m.id in run.selected]
    checks, deviations = list(run.checks), None
    if run.options.deviations is not None:
        # Judged on the day the run started: an entry valid then covers the whole run.
        checks, deviations = apply_deviations(checks, load_deviations(run.options.deviations),
                                              state=settings.sut_state, today=run.started_at.date(),
                                              source=str(run.options.deviations))
    # Which catalogue judged the run: its digest, so a certificate names the exact requirement readings.
    shown["catalogue_sha256"] = _catalogue_digest()
    journal = _channel_journal(result.channel_journal if result is not None else None)
    aborted = run.aborted
    if aborted is None and journal is not None and not journal.ok:
        # The verdicts rest on the journal: one that fails verification is no ground for any.
        aborted = f"the channel journal failed verification: {journal.detail}"
    results = assemble_results(
        checks,
        meta,
        harness_version=_harness_version(),
        started_at=run.started_at,
        finished_at=finished,
        virtual_time=span,
        sut=SystemUnderTest(
            kind="reference" if run.options.sut == "reference" else "vendor",
            url=run.sut_url or run.options.sut,
            state=settings.sut_state,
            defects=list(run.options.defects),
            # `product` is the contract's; a `name` some CMSs give instead is kept as an extra field.
            name=(info.product or getattr(info, "name", None)) if info is not None else None,
        ),
        settings=RunSettings(profile=str(settings.profile), time_mode=settings.time_mode.value,
                             deadline_reading=settings.deadline_reading.value, seed=settings.seed, **shown),
        scenarios=gherkin_scenarios(),
        kill_matrix=kill_matrix,
        applicability=(coverage_matrix(run.catalogue, result.ledger.exchanges.values(), settings.sut_state,
                                       [m.id for m in meta], update_interval=settings.delay_update_within)
                       if result is not None else None),
        aborted=aborted is not None,
        abort_reason=aborted,
        deviations=deviations,
        evidence=run.evidence_table.evidence,
        curl_lines=run.evidence_table.curl_lines,
    )
    results.channel_journal = journal
    if run.options.load_results is not None:
        results.load = load_run_from_file(run.options.load_results)
    if result is not None:
        results.timelines = run.timelines if run.timelines is not None else build_timelines(CampaignView(result))
    return results


def draw_while_checking(run: ConformanceRun, result: CampaignResult) -> None:
    """Once the campaign has run: its timelines, and those of late answers drawn while the checks run."""
    run.timelines = build_timelines(CampaignView(result))
    draw_late_early(run.timelines)


def _channel_journal(verification: dict[str, Any] | None) -> ChannelJournal | None:
    """The network's answer to `/control/journal/verify` as results.json records it."""
    if not verification:
        return None
    return ChannelJournal(ok=bool(verification.get("ok")),
                          head=JournalHead(seq=int(verification.get("entries", 0)), hash=str(verification.get("head"))),
                          detail=verification.get("detail"))


def write_results_only(results: RunResults, report_dir: Path) -> dict[str, Path]:
    """results.json alone, unsigned and without a bundle: a kill-matrix defect run, whose requirements' outcomes
    are all the matrix reads of it (the matrix's own report is written once, from the clean run)."""
    private_dir(report_dir)
    return write_report_files(results, report_dir, [RESULTS_JSON])


def write_reports(results: RunResults, run: ConformanceRun, report_dir: Path) -> dict[str, Path]:
    """Write every report of the run; returns label -> path."""
    private_dir(report_dir)
    bundle_dir = report_dir / "evidence"
    if bundle_dir.exists():
        if not (bundle_dir / MANIFEST_NAME).exists() and any(bundle_dir.iterdir()):
            raise FileExistsError(f"{bundle_dir} holds files that are not an evidence bundle; move them away")
        shutil.rmtree(bundle_dir)
    results.evidence_bundle = str(bundle_dir)
    # The key is settled before results.json is written, so that results.json, the report and JUnit
    # name the signer the bundle then carries.
    signing_key = load_signing_key(run.options.signing_key) if run.options.signing_key else ephemeral_signing_key()
    results.signer = SignerInfo(name=signing_key.signer, public_key_sha256=signing_key.fingerprint,
                                ephemeral=signing_key.ephemeral)
    # The pictures are drawn by their own process while results.json, JUnit and the bundle's other files are
    # written; the HTML report, written last, waits for them.
    start_drawing(results)
    journal: list[dict[str, Any]] = []
    extras: dict[str, Path] = {}
    staging = report_dir / ".evidence-staging"
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    if run.result is not None:
        campaign = run.result
        journal = [m.model_dump(mode="json") for m in campaign.ledger.messages()]
        ledger_path = staging / "ledger.json"
        write_private_text(ledger_path, campaign.ledger.model_dump_json(indent=1))
        exports_path = staging / "cms-exports.json"
        exports = {"main": campaign.exports.to_json(),
                   "after_retention_phase": campaign.final_exports.to_json() if campaign.final_exports else None,
                   "statistics_before": {str(k): v for k, v in campaign.statistics_before.items()},
                   "sut_info": campaign.info.model_dump(mode="json")}
        # orjson: the exports are the largest file of the bundle, and json.dumps took half a second on them.
        exports_text = orjson.dumps(exports, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode("utf-8")
        write_private_text(exports_path, exports_text)
        extras = {"ledger.json": ledger_path, "cms-exports.json": exports_path}
    paths = write_report_files(results, report_dir)
    extras |= {f.filename: paths[f.filename] for f in REPORT_FORMATS if f.in_bundle and f is not RESULTS_JSON}
    if results.channel_journal is not None:  # the head, kept apart from the database it describes
        head_path = staging / "channel-journal.json"
        write_private_text(head_path, results.channel_journal.model_dump_json(indent=1))
        extras["channel-journal.json"] = head_path
    manifest = write_bundle(bundle_dir, results_path=paths[RESULTS_JSON.filename], journal_export=journal,
                            extra_files=extras, created_at=results.finished_at, signing_key=signing_key)
    shutil.rmtree(staging, ignore_errors=True)
    paths["evidence"] = bundle_dir
    run.evidence_key_sha256 = manifest.signature.public_key_sha256
    return paths
