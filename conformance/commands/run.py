"""`spoc-harness run`: the conformance campaign against a CMS, with results.json, JUnit, HTML and evidence.

For the reference CMS it starts and stops the simulators and the CMS itself (real subprocesses on
free loopback ports, their data under the report directory). For a vendor CMS give the SUT test
interface URL, the simulators' URL and their credentials.json. `--kill-matrix` instead proves that the
checks can fail: the reference CMS is run once per named defect, with only the checks of the
requirements that defect breaks, plus once clean; results.json then carries the kill matrix.

Exit code: 0 iff the verdict is "conformant" or "conformant with warnings" (for --kill-matrix: the clean
run is conformant and every defect is killed), 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from conformance.campaign.processes import NetworkPreload

__all__ = ["run"]


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _refuse_a_standing_clock(channels: str) -> None:
    """--time-mode real waits on the network clock, which nobody moves on channels with a frozen virtual clock:
    such a run would wait for ever, so it is refused before it starts, with the fix."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    import time
    import urllib.request

    def read() -> dict[str, str]:
        with urllib.request.urlopen(channels.rstrip("/") + "/clock", timeout=10) as answer:
            return dict(json.load(answer))

    try:
        first = read()
        if first.get("mode") != "virtual":
            return
        time.sleep(1.5)
        if read().get("now") != first.get("now"):
            return  # a virtual clock with --rate runs by itself
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"the channels at {channels} do not answer GET /clock: {exc}") from None
    raise click.UsageError(
        f"--time-mode real needs a running network clock, but the channels at {channels} run on a virtual clock "
        f"that stands still (at {first.get('now')}) until someone moves it. Start them with `spoc-harness serve "
        "--clock system` (or `--clock virtual --rate 1`), or run with --time-mode virtual (or declared) on "
        "channels started with `spoc-harness serve --clock virtual --start 2026-03-27T00:00:00Z`."
    )


