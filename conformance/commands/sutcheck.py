"""`spoc-harness sut-check URL`: a preflight of a vendor's SUT test interface before a campaign.

Exit code: 0 when nothing failed (warnings and skipped checks allowed), 1 when a check failed, 2 on a
usage error.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import click

__all__ = ["sut_check"]


@click.command("sut-check")
@click.argument("url")
@click.option("--channels", help="URL of the channel server the CMS is connected to (checks that it follows the "
                                 "network clock).")
@click.option("--credentials", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="That server's credentials.json (its control token moves the clock).")
@click.option("--sut-token", help="Bearer token for the SUT test interface, if it asks for one.")
@click.option("--openapi", "openapi_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check against this OpenAPI document instead of the published one (e.g. the CMS's own).")
@click.option("--schemathesis-seconds", type=click.FloatRange(1, 600), default=12.0, show_default=True,
              help="Time given to the generated requests.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def sut_check(url: str, channels: str | None, credentials: Path | None, sut_token: str | None,
              openapi_file: Path | None, schemathesis_seconds: float, as_json: bool) -> None:
    """Preflight a vendor's /sut/v1 interface at URL (e.g. http://127.0.0.1:8800) in under 30 s.

    Checks the operations against the published OpenAPI document (schemathesis), info and the declared
    capabilities against the published parties data, that the CMS follows a moved network clock (with
    --channels and --credentials), a fixtures round trip, and that each export parses as the campaign
    reads it. Every finding names the contract section to read.

    It acts on the test deployment as a campaign does: generated requests reach every operation, the
    fixtures are replaced (then put back) and the network clock moves one hour forward, so start a fresh
    channel server for the campaign afterwards.
    """
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from conformance.sutcheck import CheckOptions, run_sut_check

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("give the SUT test interface's base URL, e.g. http://127.0.0.1:8800", param_hint="URL")
    if bool(channels) != bool(credentials):
        raise click.UsageError("--channels and --credentials go together")
    control = None
    if credentials is not None:
        try:
            control = str(json.loads(credentials.read_text(encoding="utf-8"))["control"])
        except (ValueError, KeyError, TypeError):
            raise click.BadParameter("not a credentials.json written by `spoc-harness serve`",
                                     param_hint="--credentials") from None
    document = json.loads(openapi_file.read_text(encoding="utf-8")) if openapi_file else None
    options = CheckOptions(sut_url=url.rstrip("/"), channels_url=channels.rstrip("/") if channels else None,
                           control_token=control, sut_token=sut_token, schemathesis_seconds=schemathesis_seconds,
                           openapi=document)
    began = time.monotonic()
    findings = asyncio.run(run_sut_check(options, say=(lambda _: None) if as_json else click.echo))
    failed = [f for f in findings if f.status == "fail"]
    if as_json:
        click.echo(json.dumps({"ok": not failed, "findings": [f.to_json() for f in findings]}, indent=1))
    else:
        for finding in findings:
            click.echo(finding.line())
        warned = sum(f.status == "warn" for f in findings)
        click.echo(f"sut-check: {len(failed)} failed, {warned} warnings, "
                   f"{sum(f.status == 'pass' for f in findings)} passed in {time.monotonic() - began:.1f} s")
    sys.exit(1 if failed else 0)
