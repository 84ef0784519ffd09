"""`spoc-harness keys`: make the Ed25519 key a lab signs its evidence bundles with."""

from __future__ import annotations

from pathlib import Path

import click

from reports.signing import KeyFileError, load_signing_key, new_key_file

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """Make or show an evidence signing key (see README, "Security")."""


@keys.command("new")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--signer", required=True, help="Who signs with this key, e.g. 'Acme CMS test lab'.")
def new(key_file: Path, signer: str) -> None:
    """Write a new signing key to KEY_FILE (mode 0600) and its public half to KEY_FILE.pub.

    Keep KEY_FILE private and reuse it for every run (`spoc-harness run --signing-key KEY_FILE`).
    Give KEY_FILE.pub, or the fingerprint printed here, to whoever verifies your bundles
    (`spoc-harness evidence verify --trust KEY_FILE.pub`). An existing file is never overwritten.
    """
    try:
        key = new_key_file(key_file, signer)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"signing key:  {key_file} (mode 0600; keep it private)")
    click.echo(f"public key:   {key_file}.pub (give it to verifiers)")
    click.echo(f"signer:       {key.signer}")
    click.echo(f"fingerprint:  {key.fingerprint}")


@keys.command("show")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(key_file: Path) -> None:
    """Print the signer and fingerprint of the signing key in KEY_FILE."""
    try:
        key = load_signing_key(key_file)
    except KeyFileError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"signer:       {key.signer}")
    click.echo(f"fingerprint:  {key.fingerprint}")
