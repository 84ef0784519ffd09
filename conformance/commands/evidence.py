"""`spoc-harness evidence`: verify or show a tamper-evident evidence bundle written by a run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reports.evidence import NotABundleError, describe_bundle, verify_bundle
from reports.signing import KeyFileError, load_trusted_fingerprint, normalise_fingerprint

__all__ = ["evidence"]

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_USAGE = 2
EXIT_UNTRUSTED = 3

_bundle_dir = click.argument("bundle_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path))


@click.group()
def evidence() -> None:
    """Verify or show an evidence bundle (results, message journal, hash chain, Ed25519 signature)."""


def _trusted(trust_files: tuple[Path, ...], fingerprints: tuple[str, ...]) -> list[str]:
    try:
        found = [load_trusted_fingerprint(path) for path in trust_files]
        return found + [normalise_fingerprint(text) for text in fingerprints]
    except KeyFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--trust / --trust-fingerprint") from None


@evidence.command()
@_bundle_dir
@click.option("--trust", "trust_files", multiple=True, metavar="KEY.pub",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A public key (KEY.pub from `keys new`) whose signatures you trust; repeatable.")
@click.option("--trust-fingerprint", "--key", "fingerprints", multiple=True, metavar="SHA256",
              help="The SHA-256 fingerprint of a trusted signing key, obtained from its signer; repeatable.")
@click.option("--require-trust", is_flag=True,
              help="Certification mode: exit 3 unless the bundle is signed by a trusted key (an unverified "
                   "or ephemeral signer fails).")
def verify(bundle_dir: Path, trust_files: tuple[Path, ...], fingerprints: tuple[str, ...],
           require_trust: bool) -> None:
    """Check the integrity of BUNDLE_DIR (every file hash, the hash chain, the signature) and whom it
    was signed by (trust).

    Integrity alone shows the files are as they were signed; it does not show who signed them, since
    anyone can write and sign a bundle. Trust needs the signer's key from the signer: --trust or
    --trust-fingerprint.

    Exits 0 if intact (and, with --trust*/--require-trust, signed by a trusted key), 1 if anything was
    tampered with (each finding names the file), 2 on a usage error, 3 if intact but not signed by a
    trusted key (a key was given and does not match, or --require-trust and none matched).
    """
    trusted = _trusted(trust_files, fingerprints)
    try:
        report = verify_bundle(bundle_dir, trusted_fingerprints=trusted)
    except NotABundleError as exc:
        raise click.UsageError(str(exc)) from None
    if not report.intact:
        click.echo(report.render(), nl=False, err=True)
        sys.exit(EXIT_TAMPERED)
    if report.trust == "untrusted" or (require_trust and report.trust != "trusted"):
        click.echo(report.render(), nl=False, err=True)
        sys.exit(EXIT_UNTRUSTED)
    click.echo(report.render(), nl=False)
    sys.exit(EXIT_OK)


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


@evidence.command()
@_bundle_dir
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New (or empty) directory for the pseudonymised bundle.")
@click.option("--key-file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Secret pseudonymisation key (at least 16 bytes). The same key gives the same pseudonyms, so "
                   "copies of several runs stay comparable; keep it private.")
@click.option("--new-key", is_flag=True, help="Create --key-file (32 random bytes, mode 0600) if it does not exist.")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the copy with this key file (`spoc-harness keys new`); without it an ephemeral key signs.")
def pseudonymise(bundle_dir: Path, out_dir: Path, key_file: Path, new_key: bool, signing_key: Path | None) -> None:
    """Write a pseudonymised copy of BUNDLE_DIR that can be shared.

    Every personal name, address, document number and vehicle number is replaced, in every file, by a
    keyed pseudonym (the same subject gets the same pseudonym everywhere); times, ids and verdicts are
    kept. The copy is a signed bundle of its own (verify it with `evidence verify`) and records in
    DERIVED_FROM.json which bundle it was derived from. A bundle that does not verify is refused.
    """
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from reports.pseudonymise import PseudonymError, PseudonymKey, pseudonymise_bundle
    from reports.signing import load_signing_key

    try:
        key = PseudonymKey.from_file(key_file, create=new_key)
        signer = load_signing_key(signing_key) if signing_key is not None else None
        manifest = pseudonymise_bundle(bundle_dir, out_dir, key, signing_key=signer)
    except (PseudonymError, KeyFileError, NotABundleError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_TAMPERED if "does not verify" in str(exc) else EXIT_USAGE)
    click.echo(f"pseudonymised copy: {out_dir} ({len(manifest.files)} files, signing key sha256 "
               f"{manifest.public_key_sha256})")
    click.echo(f"derived from:       {bundle_dir} (recorded in {out_dir}/DERIVED_FROM.json)")