def _check_load_results(path: Path) -> None:
    """Refuse a file that is not a load run's results before the campaign, not after it."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from reports.load_run import LoadResultsError, load_run_from_file

    try:
        load_run_from_file(path)
    except LoadResultsError as exc:
        raise click.BadParameter(str(exc), param_hint="--load-results") from None


def _scenario_names(text: str | None) -> list[str] | None:
    """`--scenarios a,b` as a list of names, each refused unless it is a scenario of the library."""
    if text is None:
        return None
    # Start-up time: the scenario library takes a second to import; only a run naming scenarios needs it here.
    from conformance.scenarios.library import load_scenarios

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(load_scenarios()))
    if unknown or not names:
        raise click.BadParameter(f"not scenarios of the library: {', '.join(unknown) or '(none named)'}",
                                 param_hint="--scenarios")
    return names


def _preload_reference_network(work_dir: Path) -> NetworkPreload:
    """The reference network's interpreters, started first: their imports run while this process imports the
    campaign and collects the checks, and the run tells them their command lines once it knows them."""
    # Start-up time: the processes module is light; everything else the run needs loads after this.
    from conformance.campaign.processes import NetworkPreload

    return NetworkPreload(work_dir / "reference-network")


# Long: one command's body: each option refused before the campaign starts, in the order of the options,
# then the campaign or the kill matrix; the reference network's interpreters start before all that.
@click.command()
@click.option("--sut", default="reference", show_default=True,
              help="'reference' (started here), or the vendor's SUT test interface URL (e.g. http://127.0.0.1:8800).")
@click.option("--channels", help="Vendor SUT: URL of the channel simulators the CMS is connected to.")
@click.option("--credentials", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vendor SUT: the simulators' credentials.json (its control token drives the network).")
@click.option("--defect", "defects", multiple=True, metavar="NAME",
              help="Reference CMS only: switch on a named defect (repeatable; see `spoc-harness defects`).")
@click.option("--profile", default="all", show_default=True,
              help="Which requirements: all, or IDs (R-10), chapters (chapter:II), articles ('Art 5(1)'), "
                   "comma-separated.")
@click.option("--scenarios", default=None, metavar="NAMES",
              help="Only these scenarios (comma-separated names) of those the profile selects; a kill-matrix "
                   "defect run names the scenarios its defect shows in. Default: every selected scenario.")
@click.option("--time-mode", type=click.Choice(["virtual", "real", "declared"]), default="virtual",
              show_default=True, help="virtual: the SUT follows the network clock the harness moves; real: wall "
                                      "clock, everything sent at once, the SUT watched --real-wait seconds; "
                                      "declared: virtual, with the Art 5(1) times the CMS records.")
@click.option("--deadline-reading", type=click.Choice(["elapsed", "reg1182"]), default="elapsed",
              show_default=True, help="How 'calendar days' are counted (reg1182 is an unverified reading).")
@click.option("--seed", type=int, help="Seed of the generated data; the same seed replays the same run.")
@click.option("--manual-timeout", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds to wait for a person doing a step the SUT does not automate (0: do not ask).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports-out"),
              show_default=True, help="Where results.json, junit.xml, report.html and the evidence go.")
@click.option("--siena-obligation-date", callback=_parse_date,
              help="From when the SIENA obligations of Art 13 bind (R-57; default 2027-06-12). Before it a "
                   "non-SIENA exchange is a warning.")
@click.option("--real-wait", type=click.FloatRange(1), default=None,
              help="--time-mode real: seconds of wall clock the SUT is watched for (default 120); what falls "
                   "due later is inconclusive.")
@click.option("--kill-matrix", is_flag=True,
              help="Reference CMS: run every named defect (or those given with --defect) and the clean CMS, and "
                   "write the defect-by-requirement kill matrix.")
@click.option("--jobs", type=click.IntRange(1, 8), default=2, show_default=True,
              help="--kill-matrix: defect runs in parallel (workers, each reusing one channel server and one "
                   "reference CMS from run to run).")
@click.option("--fresh-processes", is_flag=True,
              help="--kill-matrix: start a `spoc-harness run` with its own simulators and CMS for every run instead "
                   "of reusing them (always so with --time-mode real).")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the evidence bundle with this key file (`spoc-harness keys new`). Without it an "
                   "ephemeral key signs, labelled as such: fine for development, proves no signer.")
@click.option("--sut-token", envvar="SPOC_SUT_TOKEN", show_envvar=True,
              help="Bearer token the SUT test interface requires (the reference CMS's `cms --sut-token`).")
@click.option("--deviations", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML (or JSON) file of accepted deviations: requirement, scope (scenario, check, state), owner, "
                   "reason, reference, expires. A failure they cover is listed as an accepted deviation; expired "
                   "entries fail the run. See docs/conformance-campaign.md.")
@click.option("--load-results", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="load-results.json of a `spoc-harness load` run to include: results.json and report.html get its "
                   "load section (verdict, throughput and deadline-margin plots). See docs/load.md.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display; just the summary.")
def run(
    sut: str, channels: str | None, credentials: Path | None, defects: tuple[str, ...], profile: str,
    scenarios: str | None, time_mode: str, deadline_reading: str, seed: int | None, manual_timeout: float,
    report_dir: Path,
    siena_obligation_date: date | None, real_wait: float | None, kill_matrix: bool, jobs: int,
    fresh_processes: bool, signing_key: Path | None, sut_token: str | None, quiet: bool,
    deviations: Path | None = None, load_results: Path | None = None,
) -> None:
    """Run the conformance campaign against a CMS and write the reports."""
    work_dir = report_dir / "run-data"
    preloaded = _preload_reference_network(work_dir) if sut == "reference" and not kill_matrix else None
    try:
        # Start-up time: imported once the reference network's interpreters are starting (`run`).
        from conformance.campaign.run_options import RunOptions
        from conformance.catalogue import load_catalogue
        from conformance.settings import Profile, ProfileError
        from reports.deviations import DeviationFileError, load_deviations
        from reports.signing import KeyFileError, load_signing_key
        from simulators.reference_cms.defects import DEFECTS

        vendor = sut != "reference"
        if vendor and not (sut.startswith("http://") or sut.startswith("https://")):
            raise click.BadParameter("give 'reference' or the SUT test interface URL", param_hint="--sut")
        if vendor and (not channels or not credentials):
            raise click.UsageError("a vendor SUT needs --channels URL and --credentials FILE")
        if vendor and (defects or kill_matrix):
            raise click.UsageError("--defect and --kill-matrix work with the reference CMS only")
        if defects:
            unknown = [d for d in defects if d not in DEFECTS]
            if unknown:
                raise click.BadParameter(f"unknown defect(s) {', '.join(unknown)}; see `spoc-harness defects`",
                                         param_hint="--defect")
        if vendor and time_mode == "real" and channels:
            _refuse_a_standing_clock(channels)
        try:
            Profile.parse(profile).resolve(load_catalogue())
        except ProfileError as exc:
            raise click.BadParameter(str(exc), param_hint="--profile") from None
        chosen_scenarios = _scenario_names(scenarios)
        if signing_key is not None:
            try:
                load_signing_key(signing_key)  # a bad key fails now, not after an hour of campaign
            except KeyFileError as exc:
                raise click.BadParameter(str(exc), param_hint="--signing-key") from None
        if deviations is not None:
            try:
                load_deviations(deviations)  # refuse a bad file before the campaign, not after it
            except DeviationFileError as exc:
                raise click.BadParameter(str(exc), param_hint="--deviations") from None
        if load_results is not None:
            _check_load_results(load_results)
        options = RunOptions(
            sut=sut.rstrip("/"), channels=channels, credentials=credentials, defects=list(defects), profile=profile,
            scenarios=chosen_scenarios,
            time_mode=time_mode, deadline_reading=deadline_reading, seed=seed, manual_timeout=manual_timeout,
            report_dir=report_dir, siena_obligation_date=siena_obligation_date,
            work_dir=work_dir if not vendor else None, real_wait=real_wait,
            signing_key=signing_key, sut_token=sut_token, deviations=deviations, load_results=load_results,
        )
        if preloaded is not None:
            # The network's command lines are known now: it comes up while the campaign's modules load.
            preloaded.start_in_background(options.network_plan(work_dir),
                                          sut_token=sut_token or secrets.token_urlsafe(24))
        if kill_matrix:
            # Start-up time: imported when this command runs, so that every other command starts fast.
            from conformance.campaign.killmatrix import run_kill_matrix

            outcome = run_kill_matrix(options, jobs=jobs, echo=click.echo, quiet=quiet, fresh=fresh_processes)
            sys.exit(0 if outcome.ok else 1)
        # Start-up time: imported when this command runs, so that every other command starts fast.
        from conformance.campaign.session import run_session

        result = run_session(options, quiet=quiet, echo=click.echo, preloaded=preloaded)
        # Start-up time: the CLI module is loaded already (it dispatched to this command).
        from conformance.cli import skip_teardown

        skip_teardown()  # the reports are written, the network stopped: nothing is left for the teardown to do
        sys.exit(result.exit_code)
    finally:
        if preloaded is not None:
            preloaded.stop()  # a no-op once the run has taken and stopped them; else they end here
