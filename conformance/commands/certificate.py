"""`spoc-harness certificate`: a one-page certificate for a conformant run signed by a trusted key."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["certificate"]

EXIT_REFUSED = 1


@click.command()
@click.argument("bundle_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--trust", "trust_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Public key (KEY.pub) of a signer you trust, obtained from them out of band; repeatable.")
@click.option("--trust-fingerprint", "fingerprints", multiple=True, metavar="SHA256",
              help="Fingerprint of a trusted signing key, instead of its file; repeatable.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where certificate.html (and certificate.pdf) go; default: beside the bundle.")
@click.option("--pdf/--no-pdf", default=True, show_default=True,
              help="Also print certificate.pdf with the installed Chromium (skipped, saying so, without it).")
def certificate(bundle_dir: Path, trust_files: tuple[Path, ...], fingerprints: tuple[str, ...],
                out_dir: Path | None, pdf: bool) -> None:
    """Write a one-page certificate for the run in BUNDLE_DIR.

    Only for a bundle that verifies, is signed by a key you trust (--trust or --trust-fingerprint) and
    holds a conformant run; otherwise nothing is written and the reason is printed (exit 1). The page
    names the CMS product and version, the state, the harness and catalogue versions, the legal readings
    chosen, the verdict, the warnings, the accepted deviations, the bundle's digest and its signer.
    """
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from conformance.commands.evidence import _trusted
    from reports.certificate import CertificateRefused, certify, print_pdf, render_certificate
    from reports.evidence import NotABundleError

    trusted = _trusted(trust_files, fingerprints)
    try:
        found = certify(bundle_dir, trusted)
    except (CertificateRefused, NotABundleError) as exc:
        click.echo(f"no certificate: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    target = out_dir or bundle_dir.parent
    target.mkdir(parents=True, exist_ok=True)
    html_path = target / "certificate.html"
    html_path.write_text(render_certificate(found), encoding="utf-8")
    click.echo(f"certificate: {html_path}")
    if pdf:
        why_not = print_pdf(html_path, target / "certificate.pdf")
        click.echo(f"certificate: {target / 'certificate.pdf'}" if why_not is None else f"note: {why_not}")
