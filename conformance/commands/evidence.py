"""`spoc-harness evidence`: verify or show a tamper-evident evidence bundle written by a run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reports.evidence import NotABundleError, describe_bundle, verify_bundle

__all__ = ["evidence"]

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_USAGE = 2

_bundle_dir = click.argument("bundle_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path))


@click.group()
def evidence() -> None:
    """Verify or show an evidence bundle (results, message journal, hash chain, Ed25519 signature)."""


@evidence.command()
@_bundle_dir
@click.option(
    "--key",
    "expected_key",
    metavar="SHA256",
    help="Fingerprint of the signing key as printed at the end of the run; catches a bundle re-signed "
    "with another key.",
)
def verify(bundle_dir: Path, expected_key: str | None) -> None:
    """Recompute every file hash, the hash chain and the signature of BUNDLE_DIR.

    Exits 0 if the bundle is intact, 1 if anything was tampered with (each finding names the file),
    2 on a usage error (e.g. BUNDLE_DIR is not an evidence bundle).
    """
    try:
        report = verify_bundle(bundle_dir, expected_public_key_sha256=expected_key)
    except NotABundleError as exc:
        raise click.UsageError(str(exc)) from None
    if report.ok:
        click.echo(report.render(), nl=False)
        if expected_key is None:
            click.echo(
                "note: compare the key sha256 above with the one printed at the end of the run "
                "(or pass --key) to rule out a bundle re-signed with another key"
            )
        sys.exit(EXIT_OK)
    click.echo(report.render(), nl=False, err=True)
    sys.exit(EXIT_TAMPERED)


@evidence.command()
@_bundle_dir
def show(bundle_dir: Path) -> None:
    """List the files, hashes, signing key and verdict recorded in BUNDLE_DIR (without verifying)."""
    try:
        click.echo(describe_bundle(bundle_dir), nl=False)
    except FileNotFoundError:
        raise click.UsageError(f"{bundle_dir} is not an evidence bundle: it has no manifest.json") from None
    except ValueError as exc:
        click.echo(f"{bundle_dir}/manifest.json is unreadable: {str(exc).splitlines()[0]}", err=True)
        sys.exit(EXIT_TAMPERED)
